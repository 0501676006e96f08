#!/bin/bash
# Entry point of every job container: mount the cluster's shared directories, write the MPI
# host file of a multi-node job, then run the job's command (exec, so its exit code is the job's).
set -euo pipefail

echo "pcluster-pulumi job ${AWS_BATCH_JOB_ID:-?}: preparing the environment"
/usr/sbin/sshd
mount-shared.sh

if [[ -n "${AWS_BATCH_JOB_NUM_NODES:-}" ]]; then
    write-hostfile.sh /home/.pcluster-pulumi "${HOME}/hostfile"
fi

echo "pcluster-pulumi job ${AWS_BATCH_JOB_ID:-?}: starting"
exec "$@"
