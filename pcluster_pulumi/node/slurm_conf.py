"""slurm.conf from the runtime configuration: power saving, nodes, partitions, user settings.

Every compute node is declared ``State=CLOUD``: slurmctld owns when nodes exist and calls
our resume / suspend programs, which own how (EC2, DynamoDB, Route 53). Static nodes
(MinCount) are excluded from idle suspend; the keeper holds them up.
"""

from __future__ import annotations

from collections.abc import Iterator

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.config import ComputeResource, NodeConfig, Queue
from pcluster_pulumi.contract.slurm_layout import SlurmLayout
from pcluster_pulumi.contract.slurm_settings import (
    ACCOUNTING_DENY,
    CLUSTER_DENY,
    COMPUTE_RESOURCE_DENY,
    FEATURE_KEYS,
    QUEUE_DENY,
    check_denied,
    merge_parameters,
    render_line,
    slurm_value,
)
from pcluster_pulumi.node import hostlist

#: Slurm drops a node that registers with less than this share of RealMemory only below it,
#: because the OS never sees all of an instance's advertised memory.
NODE_REG_MEM_PERCENT = 75
#: Share of an instance's memory Slurm may schedule when SchedulableMemory is not given.
DEFAULT_MEMORY_SHARE = 0.95
#: Slurm's upper bound for TreeWidth.
MAX_TREE_WIDTH = 65533


def static_nodes(queue: Queue, resource: ComputeResource) -> list[str]:
    """Names of a compute resource's static nodes (MinCount of them)."""
    return [names.static_node_name(queue.name, resource.name, n) for n in range(1, resource.min_count + 1)]


def dynamic_nodes(queue: Queue, resource: ComputeResource) -> list[str]:
    """Names of a compute resource's dynamic nodes (MaxCount - MinCount of them)."""
    return [
        names.dynamic_node_name(queue.name, resource.name, n) for n in range(1, resource.dynamic_count + 1)
    ]


def all_static_nodes(config: NodeConfig) -> list[str]:
    """Every static node of the cluster."""
    return [name for q in config.queues for cr in q.compute_resources for name in static_nodes(q, cr)]


def all_nodes(config: NodeConfig) -> list[str]:
    """Every node slurm.conf declares for the cluster's queues."""
    return [
        name
        for q in config.queues
        for cr in q.compute_resources
        for name in static_nodes(q, cr) + dynamic_nodes(q, cr)
    ]


def real_memory_mib(resource: ComputeResource) -> int:
    """RealMemory of a node: SchedulableMemory, else 95 % of the smallest type's memory."""
    if resource.schedulable_memory_mib is not None:
        return resource.schedulable_memory_mib
    return max(1, int(resource.memory_mib * DEFAULT_MEMORY_SHARE))


def gres_spec(resource: ComputeResource) -> str | None:
    """``gpu[:type]:count`` for GPU compute resources (type only when all types agree)."""
    count = resource.gpu_count
    if count == 0:
        return None
    types = {facts.gpu_type.lower() for facts in resource.instances if facts.gpu_type}
    if len(types) == 1 and all(facts.gpu_type for facts in resource.instances):
        return f"gpu:{types.pop()}:{count}"
    return f"gpu:{count}"


