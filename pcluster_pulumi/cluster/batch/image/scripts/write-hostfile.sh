#!/bin/bash
# Multi-node parallel jobs: every node records "<ip> slots=<cpus>" in a directory on the shared
# /home, keyed by its node index; the main node waits for all of them and writes the MPI host
# file in node-index order.  Usage: write-hostfile.sh <shared dir> <host file>
set -euo pipefail

shared="${1:?shared directory}"
hostfile="${2:?host file}"
: "${AWS_BATCH_JOB_ID:?not a Batch job}"
: "${AWS_BATCH_JOB_NODE_INDEX:?not a multi-node job}"
: "${AWS_BATCH_JOB_MAIN_NODE_INDEX:?not a multi-node job}"
: "${AWS_BATCH_JOB_NUM_NODES:?not a multi-node job}"
timeout="${PCLUSTER_HOSTFILE_TIMEOUT:-900}"
poll="${PCLUSTER_HOSTFILE_POLL:-5}"

# A node's job id is "<job id>#<node index>"; the attempt keeps retries apart.
dir="${shared}/${AWS_BATCH_JOB_ID%%#*}-${AWS_BATCH_JOB_ATTEMPT:-1}"
mkdir -p "${dir}"
ip="$(ip -o -4 addr show dev eth0 | awk '{print $4}' | cut -d/ -f1)"
if ! [[ "${ip}" =~ ^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$ ]]; then
    echo "cannot read this node's address (got '${ip}')" >&2
    exit 1
fi
printf '%s slots=%s\n' "${ip}" "$(nproc --all)" > "${dir}/.${AWS_BATCH_JOB_NODE_INDEX}"
mv "${dir}/.${AWS_BATCH_JOB_NODE_INDEX}" "${dir}/${AWS_BATCH_JOB_NODE_INDEX}"

[[ "${AWS_BATCH_JOB_NODE_INDEX}" == "${AWS_BATCH_JOB_MAIN_NODE_INDEX}" ]] || exit 0

deadline=$((SECONDS + timeout))
while :; do
    found=$(find "${dir}" -maxdepth 1 -type f -regex '.*/[0-9]+' | wc -l)
    [[ "${found}" -ge "${AWS_BATCH_JOB_NUM_NODES}" ]] && break
    if [[ ${SECONDS} -ge ${deadline} ]]; then
        echo "only ${found}/${AWS_BATCH_JOB_NUM_NODES} nodes reported within ${timeout}s" >&2
        exit 1
    fi
    echo "${found}/${AWS_BATCH_JOB_NUM_NODES} nodes reported; waiting"
    sleep "${poll}"
done
: > "${hostfile}"
for ((i = 0; i < AWS_BATCH_JOB_NUM_NODES; i++)); do
    cat "${dir}/${i}" >> "${hostfile}"
done
rm -rf "${dir}"
echo "wrote ${hostfile} with ${AWS_BATCH_JOB_NUM_NODES} nodes"
