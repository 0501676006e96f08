"""The bootstrap's shell functions for people's access, shipped in the node package.

``bootstrap.sh`` sources them (``access_steps shell-functions``) once the node package is
unpacked, which keeps them out of user data, whose 16 KB EC2 limit the head node's comes close
to. ``setup_access`` runs after the role's steps: directory users (sssd, home directories at
first login, SSH password login and key generation) and DCV (the server with our token
verifier); ``access_ready`` runs last: a login node takes users only then. On a login node
``login_node`` (client slurm.conf, the pool's host keys) and ``custom_action`` (the pool's
scripts) replace the bootstrap's. They call the bootstrap's ``fail`` and ``node_access``;
each Python step they use is unit-tested on its own.
"""

SHELL_FUNCTIONS = r"""# pcluster-pulumi access functions, sourced by bootstrap.sh (uses fail, node_access).
POOL=${POOL:-}

wait_for_head() {
    # A login node may start before the head node has shared the munge key and the pool's host keys.
    if [ "$ROLE" = login ] && [ -n "$POOL" ]; then node_access wait-for-head "$POOL"; fi
}

login_node() {
    # A client-only slurm.conf: the controller answers for queues and nodes.
    node_access login-slurm-config
    echo "export SLURM_CONF=/etc/slurm/slurm.conf" > /etc/profile.d/pcluster-pulumi-slurm.sh
    . /etc/pcluster-pulumi/slurm.env
    echo "export PATH=\$PATH:$SLURM_PREFIX/bin" >> /etc/profile.d/pcluster-pulumi-slurm.sh
    if [ -n "$POOL" ]; then
        # Every node of the pool shows the same host keys behind the load balancer's one address.
        node_access host-keys-install "$POOL"
        systemctl restart sshd 2>/dev/null || systemctl restart ssh
    fi
}

if [ "$ROLE" = login ]; then
    custom_action() {
        # A login node runs its pool's CustomActions.
        if [ -n "$POOL" ]; then node_access custom-action "$1" "$POOL"; fi
    }
fi

setup_access() {
    setup_directory
    if [ "$ROLE" != compute ]; then setup_dcv; fi
}

access_ready() {
    # The head node shares the pools' host keys last: login nodes wait for them (wait_for_head),
    # so they find the munge key, Slurm and the directory password already there.
    if [ "$ROLE" = head ]; then node_access host-keys-share; fi
    if [ "$ROLE" = login ] && [ -n "$POOL" ]; then
        # Users are warned during GracetimePeriod when the pool removes this node; it takes users now.
        systemctl enable --now pcluster-pulumi-login-lifecycle
        node_access lifecycle-complete "$POOL"
    fi
}
setup_directory() {
    # DirectoryService: sssd for users and groups, home directories at first login, SSH keys.
    rc=0
    node_access sssd-config "$ROLE" || rc=$?
    if [ "$rc" = 3 ]; then return 0; fi
    [ "$rc" = 0 ] || fail "sssd configuration failed"
    if command -v apt-get >/dev/null; then
        apt-get install -y -qq sssd sssd-tools libnss-sss libpam-sss
        pam-auth-update --enable mkhomedir
    else
        dnf install -y -q sssd sssd-tools oddjob-mkhomedir authselect
        authselect select sssd with-mkhomedir --force
        systemctl enable --now oddjobd
    fi
    systemctl enable sssd
    systemctl restart sssd
    if [ "$ROLE" != compute ]; then
        # Directory users log in with their password; with GenerateSshKeysForUsers they get a key pair.
        sed -ri 's/^\s*PasswordAuthentication\s+no\s*$/PasswordAuthentication yes/' /etc/ssh/sshd_config
        node_access ssh-keygen-hook || [ $? = 3 ]
        systemctl restart sshd 2>/dev/null || systemctl restart ssh
    fi
}

install_dcv() {
    # The official ParallelCluster AMIs ship NICE DCV; elsewhere install the server from NICE's packages.
    if command -v dcv >/dev/null; then return 0; fi
    . /etc/os-release
    arch=$(uname -m)
    case "$ID$VERSION_ID" in
        amzn2023) flavour=amzn2023 ;;
        rhel8*|rocky8*) flavour=el8 ;;
        rhel9*|rocky9*) flavour=el9 ;;
        ubuntu22.04) flavour=ubuntu2204 ;;
        ubuntu24.04) flavour=ubuntu2404 ;;
        *) fail "NICE DCV is not supported on $PRETTY_NAME" ;;
    esac
    dir=$(mktemp -d)
    curl -sfL "https://d1uj6qtbmh3dt5.cloudfront.net/nice-dcv-$flavour-$arch.tgz" \
        | tar -xz -C "$dir" --strip-components=1
    if command -v apt-get >/dev/null; then
        apt-get install -y -qq "$dir"/nice-dcv-server_*.deb "$dir"/nice-xdcv_*.deb
    else
        dnf install -y -q "$dir"/nice-dcv-server-*.rpm "$dir"/nice-xdcv-*.rpm
    fi
    rm -rf "$dir"
}

setup_dcv() {
    # Dcv.Enabled: the server on Dcv.Port, sessions opened only with tokens from our local verifier.
    rc=0
    node_access dcv-config "$ROLE" ${POOL:+--pool "$POOL"} || rc=$?
    if [ "$rc" = 3 ]; then return 0; fi
    [ "$rc" = 0 ] || fail "DCV configuration failed"
    install_dcv
    systemctl daemon-reload
    systemctl enable --now pcluster-pulumi-dcv-verifier
    systemctl enable dcvserver
    systemctl restart dcvserver
}
"""