def render_slurm_conf(config: NodeConfig, layout: SlurmLayout) -> str:
    """The complete slurm.conf text for a cluster on a host laid out as given."""
    _check_user_settings(config)
    lines = [
        f"# slurm.conf for cluster {config.cluster_name}, rendered by pcluster-pulumi.",
        "# Re-rendered from the runtime configuration at boot and on update: edits here are lost.",
    ]
    generated = list(_global_parameters(config, layout))
    single_key = {}
    multi_key = []
    for setting in config.scheduler.custom_slurm_settings:
        if len(setting) == 1:
            single_key.update(setting)
        else:
            multi_key.append(setting)
    lines.extend(f"{key}={value}" for key, value in merge_parameters(generated, single_key))
    lines.append("")
    lines.append("# Compute nodes: one static and one dynamic line per compute resource")
    for queue in config.queues:
        for resource in queue.compute_resources:
            lines.extend(_node_lines(queue, resource))
    lines.append("")
    lines.append("# Partitions: one per queue")
    for position, queue in enumerate(config.queues):
        lines.append(_partition_line(queue, default=position == 0))
    if multi_key:
        lines.append("")
        lines.append("# CustomSlurmSettings lines")
        lines.extend(render_line((k, slurm_value(v)) for k, v in setting.items()) for setting in multi_key)
    return "\n".join(lines) + "\n"


def _check_user_settings(config: NodeConfig) -> None:
    denied = CLUSTER_DENY | (ACCOUNTING_DENY if config.scheduler.accounting else frozenset())
    for index, setting in enumerate(config.scheduler.custom_slurm_settings):
        if len(setting) == 1:
            check_denied(setting, denied, f"scheduler.custom_slurm_settings[{index}]")
        else:
            for key in ("NodeName", "NodeSet", "PartitionName"):
                names = next((str(v) for k, v in setting.items() if k.lower() == key.lower()), "")
                if "-st-" in names or "-dy-" in names:
                    raise ValueError(
                        f"scheduler.custom_slurm_settings[{index}]: {key} {names!r} uses -st-/-dy-"
                    )
    for queue in config.queues:
        check_denied(queue.custom_slurm_settings, QUEUE_DENY, f"queue {queue.name}")
        for resource in queue.compute_resources:
            check_denied(
                resource.custom_slurm_settings, COMPUTE_RESOURCE_DENY, f"{queue.name}/{resource.name}"
            )


def _global_parameters(config: NodeConfig, layout: SlurmLayout) -> Iterator[tuple[str, str]]:
    host = layout.controller_hostname
    yield "ClusterName", names.slurm_cluster_name(config.cluster_name)
    yield "SlurmctldHost", f"{host}({layout.controller_address})" if layout.controller_address else host
    yield "SlurmUser", layout.slurm_user
    yield "SlurmctldPort", str(layout.slurmctld_port)
    yield "SlurmdPort", str(layout.slurmd_port)
    yield "AuthType", "auth/munge"
    yield "CredType", "cred/munge"
    if layout.munge_socket is not None:
        yield "AuthInfo", f"socket={layout.munge_socket}"
    yield "StateSaveLocation", str(layout.state_dir)
    yield "SlurmdSpoolDir", str(layout.slurmd_spool_dir)
    yield "SlurmctldPidFile", str(layout.run_dir / "slurmctld.pid")
    yield "SlurmdPidFile", str(layout.run_dir / "slurmd.pid")
    yield "SlurmctldLogFile", str(layout.log_dir / "slurmctld.log")
    yield "SlurmdLogFile", str(layout.log_dir / "slurmd.log")
    yield "ProctrackType", "proctrack/cgroup" if layout.cgroups else "proctrack/linuxproc"
    yield "TaskPlugin", "task/affinity,task/cgroup" if layout.cgroups else "task/none"
    yield "MpiDefault", "none"
    yield "ReturnToService", "2"
    yield "SchedulerType", "sched/backfill"
    yield "SelectType", "select/cons_tres"
    memory = config.scheduler.enable_memory_based_scheduling
    yield "SelectTypeParameters", "CR_CPU_Memory" if memory else "CR_CPU"
    if any(cr.gpu_count for q in config.queues for cr in q.compute_resources):
        yield "GresTypes", "gpu"
    # Cloud nodes may not know each other's addresses: slurmctld must talk to each directly.
    yield "TreeWidth", str(min(MAX_TREE_WIDTH, max(1, len(all_nodes(config)))))
    yield "CommunicationParameters", "NoAddrCache"
    yield "PrivateData", "cloud"
    yield from _power_saving(config, layout)
    yield from _accounting(config, layout)


