"""The shell script cloud-init runs on every node; it only orders the boot steps.

Everything testable lives in ``setup.py`` and ``storage_setup.py`` (Python); this script
installs what is missing, fetches the runtime configuration and the node package from the
cluster bucket, runs the ``OnNodeStart`` scripts, sets up the mount table's storage, runs the
steps for the node's role, then the ``OnNodeConfigured`` scripts (a compute node's slurmd
starts after them).
A compute node that fails to boot powers itself off (its launch template says
``terminate``), so a broken node never lingers.
"""

SCRIPT = r"""#!/bin/bash
# pcluster-pulumi node bootstrap; settings come from /etc/pcluster-pulumi/bootstrap.env.
# -E: the ERR trap also fires inside functions (without it a failing step exits silently).
set -Eeuo pipefail
. /etc/pcluster-pulumi/bootstrap.env
# Networking.Proxy: everything below (S3, package managers, boto3) goes through the proxy.
if [ -f /etc/pcluster-pulumi/proxy.env ]; then set -a; . /etc/pcluster-pulumi/proxy.env; set +a; fi
exec > >(tee -a /var/log/pcluster-pulumi-bootstrap.log) 2>&1
LIB=/opt/pcluster-pulumi/lib
CONF=/etc/pcluster-pulumi/node-config.json
export PYTHONPATH="$LIB" PCLUSTER_PULUMI_NODE_CONFIG="$CONF" AWS_DEFAULT_REGION="$REGION"

node_setup() { python3 -m pcluster_pulumi.node.boot_steps "$@"; }
node_access() { python3 -m pcluster_pulumi.node.access_steps "$@"; }

start_oneshot() {
    # A boot step run by a unit (so it also runs at every reboot): its own output goes to the
    # journal, so show it here before failing.
    systemctl daemon-reload
    if ! systemctl enable --now "$1"; then
        journalctl -u "$1" -n 20 --no-pager || true
        fail "$1 failed"
    fi
}

fail() {
    # In a command substitution only leave it: the main shell reports the failure.
    if [ "$BASHPID" != "$$" ]; then exit 1; fi
    echo "bootstrap failed: $*"
    if [ "$ROLE" = compute ]; then shutdown -h now; fi
    # A login node that cannot serve users tells its group, which replaces it.
    [ "$ROLE" != login ] || node_access lifecycle-complete "${POOL:-}" --failed || true
    exit 1
}
trap 'fail "line $LINENO"' ERR

install_packages() {
    # ParallelCluster AMIs ship Slurm under /opt/slurm; elsewhere use the distribution's.
    if [ -x /opt/slurm/sbin/slurmd ]; then
        SLURM_PREFIX=/opt/slurm
    else
        SLURM_PREFIX=/usr
        if command -v apt-get >/dev/null; then
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq
            apt-get install -y -qq slurmctld slurmd slurmdbd slurm-client munge python3-boto3 \
                nfs-common nfs-kernel-server
        else
            dnf install -y -q epel-release || true
            dnf install -y -q slurm slurm-slurmctld slurm-slurmd slurm-slurmdbd munge python3-boto3 nfs-utils
        fi
    fi
    echo "SLURM_PREFIX=$SLURM_PREFIX" > /etc/pcluster-pulumi/slurm.env
}

fetch_runtime() {
    mkdir -p "$LIB"
    python3 - <<'PY'
import io, os, tarfile, boto3
s3 = boto3.client("s3", region_name=os.environ["REGION"])
bucket = os.environ["BUCKET"]
s3.download_file(bucket, os.environ["CONFIG_KEY"], os.environ["PCLUSTER_PULUMI_NODE_CONFIG"])
package = s3.get_object(Bucket=bucket, Key=os.environ["PACKAGE_KEY"])["Body"].read()
with tarfile.open(fileobj=io.BytesIO(package), mode="r:gz") as archive:
    archive.extractall(os.environ["PYTHONPATH"], filter="data")
PY
    # slurmctld runs the resume/suspend programs as the Slurm user: it must read the config.
    if getent group slurm >/dev/null; then chgrp slurm "$CONF"; chmod 640 "$CONF"; else chmod 600 "$CONF"; fi
}

setup_munge() {
    install -d -m 700 -o munge -g munge /etc/munge
    if node_setup munge-key /etc/munge/munge.key.new; then
        mv /etc/munge/munge.key.new /etc/munge/munge.key
    elif [ "$ROLE" = head ]; then
        [ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    else
        shared=$(node_setup shared-dir "$ROLE")
        install -m 400 "$shared/.munge/.munge.key" /etc/munge/munge.key
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
    systemctl enable --now munge
    systemctl restart munge
}

head_node() {
    mkdir -p /var/spool/slurmctld /var/log/slurm /run/slurm /var/log/pcluster-pulumi
    chown slurm:slurm /var/spool/slurmctld /var/log/slurm /run/slurm /var/log/pcluster-pulumi
    node_setup slurm-config
    # Compute and login nodes read the munge key (login nodes also the Slurm files) from the
    # directory the head node shares with each of them (the mount table names both).
    compute_shared=$(node_setup shared-dir compute)
    login_shared=$(node_setup shared-dir login)
    for dir in "$compute_shared" "$login_shared"; do
        install -d -m 700 "$dir/.munge"
        install -m 400 /etc/munge/munge.key "$dir/.munge/.munge.key"
    done
    install -d "$login_shared/slurm"
    cp /etc/slurm/slurm.conf /etc/slurm/gres.conf "$login_shared/slurm/"
    systemctl daemon-reload
    if [ -f /etc/slurm/slurmdbd.conf ]; then
        # slurmdbd refuses a slurmdbd.conf its SlurmUser does not own.
        chown slurm:slurm /etc/slurm/slurmdbd.conf
        systemctl enable --now pcluster-pulumi-slurmdbd
    fi
    systemctl enable --now pcluster-pulumi-slurmctld pcluster-pulumi-keeper
}

secure_imds() {
    # HeadNode.Imds.Secured: iptables lets only root and the Slurm user reach IMDS (every boot, by a unit).
    # Without iptables, the step fails when Secured is true and does nothing when it is false.
    if ! command -v iptables >/dev/null; then
        if command -v apt-get >/dev/null; then apt-get install -y -qq iptables || true
        else dnf install -y -q iptables-nft || true; fi
    fi
    start_oneshot pcluster-pulumi-imds
}

find_node_name() {
    # A compute node's name (and so its queue, whose OnNodeStart runs next) comes from its record.
    imds=http://169.254.169.254/latest
    token=$(curl -sf -X PUT "$imds/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
    instance_id=$(curl -sf -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/instance-id")
    for attempt in $(seq 1 60); do
        if NODE_NAME=$(node_setup node-name "$instance_id"); then break; fi
        NODE_NAME=
        sleep 5
    done
    [ -n "$NODE_NAME" ] || fail "no node record for $instance_id"
    echo "NODE_NAME=$NODE_NAME" > /etc/pcluster-pulumi/node.env
}

custom_action() {
    # CustomActions (OnNodeStart/OnNodeConfigured): fetched and run by setup; non-zero fails the boot.
    node_setup custom-action "$1" "$ROLE" ${NODE_NAME:+--node "$NODE_NAME"}
}

compute_node() {
    mkdir -p /var/spool/slurmd /var/log/slurm /run/slurm
    systemctl daemon-reload
}

NODE_NAME=
install_packages
fetch_runtime
# Login nodes, directory users and DCV: shell functions from the node package (keeps user data small).
node_access shell-functions > /etc/pcluster-pulumi/access.sh
. /etc/pcluster-pulumi/access.sh
if [ "$ROLE" = head ]; then secure_imds; fi
if [ "$ROLE" = compute ]; then find_node_name; fi
custom_action on-node-start
# Instance-store disks (RAID 0, ext4) at the ephemeral mount dir, now and at every boot.
start_oneshot pcluster-pulumi-ephemeral
# Volumes, RAID, file systems, fstab and (head) NFS exports, from the mount table.
node_setup storage "$ROLE"
# DeploymentSettings: the default user's sudo rights and (Local) its own /local/home.
node_setup default-user
wait_for_head
setup_munge
case "$ROLE" in
    # AWS Batch: the head node serves the shared dirs and the awsb* commands, no Slurm (3: not Batch).
    head) if python3 -m pcluster_pulumi.node.awsbatch head; then :; elif [ $? -eq 3 ]; then head_node
          else fail "awsb* commands"; fi ;;
    compute) compute_node ;;
    login) login_node ;;
esac
setup_access
custom_action on-node-configured
access_ready
# slurmd starts only once the node is configured, its scripts included: no job sees a half-made node.
if [ "$ROLE" = compute ]; then systemctl enable --now pcluster-pulumi-slurmd; fi
echo "bootstrap of $ROLE node for cluster $CLUSTER done"
"""
