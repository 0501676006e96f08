"""The update tests' cluster: a real slurmctld restarted as systemd would, moto, the bucket `up` writes to.

Its own cluster (not the scaling tests' one): updates add and remove queues, restart the
controller and change its configuration. slurmctld runs daemonized from a restart script that
stands in for ``systemctl restart pcluster-pulumi-slurmctld`` (stop, start, succeed once it
answers, fail if it dies first); the keeper wrapper is the bootstrap's, pointed at this cluster.
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from pcluster_pulumi.contract import names
from pcluster_pulumi.contract.config import NodeConfig
from pcluster_pulumi.contract.slurm_layout import SlurmLayout
from pcluster_pulumi.node.slurm_files import write_all
from pcluster_pulumi.node.update_status import UpdateStatus, get_status

from ..node.factories import compute_resource, config_dict, facts
from ..node.provision import AMI, provision, running_instances, table_items
from .conftest import REGION, SlurmCluster, install_node_package, start_backends, write_wrappers
from .ec2_proxy import Ec2Proxy
from .processes import Daemon, free_port, require

CLUSTER = "upd"
BUCKET = "pcluster-upd-artifacts"
#: Where `up` writes the runtime configuration (``cluster/bucket.py``: artifact prefix + config key).
CONFIG_KEY = f"pcluster-pulumi/{CLUSTER}/config/node-config.json"
SMALL = facts("t3.small", vcpus=1, memory_mib=2048)


def queue(name: str, resource: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "subnet_ids": ["subnet-a"], "compute_resources": [resource]}


def initial_document() -> dict[str, Any]:
    """One queue per scenario family; short timers so the suite stays quick."""
    return config_dict(
        cluster=CLUSTER,
        queues=[
            queue("work", compute_resource(CLUSTER, "work", "w", [SMALL], max_count=2)),
            queue(
                "fleet",
                compute_resource(
                    CLUSTER, "fleet", "f", [SMALL, facts("t3a.small", 1, 2048)], min_count=1, max_count=3
                ),
            ),
            queue("term", compute_resource(CLUSTER, "term", "t", [SMALL], max_count=1)),
            queue("gone", compute_resource(CLUSTER, "gone", "g", [SMALL], max_count=1)),
        ],
        dns={"hosted_zone_id": "to-be-created", "domain": names.hosted_zone_domain(CLUSTER)},
        head_node={"private_ip": "127.0.0.1", "hostname": socket.gethostname().split(".")[0]},
        scheduler={
            "scaledown_idletime_seconds": 300,
            "suspend_timeout_seconds": 4,
            "resume_timeout_seconds": 300,
            "scaling_strategy": "all-or-nothing",
            "queue_update_strategy": "DRAIN",
        },
        keeper={"interval_seconds": 2, "orphan_grace_seconds": 600, "ec2_health_checks": False},
        bucket=BUCKET,
    )


RESTART_SCRIPT = """#!/bin/sh
# Stands in for `systemctl restart pcluster-pulumi-slurmctld`: stop the running controller,
# start a new one on the live slurm.conf, succeed once it answers, fail if it dies first.
pidfile={pidfile}
# Every controller on this slurm.conf goes (not only the pid file's: a rollback restarts right
# after a failed start), and the next starts only once none answers: a controller still shutting
# down holds the port, and a ping it answers would pass for the new one's.
pkill -f "slurmctld -f {conf}" 2>/dev/null
answering() {{ pgrep -f "slurmctld -f {conf}" >/dev/null || {scontrol} ping 2>/dev/null | grep -q 'is UP'; }}
i=0
while answering && [ $i -lt 300 ]; do
    sleep 0.1; i=$((i+1))
done
rm -f "$pidfile"
{slurmctld} -f {conf} || exit 1
i=0
while [ $i -lt 100 ]; do
    if {scontrol} ping 2>/dev/null | grep -q 'is UP'; then exit 0; fi
    if [ -s "$pidfile" ] && [ ! -d "/proc/$(cat "$pidfile")" ]; then break; fi
    sleep 0.2; i=$((i+1))
