"""The fake AWS account a resume benchmark runs in, and what each engine reads to run in it.

``World`` starts a moto server and ``aws_latency_proxy.py`` in front of it, each its own process
(their CPU is not the program's), provisions what a deployment leaves in the account (subnets,
launch templates, tables, private zone) and reads back what a resume left. ``setup_ours`` and
``setup_parallelcluster`` write each engine's own configuration files for the same cluster.
Used by ``resume_scaling.py``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("PCLUSTER_PULUMI_ROOT", HERE.parent))
sys.path.insert(0, str(ROOT))

from pcluster_pulumi.node import hostlist  # noqa: E402

CLUSTER = "bench"
REGION = "us-east-1"
QUEUE = "q"
SINGLE = ["c5.large"]
MULTI = ["c5.large", "m5.large", "r5.large"]
HEAD_IP = "10.20.0.10"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


@dataclass(frozen=True)
class Shape:
    """Compute resources of the queue and whether they launch several types (CreateFleet)."""

    crs: int
    multi: bool

    @property
    def names(self) -> list[str]:
        return [f"{'f' if self.multi else 'c'}{i}" for i in range(self.crs)]

    @property
    def types(self) -> list[str]:
        return MULTI if self.multi else SINGLE

    def nodes(self, n: int) -> list[str]:
        """n node names spread evenly over the compute resources."""
        names = self.names
        return [f"{QUEUE}-dy-{names[i % len(names)]}-{i // len(names) + 1}" for i in range(n)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def post(url: str) -> bytes:
    return urllib.request.urlopen(urllib.request.Request(url, method="POST", data=b""), timeout=60).read()


class World:
    """A moto server and the latency proxy in front of it, each its own process."""

    def __init__(self, scratch: Path) -> None:
        os.environ.update(CREDENTIALS)  # for provisioning from this process
        os.environ.pop("AWS_ENDPOINT_URL", None)
        self.moto_port, self.proxy_port = _free_port(), _free_port()
        self.moto_url = f"http://127.0.0.1:{self.moto_port}"
        self.proxy_url = f"http://127.0.0.1:{self.proxy_port}"
        log = open(scratch / "servers.log", "wb")  # noqa: SIM115 - lives as long as the servers
        self.processes = [
            subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.moto_port)],
                stdout=log,
                stderr=log,
            ),
            subprocess.Popen(
                [
                    sys.executable,
                    str(HERE / "aws_latency_proxy.py"),
                    "--listen",
                    str(self.proxy_port),
                    "--upstream",
                    f"127.0.0.1:{self.moto_port}",
                    "--latency-ms",
                    "0",
                ],
                stdout=log,
                stderr=log,
            ),
        ]
        _wait_for(f"{self.moto_url}/moto-api/")
        _wait_for(f"{self.proxy_url}/__proxy__/stats")

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # moto may still be serializing a large answer
                process.kill()
                process.wait()

    def client(self, service: str) -> Any:
        factory: Any = boto3.client
        return factory(service, region_name=REGION, endpoint_url=self.moto_url)

    def reset(self, latency_ms: float) -> None:
        post(f"{self.moto_url}/moto-api/reset")
        post(f"{self.proxy_url}/__proxy__/reset")
        post(f"{self.proxy_url}/__proxy__/latency?ms={latency_ms}")

    def calls(self) -> dict[str, Any]:
        """{"calls": {service.Operation: n}, "upstream_seconds": {service.Operation: moto's time}}."""
        return dict(json.loads(urllib.request.urlopen(f"{self.proxy_url}/__proxy__/stats").read()))

    def provision(self, shape: Shape) -> dict[str, Any]:
        """Subnets, launch templates, tables and zone: what a deployment leaves in the account."""
        ec2 = self.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
        subnets = [
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{16 * i}.0/20", AvailabilityZone=f"{REGION}{z}")[
                "Subnet"
            ]["SubnetId"]
            for i, z in enumerate("ab")
        ]
        tags = [{"Key": "parallelcluster:cluster-name", "Value": CLUSTER}]
        for cr in shape.names:
            data: dict[str, Any] = {
                "ImageId": "ami-12c6146b",
                "TagSpecifications": [{"ResourceType": "instance", "Tags": tags}],
            }
            if not shape.multi:
                data.update(
                    InstanceType=SINGLE[0], NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnets[0]}]
                )
            ec2.create_launch_template(LaunchTemplateName=f"{CLUSTER}-{QUEUE}-{cr}", LaunchTemplateData=data)
        ddb = self.client("dynamodb")
        for table in (f"parallelcluster-slurm-{CLUSTER}", f"parallelcluster-{CLUSTER}"):
            ddb.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        zone = self.client("route53").create_hosted_zone(
            Name=f"{CLUSTER}.pcluster.",
            CallerReference="bench",
            HostedZoneConfig={"PrivateZone": True},
            VPC={"VPCRegion": REGION, "VPCId": vpc},
        )
        return {
            "subnets": subnets if shape.multi else subnets[:1],
            "zone": zone["HostedZone"]["Id"].split("/")[-1],
        }

    def running(self) -> int:
        """Instances moto has running now (the launch outcome, independent of either engine)."""
        pages = self.client("ec2").get_paginator("describe_instances").paginate()
        return sum(1 for page in pages for r in page["Reservations"] for i in r["Instances"])

    def records(self) -> int:
        return int(
            self.client("dynamodb").scan(TableName=f"parallelcluster-slurm-{CLUSTER}", Select="COUNT")[
                "Count"
            ]
        )


