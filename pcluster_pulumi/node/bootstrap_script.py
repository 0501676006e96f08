"""The shell script cloud-init runs on every node; it only orders the boot steps.

Everything testable lives in ``setup.py`` (Python); this script installs what is missing,
fetches the runtime configuration and the node package from the cluster bucket, then runs
the steps for the node's role. A compute node that fails to boot powers itself off (its
launch template says ``terminate``), so a broken node never lingers.
"""

SCRIPT = r"""#!/bin/bash
# pcluster-pulumi node bootstrap; settings come from /etc/pcluster-pulumi/bootstrap.env.
set -euo pipefail
. /etc/pcluster-pulumi/bootstrap.env
exec > >(tee -a /var/log/pcluster-pulumi-bootstrap.log) 2>&1
LIB=/opt/pcluster-pulumi/lib
SHARED=/opt/pcluster-pulumi/shared
CONF=/etc/pcluster-pulumi/node-config.json
export PYTHONPATH="$LIB" PCLUSTER_PULUMI_NODE_CONFIG="$CONF" AWS_DEFAULT_REGION="$REGION"

fail() {
    echo "bootstrap failed: $*"
    if [ "$ROLE" = compute ]; then shutdown -h now; fi
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
            apt-get install -y -qq slurmctld slurmd slurm-client munge python3-boto3 \
                nfs-common nfs-kernel-server
        else
            dnf install -y -q epel-release || true
            dnf install -y -q slurm slurm-slurmctld slurm-slurmd munge python3-boto3 nfs-utils
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
    if python3 -m pcluster_pulumi.node.setup munge-key /etc/munge/munge.key.new; then
        mv /etc/munge/munge.key.new /etc/munge/munge.key
    elif [ "$ROLE" = head ]; then
        [ -s /etc/munge/munge.key ] || dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    else
        install -m 400 "$SHARED/munge.key" /etc/munge/munge.key
    fi
    chown munge:munge /etc/munge/munge.key
    chmod 400 /etc/munge/munge.key
    systemctl enable --now munge
    systemctl restart munge
}

mount_storage() {
    if [ "$ROLE" != head ]; then
        mkdir -p "$SHARED"
        echo "$HEAD_IP:$SHARED $SHARED nfs ro,hard,_netdev,noatime 0 0" >> /etc/fstab
    fi
    python3 -m pcluster_pulumi.node.setup fstab "$ROLE" | while read -r line; do
        [ -n "$line" ] || continue
        mkdir -p "$(echo "$line" | awk '{print $2}')"
        grep -qxF "$line" /etc/fstab || echo "$line" >> /etc/fstab
    done
    mount -a
}

head_node() {
    mkdir -p "$SHARED" /var/spool/slurmctld /var/log/slurm /run/slurm /var/log/pcluster-pulumi /etc/exports.d
    chown slurm:slurm /var/spool/slurmctld /var/log/slurm /run/slurm /var/log/pcluster-pulumi
    install -m 400 /etc/munge/munge.key "$SHARED/munge.key"
    echo "$SHARED *(ro,no_root_squash,sync)" > /etc/exports.d/pcluster-pulumi.exports
    systemctl enable --now nfs-server && exportfs -ra
    python3 -m pcluster_pulumi.node.setup slurm-config
    install -d "$SHARED/slurm" && cp /etc/slurm/slurm.conf /etc/slurm/gres.conf "$SHARED/slurm/"
    systemctl daemon-reload
    systemctl enable --now pcluster-pulumi-slurmctld pcluster-pulumi-keeper
}

compute_node() {
    mkdir -p /var/spool/slurmd /var/log/slurm /run/slurm
    imds=http://169.254.169.254/latest
    token=$(curl -sf -X PUT "$imds/api/token" -H "X-aws-ec2-metadata-token-ttl-seconds: 300")
    instance_id=$(curl -sf -H "X-aws-ec2-metadata-token: $token" "$imds/meta-data/instance-id")
    for attempt in $(seq 1 60); do
        if name=$(python3 -m pcluster_pulumi.node.setup node-name "$instance_id"); then break; fi
        sleep 5
    done
    [ -n "${name:-}" ] || fail "no node record for $instance_id"
    echo "NODE_NAME=$name" > /etc/pcluster-pulumi/node.env
    systemctl daemon-reload
    systemctl enable --now pcluster-pulumi-slurmd
}

login_node() {
    echo "export SLURM_CONF=$SHARED/slurm/slurm.conf" > /etc/profile.d/pcluster-pulumi-slurm.sh
    . /etc/pcluster-pulumi/slurm.env
    echo "export PATH=\$PATH:$SLURM_PREFIX/bin" >> /etc/profile.d/pcluster-pulumi-slurm.sh
}

install_packages
fetch_runtime
[ "$ROLE" = head ] || mount_storage
setup_munge
[ "$ROLE" != head ] || { mount_storage; head_node; }
[ "$ROLE" != compute ] || compute_node
[ "$ROLE" != login ] || login_node
echo "bootstrap of $ROLE node for cluster $CLUSTER done"
"""
