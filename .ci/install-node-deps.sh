#!/usr/bin/env bash
# Installs what the node-runtime integration tests need: a real Slurm controller and
# daemon (Debian packages), munge for their authentication, cloud-init so rendered
# user data is checked by cloud-init's own schema validator, and the block-device tools
# the storage setup runs on loop devices (losetup/mount, blkid, mkfs.ext4, sfdisk), sssd-tools
# so rendered sssd.conf files pass `sssctl config-check`, and ssh-keygen for login pool host keys.
# Idempotent: a machine that already has every package skips apt entirely.
set -euo pipefail

packages=(slurmctld slurmd slurm-client munge cloud-init mount util-linux e2fsprogs fdisk sssd-tools openssh-client)

missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]} == 0)); then
    echo "install-node-deps: all present (${packages[*]})"
    exit 0
fi

if [[ $(id -u) != 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then
        exec sudo --preserve-env=DEBIAN_FRONTEND bash "$0" "$@"
    fi
    echo "install-node-deps: need root (or sudo) to apt-get install ${missing[*]}" >&2
    exit 1
fi

echo "install-node-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Package maintainer scripts must not start daemons: the tests start their own.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    created_policy=1
fi
trap '[[ $created_policy == 1 ]] && rm -f "$policy"' EXIT
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-node-deps: done"
