"""The boot of an AWS Batch cluster's head node: ParallelCluster's awsbatch head node, without Slurm.

That head node serves ``/home`` and the EBS / RAID storage over NFS to the Batch jobs and holds
the ``awsb*`` commands; Batch itself launches and ends the compute instances. So its bootstrap
installs no Slurm or munge, writes no ``slurm.conf``, starts no slurmctld, slurmdbd or keeper,
and its user data carries none of their units or wrappers (``render_user_data`` takes
``BATCH_HEAD_UNITS`` for it).

The script reuses the function definitions of the common bootstrap (``bootstrap_script.SCRIPT``:
``fail`` and its trap, ``fetch_runtime``, ``secure_imds``, ``custom_action``…), replaces its
``install_packages``, and runs its own sequence. Only the part of ``SCRIPT`` before its main
sequence is taken, so no Slurm step can run even if one is added there later.
"""

from __future__ import annotations

from pcluster_pulumi.contract.bootstrap_script import SCRIPT

__all__ = ["BATCH_HEAD_SCRIPT", "BATCH_HEAD_UNITS", "MAIN_MARKER"]

#: Where ``SCRIPT``'s function definitions end and its main sequence (Slurm steps included) begins.
MAIN_MARKER = "\nNODE_NAME=\ninstall_packages\n"

#: The only head node unit an AWS Batch head node has (``HeadNode.Imds.Secured``; ``false`` is required).
BATCH_HEAD_UNITS = ("pcluster-pulumi-imds.service",)


def _functions(script: str) -> str:
    """The common bootstrap up to (not including) its main sequence."""
    head, marker, _ = script.partition(MAIN_MARKER)
    if not marker:
        raise ValueError("bootstrap_script.SCRIPT no longer has its main sequence marker (NODE_NAME=)")
    return head + "\n"


_BATCH_MAIN = r"""
install_packages() {
    # No Slurm, no munge: the node programs' boto3 and the NFS server that shares /home and the
    # EBS volumes with the Batch jobs (the awsb* commands get a virtual environment of their own).
    if command -v apt-get >/dev/null; then
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq python3-boto3 python3-venv nfs-kernel-server
    else
        dnf install -y -q python3-boto3 nfs-utils
    fi
}

NODE_NAME=
install_packages
fetch_runtime
node_access shell-functions > /etc/pcluster-pulumi/access.sh
. /etc/pcluster-pulumi/access.sh
secure_imds
custom_action on-node-start
start_oneshot pcluster-pulumi-ephemeral
# /home, the EBS volumes and RAID exported over NFS; EFS mounted (the mount table's head entries).
node_setup storage head
node_setup default-user
# The awsb* commands and their configuration (DevSettings.AwsBatchCliPackage if set).
python3 -m pcluster_pulumi.node.awsbatch head || fail "awsb* commands"
setup_access
custom_action on-node-configured
access_ready
echo "bootstrap of the AWS Batch head node for cluster $CLUSTER done"
"""

#: The AWS Batch head node's bootstrap (``/opt/pcluster-pulumi/bin/bootstrap.sh`` on that node).
BATCH_HEAD_SCRIPT = _functions(SCRIPT) + _BATCH_MAIN