done
echo "slurmctld did not come up" >&2
exit 1
"""


@dataclass
class UpdateCluster:
    """The cluster, the last document written to S3, and the agent's reports."""

    slurm: SlurmCluster
    document: dict[str, Any]
    s3: Any
    dynamodb: Any

    def write(self, document: dict[str, Any]) -> str:
        """Put a runtime configuration object exactly as `up`'s RuntimeConfig component does."""
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        response = self.s3.put_object(
            Bucket=BUCKET, Key=CONFIG_KEY, Body=text.encode(), ContentType="application/json"
        )
        return str(response["ETag"]).strip('"')

    def keeper_once(self) -> None:
        self.slurm.run(str(self.slurm.root / "bin" / "keeper"), "--once")

    def update(self, document: dict[str, Any]) -> UpdateStatus:
        """Write document, run one keeper pass, return the head node's report about it."""
        etag = self.write(document)
        self.keeper_once()
        status = self.status()
        assert status is not None and status.config_etag == etag, f"{status}\n{self.keeper_log()}"
        if status.status == "APPLIED":
            self.document = document
        return status

    def status(self) -> UpdateStatus | None:
        return get_status(self.dynamodb, self.slurm.config.tables.status_table)

    def keeper_log(self) -> str:
        path = self.slurm.root / "log" / "keeper.log"
        return "\n".join(path.read_text().splitlines()[-40:]) if path.exists() else ""

    def partitions(self) -> dict[str, str]:
        """Partition name → its Nodes= value, as slurmctld answers."""
        out = self.slurm.run("scontrol", "show", "partition", "--oneliner")
        found = {}
        for line in out.splitlines():
            fields = dict(token.split("=", 1) for token in line.split() if "=" in token)
            found[fields["PartitionName"]] = fields.get("Nodes", "")
        return found

    def config_value(self, key: str) -> str:
        for line in self.slurm.run("scontrol", "show", "config").splitlines():
            name, _, value = line.partition("=")
            if name.strip() == key:
                return value.strip()
        raise AssertionError(f"{key} not in scontrol show config")

    def next_document(self) -> dict[str, Any]:
        return copy.deepcopy(self.document)

    def add_launch_template(self, queue_name: str, resource: str) -> None:
        """What Pulumi creates for a new compute resource (tagged, in the queue's subnet)."""
        ec2 = boto3.client("ec2", region_name=REGION)
        subnet = self.slurm.config.queues[0].subnet_ids[0]
        tags = [
            {"Key": names.TAG_CLUSTER_NAME, "Value": CLUSTER},
            {"Key": names.TAG_NODE_TYPE, "Value": names.NODE_TYPE_COMPUTE},
            {"Key": names.TAG_QUEUE_NAME, "Value": queue_name},
            {"Key": names.TAG_COMPUTE_RESOURCE_NAME, "Value": resource},
        ]
        ec2.create_launch_template(
            LaunchTemplateName=names.launch_template_name(CLUSTER, queue_name, resource),
            LaunchTemplateData={
                "ImageId": AMI,
                "InstanceType": "t3.small",
                "TagSpecifications": [{"ResourceType": "instance", "Tags": tags}],
                "InstanceInitiatedShutdownBehavior": "terminate",
                "NetworkInterfaces": [{"DeviceIndex": 0, "SubnetId": subnet}],
            },
        )


def _layout(root: Path, bin_dir: Path, munge_socket: Path) -> SlurmLayout:
    return SlurmLayout(
        controller_hostname=socket.gethostname().split(".")[0],
        controller_address="127.0.0.1",
        slurm_user="root",
        conf_dir=root / "etc",
        state_dir=root / "state",
        slurmd_spool_dir=root / "spool",
        log_dir=root / "log",
        run_dir=root / "run",
        slurmctld_port=free_port(),
        slurmd_port=free_port(),
        munge_socket=munge_socket,
        resume_program=bin_dir / "slurm-resume",
        suspend_program=bin_dir / "slurm-suspend",
        cgroups=False,
        power_save_interval=1,
    )