def resume_file(directory: Path, nodes: list[str]) -> Path:
    names = hostlist.compress(nodes)
    path = directory / "resume.json"
    path.write_text(
        json.dumps(
            {
                "all_nodes_resume": names,
                "jobs": [{"job_id": 1, "nodes_alloc": names, "nodes_resume": names, "oversubscribe": "NO"}],
            }
        )
    )
    return path


def setup_ours(directory: Path, shape: Shape, world: dict[str, Any], package: Path) -> dict[str, str]:
    """The runtime configuration and environment our resume wrapper would give the program."""
    config = {
        "format_version": 1,
        "cluster_name": CLUSTER,
        "region": REGION,
        "head_node": {"private_ip": HEAD_IP, "hostname": "head"},
        "tables": {
            "nodes_table": f"parallelcluster-slurm-{CLUSTER}",
            "status_table": f"parallelcluster-{CLUSTER}",
        },
        "dns": {"hosted_zone_id": world["zone"], "domain": f"{CLUSTER}.pcluster."},
        "queues": [
            {
                "name": QUEUE,
                "subnet_ids": world["subnets"],
                "compute_resources": [
                    {
                        "name": cr,
                        "instances": [
                            {"instance_type": t, "vcpus": 2, "memory_mib": 4096} for t in shape.types
                        ],
                        "launch_template_name": f"{CLUSTER}-{QUEUE}-{cr}",
                        "max_count": 1000,
                    }
                    for cr in shape.names
                ],
            }
        ],
    }
    (directory / "config.json").write_text(json.dumps(config))
    return {
        "PYTHONPATH": str(package),
        "PCLUSTER_PULUMI_NODE_CONFIG": str(directory / "config.json"),
        "PCLUSTER_PULUMI_LOG_DIR": str(directory / "logs"),
        "PCLUSTER_PULUMI_STATE_DIR": str(directory / "state"),
    }


def setup_parallelcluster(directory: Path, shape: Shape, world: dict[str, Any]) -> dict[str, str]:
    """The slurm_resume config, fleet config, logging config and heartbeat ParallelCluster reads."""
    fleet = {
        QUEUE: {
            cr: {
                "Api": "create-fleet" if shape.multi else "run-instances",
                "CapacityType": "on-demand",
                "AllocationStrategy": "lowest-price",
                "Instances": [{"InstanceType": t} for t in shape.types],
                "Networking": {"SubnetIds": world["subnets"]},
            }
            for cr in shape.names
        }
    }
    (directory / "fleet-config.json").write_text(json.dumps(fleet))
    heartbeat = directory / "clustermgtd_heartbeat"
    heartbeat.write_text(time.strftime("%Y-%m-%d %H:%M:%S.000000+0000", time.gmtime()) + "\n")
    log_file, events = directory / "slurm_resume.log", directory / "slurm_resume.events"
    logging_conf = directory / "logging.conf"
    logging_conf.write_text(
        "[loggers]\nkeys=root,events\n[handlers]\nkeys=fileHandler,eventsHandler\n"
        "[formatters]\nkeys=defaultFormatter,eventsFormatter\n"
        "[logger_root]\nlevel=INFO\nhandlers=fileHandler\n"
        "[formatter_defaultFormatter]\n"
        "format=%(asctime)s - %(process)d - [%(name)s:%(funcName)s] - %(levelname)s - %(message)s\n"
        f"[handler_fileHandler]\nclass=FileHandler\nlevel=INFO\nformatter=defaultFormatter\nargs=('{log_file}',)\n"
        "[logger_events]\nlevel=WARNING\nhandlers=eventsHandler\npropagate=0\nqualname=slurm_plugin.resume.events\n"
        "[formatter_eventsFormatter]\nformat=%(message)s\n"
        "[handler_eventsHandler]\nclass=FileHandler\nlevel=WARNING\nformatter=eventsFormatter\n"
        f"args=('{events}', 'a', None, False)\n"
    )
    (directory / "resume.conf").write_text(
        "[slurm_resume]\n"
        f"cluster_name = {CLUSTER}\nregion = {REGION}\nproxy = NONE\n"
        f"dynamodb_table = parallelcluster-slurm-{CLUSTER}\n"
        f"hosted_zone = {world['zone']}\ndns_domain = {CLUSTER}.pcluster.\nuse_private_hostname = false\n"
        f"head_node_private_ip = {HEAD_IP}\nhead_node_hostname = head\n"
        f"clustermgtd_heartbeat_file_path = {heartbeat}\n"
        f"fleet_config_file = {directory / 'fleet-config.json'}\n"
        f"run_instances_overrides = {directory / 'none.json'}\n"
        f"create_fleet_overrides = {directory / 'none.json'}\n"
        f"logging_config = {logging_conf}\n"
        "scaling_strategy = all-or-nothing\njob_level_scaling = true\n"
    )
    return {"CONFIG_FILE": str(directory / "resume.conf"), "BENCH_LOG": str(log_file)}
