#!/bin/bash
# Mount what the job definition's PCLUSTER_* variables name:
#   /home, PCLUSTER_SHARED_DIRS and PCLUSTER_RAID_SHARED_DIR over NFS from the head node;
#   PCLUSTER_EFS_SHARED_DIRS from the EFS ids in PCLUSTER_EFS_FS_IDS (same order).
set -euo pipefail

: "${PCLUSTER_HEAD_NODE_IP:?the job definition names no head node}"
: "${PCLUSTER_AWS_REGION:?the job definition names no region}"

# Mount points live under PCLUSTER_MOUNT_ROOT (empty in jobs; a scratch directory in tests).
root="${PCLUSTER_MOUNT_ROOT:-}"

rpcinfo >/dev/null 2>&1 || rpcbind

nfs_from_head() {
    local dir="/${1#/}"
    mkdir -p "${root}${dir}"
    mount -t nfs -o hard,noatime,_netdev "${PCLUSTER_HEAD_NODE_IP}:${dir}" "${root}${dir}"
    echo "mounted ${PCLUSTER_HEAD_NODE_IP}:${dir} on ${dir}"
}

efs_domain() {
    case "$1" in
        cn-*) echo amazonaws.com.cn ;;
        us-iso-*) echo c2s.ic.gov ;;
        us-isob-*) echo sc2s.sgov.gov ;;
        *) echo amazonaws.com ;;
    esac
}

nfs_from_head /home

IFS=',' read -r -a ebs_dirs <<< "${PCLUSTER_SHARED_DIRS:-}"
for dir in "${ebs_dirs[@]}"; do
    [[ -n "${dir}" && "${dir}" != NONE ]] && nfs_from_head "${dir}"
done

if [[ -n "${PCLUSTER_RAID_SHARED_DIR:-}" && "${PCLUSTER_RAID_SHARED_DIR}" != NONE ]]; then
    nfs_from_head "${PCLUSTER_RAID_SHARED_DIR}"
fi

IFS=',' read -r -a efs_ids <<< "${PCLUSTER_EFS_FS_IDS:-}"
IFS=',' read -r -a efs_dirs <<< "${PCLUSTER_EFS_SHARED_DIRS:-}"
if [[ ${#efs_ids[@]} -ne ${#efs_dirs[@]} ]]; then
    echo "PCLUSTER_EFS_FS_IDS and PCLUSTER_EFS_SHARED_DIRS differ in length" >&2
    exit 1
fi
domain="$(efs_domain "${PCLUSTER_AWS_REGION}")"
for i in "${!efs_ids[@]}"; do
    dir="/${efs_dirs[i]#/}"
    mkdir -p "${root}${dir}"
    mount -t nfs4 -o nfsvers=4.1,rsize=1048576,wsize=1048576,hard,timeo=600,retrans=2,noresvport,_netdev \
        "${efs_ids[i]}.efs.${PCLUSTER_AWS_REGION}.${domain}:/" "${root}${dir}"
    echo "mounted ${efs_ids[i]} on ${dir}"
done
