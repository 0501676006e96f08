"""Resume at scale: AWS API calls and wall time, pcluster-pulumi vs aws-parallelcluster-node.

For N = 10 / 100 / 1000 nodes in one job (all-or-nothing), on 1 and 4 compute resources,
single-type (RunInstances) and multi-type (CreateFleet), each engine resumes the nodes
against moto in-process, in a freshly provisioned account. Slurm is not involved (address
updates are skipped on both sides); the figures are EC2, DynamoDB and Route 53 calls
(counted at botocore's API-call layer) and wall time of the resume itself.

    python benchmarks/resume_scaling.py                          # ours only
    python benchmarks/resume_scaling.py --pc-python /tmp/pcnode/bin/python
        # also aws-parallelcluster-node 3.16.1 installed in a throwaway venv with moto

Prints figures; never passes or fails on them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import botocore.client
from moto import mock_aws

CLUSTER = "bench"
REGION = "us-east-1"
QUEUE = "q"
SINGLE = ["c5.large"]
MULTI = ["c5.large", "m5.large", "r5.large"]
SHAPES = [(1, False), (4, False), (1, True), (4, True)]
SIZES = [10, 100, 1000]


def resources(count: int, multi: bool) -> list[str]:
    return [f"{'f' if multi else 'c'}{i}" for i in range(count)]


def nodes_for(crs: list[str], n: int) -> list[str]:
    """n node names spread evenly over the compute resources."""
    return [f"{QUEUE}-dy-{crs[i % len(crs)]}-{i // len(crs) + 1}" for i in range(n)]


def provision(crs: list[str], multi: bool) -> dict[str, Any]:
    """Subnets, launch templates, tables and zone: what a deployment leaves in the account."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.20.{16 * i}.0/20", AvailabilityZone=f"{REGION}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in enumerate("ab")
    ]
    tags = [{"Key": "parallelcluster:cluster-name", "Value": CLUSTER}]
    for cr in crs:
        data: dict[str, Any] = {
            "ImageId": "ami-12c6146b",
            "TagSpecifications": [{"ResourceType": "instance", "Tags": tags}],
        }
        if not multi:
            data.update(
                InstanceType=SINGLE[0], NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnets[0]}]
            )
        ec2.create_launch_template(LaunchTemplateName=f"{CLUSTER}-{QUEUE}-{cr}", LaunchTemplateData=data)
    ddb = boto3.client("dynamodb", region_name=REGION)
    for table in (f"parallelcluster-slurm-{CLUSTER}", f"parallelcluster-{CLUSTER}"):
        ddb.create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "Id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "Id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    zone = boto3.client("route53", region_name=REGION).create_hosted_zone(
        Name=f"{CLUSTER}.pcluster.",
        CallerReference="bench",
        HostedZoneConfig={"PrivateZone": True},
        VPC={"VPCRegion": REGION, "VPCId": vpc},
    )
    return {"subnets": subnets, "zone": zone["HostedZone"]["Id"].split("/")[-1]}


@contextmanager
def counting() -> Iterator[Counter[str]]:
    """Count every AWS API call made by any botocore client while inside."""
    counts: Counter[str] = Counter()
    original = botocore.client.BaseClient._make_api_call

    def counted(self: Any, operation: str, params: Any) -> Any:
        counts[f"{self.meta.service_model.service_name}.{operation}"] += 1
        return original(self, operation, params)

    botocore.client.BaseClient._make_api_call = counted  # type: ignore[method-assign]
    try:
        yield counts
    finally:
        botocore.client.BaseClient._make_api_call = original  # type: ignore[method-assign]


def run_ours(crs: list[str], multi: bool, nodes: list[str], world: dict[str, Any]) -> int:
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from pcluster_pulumi.node.aws import Clients
    from pcluster_pulumi.contract.config import NodeConfig
    from pcluster_pulumi.node.resume import resume

    class NoSlurm:
        def set_addresses(self, entries: Any) -> None: ...
        def set_down(self, nodes: Any, reason: str) -> None: ...

    config = NodeConfig.from_dict(
        {
            "format_version": 1,
            "cluster_name": CLUSTER,
            "region": REGION,
            "head_node": {"private_ip": "10.20.0.10", "hostname": "head"},
            "tables": {
                "nodes_table": f"parallelcluster-slurm-{CLUSTER}",
                "status_table": f"parallelcluster-{CLUSTER}",
            },
            "dns": {"hosted_zone_id": world["zone"], "domain": f"{CLUSTER}.pcluster."},
            "queues": [
                {
                    "name": QUEUE,
                    "subnet_ids": world["subnets"] if multi else world["subnets"][:1],
                    "compute_resources": [
                        {
                            "name": cr,
                            "instances": [
                                {"instance_type": t, "vcpus": 2, "memory_mib": 4096}
                                for t in (MULTI if multi else SINGLE)
                            ],
                            "launch_template_name": f"{CLUSTER}-{QUEUE}-{cr}",
                            "max_count": 1000,
                        }
                        for cr in crs
                    ],
                }
            ],
        }
    )
    report = resume(config, Clients(REGION), NoSlurm(), nodes, jobs=[nodes])  # type: ignore[arg-type]
    return len(report.launched)


