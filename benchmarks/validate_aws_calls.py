"""AWS API calls (and time) of `validate --aws` as a config grows to 50 queues, against moto.

The AWS-backed validators batch their lookups by kind of resource (one DescribeSubnets for
every subnet, one DescribeInstanceTypes for up to 100 types, ...), so the count should stay
flat as queues are added. Prints figures only; needs moto (a dev dependency), no AWS account.

    python benchmarks/validate_aws_calls.py
"""

from __future__ import annotations

import copy
import os
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

TYPES = [
    "c5.xlarge",
    "c5.2xlarge",
    "m5.large",
    "m5.xlarge",
    "r5.large",
    "t3.medium",
    "c5a.xlarge",
    "m6i.large",
]


def main() -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ.update(
        AWS_ENDPOINT_URL=f"http://{host}:{port}",
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
    )
    try:
        from pcluster_pulumi.spec.aws_checks import AwsChecks
        from pcluster_pulumi.spec.loader import validate_text
        from tests.spec.aws.world import build_world

        world = build_world()
        base = world.config()
        print(f"{'queues':>6} {'compute resources':>17} {'API calls':>9} {'seconds':>8}  calls by operation")
        for count in (1, 10, 25, 50):
            config = copy.deepcopy(base)
            template = config["Scheduling"]["SlurmQueues"][0]
            queues = []
            for i in range(count):
                queue = copy.deepcopy(template)
                queue["Name"] = f"q{i}"
                queue["ComputeResources"] = [{"Name": f"cr{i}", "InstanceType": TYPES[i % len(TYPES)]}]
                queue["Networking"]["SubnetIds"] = [[world.subnet_a, world.subnet_b][i % 2]]
                queues.append(queue)
            config["Scheduling"]["SlurmQueues"] = queues
            checks = AwsChecks()
            started = time.perf_counter()
            result = validate_text(yaml.safe_dump(config, sort_keys=False), "bench.yaml", extra=checks)
            seconds = time.perf_counter() - started
            assert checks.session is not None
            errors = [p for p in result.problems if p.level.name == "ERROR"]
            by_op = ", ".join(f"{op.split(':')[1]} {n}" for op, n in sorted(checks.session.calls.items()))
            note = f"  ({len(errors)} errors)" if errors else ""
            print(f"{count:>6} {count:>17} {checks.total_calls:>9} {seconds:>8.2f}  {by_op}{note}")
    finally:
        server.stop()


if __name__ == "__main__":
    main()