def _power_saving(config: NodeConfig, layout: SlurmLayout) -> Iterator[tuple[str, str]]:
    scheduler = config.scheduler
    yield "ResumeProgram", str(layout.resume_program)
    yield "SuspendProgram", str(layout.suspend_program)
    yield "ResumeTimeout", str(scheduler.resume_timeout_seconds)
    yield "SuspendTimeout", str(scheduler.suspend_timeout_seconds)
    idle = scheduler.scaledown_idletime_seconds
    yield "SuspendTime", "INFINITE" if idle < 0 else str(idle)
    yield "ResumeRate", "0"
    yield "SuspendRate", "0"
    static = all_static_nodes(config)
    if static:
        yield "SuspendExcNodes", hostlist.compress(static)
    parameters = [
        "idle_on_node_suspend",
        "power_save_min_interval=0",
        # compute nodes start ``slurmd --conf-server``: no slurm.conf to ship to them.
        "enable_configless",
        f"node_reg_mem_percent={NODE_REG_MEM_PERCENT}",
    ]
    if layout.power_save_interval is not None:
        parameters.append(f"power_save_interval={layout.power_save_interval}")
    parameters.extend(layout.extra_controller_parameters)
    yield "SlurmctldParameters", ",".join(parameters)


def _accounting(config: NodeConfig, layout: SlurmLayout) -> Iterator[tuple[str, str]]:
    accounting = config.scheduler.accounting
    if accounting is None:
        return
    yield "AccountingStorageType", "accounting_storage/slurmdbd"
    if accounting.kind == "database":
        yield "AccountingStorageHost", layout.controller_hostname
        yield "AccountingStoragePort", str(layout.slurmdbd_port)
    else:
        yield "AccountingStorageHost", accounting.host
        yield "AccountingStoragePort", str(accounting.port)
    yield "JobAcctGatherType", "jobacct_gather/cgroup" if layout.cgroups else "jobacct_gather/linux"


def _node_lines(queue: Queue, resource: ComputeResource) -> list[str]:
    lines = []
    for kind, node_names, weight in (
        ("static", static_nodes(queue, resource), resource.static_node_priority),
        ("dynamic", dynamic_nodes(queue, resource), resource.dynamic_node_priority),
    ):
        if not node_names:
            continue
        features = [kind, *resource.instance_types, resource.name]
        if resource.efa_enabled:
            features.append("efa")
        if resource.gpu_count:
            features.append("gpu")
        settings = dict(resource.custom_slurm_settings)
        for key in [k for k in settings if k.lower() in FEATURE_KEYS]:  # user features add to ours
            user = slurm_value(settings.pop(key)).split(",")
            features.extend(f for f in (f.strip() for f in user) if f and f not in features)
        pairs = [
            ("NodeName", hostlist.compress(node_names)),
            ("CPUs", str(resource.vcpus)),
            ("RealMemory", str(real_memory_mib(resource))),
            ("State", "CLOUD"),
            ("Feature", ",".join(features)),
            ("Weight", str(weight)),
        ]
        gres = gres_spec(resource)
        if gres:
            pairs.append(("Gres", gres))
        lines.append(render_line(merge_parameters(pairs, settings)))
    return lines


def _partition_line(queue: Queue, default: bool) -> str:
    names = [n for cr in queue.compute_resources for n in static_nodes(queue, cr) + dynamic_nodes(queue, cr)]
    pairs = [
        ("PartitionName", queue.name),
        ("Nodes", hostlist.compress(names)),
        ("Default", "YES" if default else "NO"),
        ("MaxTime", "INFINITE"),
        ("State", "UP"),
    ]
    if queue.job_exclusive_allocation:
        pairs.append(("OverSubscribe", "EXCLUSIVE"))
    return render_line(merge_parameters(pairs, queue.custom_slurm_settings))