def run_parallelcluster(crs: list[str], multi: bool, nodes: list[str], world: dict[str, Any]) -> int:
    import slurm_plugin.instance_manager as instance_manager
    from botocore.config import Config
    from slurm_plugin.common import ScalingStrategy
    from slurm_plugin.instance_manager import InstanceManager

    # No Slurm here: keep its address updates (and so its DynamoDB/DNS writes) but drop scontrol.
    instance_manager.update_nodes = lambda *args, **kwargs: None

    fleet = {
        QUEUE: {
            cr: {
                "Api": "create-fleet" if multi else "run-instances",
                "CapacityType": "on-demand",
                "AllocationStrategy": "lowest-price",
                "Instances": [{"InstanceType": t} for t in (MULTI if multi else SINGLE)],
                "Networking": {"SubnetIds": world["subnets"] if multi else world["subnets"][:1]},
            }
            for cr in crs
        }
    }
    manager = InstanceManager(
        region=REGION,
        cluster_name=CLUSTER,
        boto3_config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        table_name=f"parallelcluster-slurm-{CLUSTER}",
        hosted_zone=world["zone"],
        dns_domain=f"{CLUSTER}.pcluster.",
        head_node_private_ip="10.20.0.10",
        head_node_hostname="head",
        fleet_config=fleet,
        job_level_scaling=True,
    )
    names = ",".join(nodes)
    manager.add_instances(
        node_list=nodes,
        launch_batch_size=500,
        assign_node_batch_size=500,
        terminate_batch_size=1000,
        update_node_address=True,
        scaling_strategy=ScalingStrategy.ALL_OR_NOTHING,
        slurm_resume={
            "jobs": [{"job_id": 1, "nodes_alloc": names, "nodes_resume": names, "oversubscribe": "NO"}],
            "all_nodes_resume": names,
        },
    )
    failed = set().union(*manager.failed_nodes.values()) if manager.failed_nodes else set()
    return len(nodes) - len(failed)


def measure(engine: Callable[..., int]) -> list[dict[str, Any]]:
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    rows = []
    for count, multi in SHAPES:
        for n in SIZES:
            with mock_aws():
                crs = resources(count, multi)
                world = provision(crs, multi)
                nodes = nodes_for(crs, n)
                with counting() as counts:
                    start = time.perf_counter()
                    launched = engine(crs, multi, nodes, world)
                    seconds = time.perf_counter() - start
            rows.append(
                {
                    "crs": count,
                    "types": "multi" if multi else "single",
                    "n": n,
                    "launched": launched,
                    "seconds": round(seconds, 3),
                    "ec2": sum(v for k, v in counts.items() if k.startswith("ec2.")),
                    "dynamodb": sum(v for k, v in counts.items() if k.startswith("dynamodb.")),
                    "route53": sum(v for k, v in counts.items() if k.startswith("route53.")),
                    "calls": dict(sorted(counts.items())),
                }
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("ours", "parallelcluster"), default="ours")
    parser.add_argument("--json", action="store_true", help="print raw rows as JSON")
    parser.add_argument("--pc-python", help="python of a venv with aws-parallelcluster-node and moto")
    args = parser.parse_args()
    engine = run_ours if args.engine == "ours" else run_parallelcluster
    rows = measure(engine)
    if args.json:
        print(json.dumps(rows))
        return 0
    theirs: dict[tuple[int, str, int], dict[str, Any]] = {}
    if args.pc_python:
        done = subprocess.run(
            [args.pc_python, __file__, "--engine", "parallelcluster", "--json"],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1
        theirs = {(r["crs"], r["types"], r["n"]): r for r in json.loads(done.stdout.splitlines()[-1])}
    header = f"{'CRs':>3} {'types':>6} {'N':>5} | {'ours ec2/ddb/r53':>17} {'time s':>7}"
    if theirs:
        header += f" | {'pc 3.16.1 ec2/ddb/r53':>22} {'time s':>7} {'speed-up':>8}"
    print(header)
    print("-" * len(header))
    for row in rows:
        line = (
            f"{row['crs']:>3} {row['types']:>6} {row['n']:>5} | "
            f"{row['ec2']:>5}/{row['dynamodb']:>5}/{row['route53']:>5} {row['seconds']:>7.2f}"
        )
        other = theirs.get((row["crs"], row["types"], row["n"]))
        if other:
            line += (
                f" | {other['ec2']:>10}/{other['dynamodb']:>5}/{other['route53']:>5} {other['seconds']:>7.2f}"
                f" {other['seconds'] / max(row['seconds'], 1e-9):>7.1f}x"
            )
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