def _controllers(layout: SlurmLayout) -> list[int]:
    """Pids of the slurmctld processes running on this cluster's slurm.conf.

    Found by their command line, not only the pid file: a concurrent pytest session may have
    removed this session's old temp dir (pytest keeps the three newest), pid file included.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if argv and argv[0].endswith(b"slurmctld") and str(layout.slurm_conf).encode() in argv:
            found.append(int(entry.name))
    return found


def _kill_controller(layout: SlurmLayout) -> None:
    """Stop the daemonized controller(s) of this cluster and wait until they are gone."""
    for pid in _controllers(layout):
        try:
            os.kill(pid, 15)
        except OSError:
            continue
        for _ in range(100):
            try:
                if "Z" in Path(f"/proc/{pid}/stat").read_text().split()[2]:
                    break
            except OSError:
                break
            time.sleep(0.1)


@pytest.fixture(scope="module")
def updates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpdateCluster]:
    root = tmp_path_factory.mktemp("updates")
    root.chmod(0o755)
    daemons: list[Daemon] = []
    saved = dict(os.environ)
    proxy: Ec2Proxy | None = None
    layout: SlurmLayout | None = None
    try:
        munge_socket, moto_port, aws = start_backends(root, daemons)
        config = provision(NodeConfig.from_dict(initial_document()), cidr="127.78.0.0/16")
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        proxy = Ec2Proxy(moto_port, REGION)
        (root / "log").mkdir()
        install_node_package(root)
        bin_dir = root / "bin"
        bin_dir.mkdir()
        layout = _layout(root, bin_dir, munge_socket)
        for directory in (layout.state_dir, layout.slurmd_spool_dir, layout.run_dir):
            directory.mkdir()
        layout_file = root / "slurm-layout.json"
        layout_file.write_text(
            json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in asdict(layout).items()})
        )
        restart = bin_dir / "restart-slurmctld"
        restart.write_text(
            RESTART_SCRIPT.format(
                pidfile=layout.run_dir / "slurmctld.pid",
                slurmctld=require("slurmctld"),
                scontrol=require("scontrol"),
                conf=layout.slurm_conf,
            )
        )
        restart.chmod(0o755)
        config_path = root / "node-config.json"
        env = {
            **aws,
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{proxy.port}",
            # S3 straight to moto: the EC2 proxy forwards no HEAD requests (script downloads use them).
            "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{moto_port}",
            "PCLUSTER_PULUMI_NODE_CONFIG": str(config_path),
            "PCLUSTER_PULUMI_LOG_DIR": str(root / "log"),
            "PCLUSTER_PULUMI_STATE_DIR": str(root / "keeper-state"),
            "PCLUSTER_PULUMI_CONFIG_KEY": CONFIG_KEY,
            "PCLUSTER_PULUMI_SLURM_LAYOUT": str(layout_file),
            "PCLUSTER_PULUMI_SLURMCTLD_RESTART": str(restart),
            "SLURM_CONF": str(layout.slurm_conf),
            "PYTHONPATH": str(root / "lib"),
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        }
        write_wrappers(bin_dir, env)
        # The head node as the bootstrap leaves it: the document `up` wrote, fetched, and the Slurm files.
        document = config.to_dict()
        cluster = UpdateCluster(
            SlurmCluster(root, config, env, proxy, layout, daemons),
            document,
            s3,
            boto3.client("dynamodb", region_name=REGION),
        )
        cluster.write(document)
        config_path.write_text(config.to_json())
        write_all(config, layout)
        os.environ["SLURM_CONF"] = env["SLURM_CONF"]
        subprocess.run([str(restart)], env=env, check=True, timeout=60)
        yield cluster
    finally:
        if layout is not None:
            _kill_controller(layout)
        for daemon in reversed(daemons):
            daemon.stop()
        if proxy is not None:
            proxy.stop()
        os.environ.clear()
        os.environ.update(saved)


def records(cluster: UpdateCluster, prefix: str) -> dict[str, str]:
    """Node → instance id from the nodes table, for nodes whose name starts with prefix."""
    return {
        n: i["InstanceId"]["S"] for n, i in table_items(cluster.slurm.config).items() if n.startswith(prefix)
    }


def live(cluster: UpdateCluster) -> dict[str, dict[str, Any]]:
    return running_instances(cluster.slurm.config)


def submit(cluster: UpdateCluster, partition: str, command: str, *extra: str) -> str:
    out = cluster.slurm.run("sbatch", "--parsable", "-p", partition, "-N", "1", *extra, "--wrap", command)
    return out.strip().split(";")[0]


def job_field(cluster: UpdateCluster, job: str, key: str) -> str:
    out = cluster.slurm.run("scontrol", "show", "job", job, "--oneliner", check=False)
    for token in out.split():
        if token.startswith(f"{key}="):
            return token.split("=", 1)[1]
    return ""
