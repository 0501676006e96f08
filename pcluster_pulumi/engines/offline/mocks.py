"""The mocked AWS of offline ``plan``: invoke answers and the computed outputs of resources.

Invokes are answered from ``OfflineFacts`` (``facts_offline.py``). A created resource gets its
inputs back plus the computed fields the program reads — ``arn``, a zone id, generated names,
a private IP, storage DNS and mount names, the RDS endpoint and managed secret
(``storage_offline.computed_outputs``) — derived from its logical name, so every plan of a spec
is byte-identical and a test can follow an id (``<logical name>-id``) from one resource into
another's inputs. A read of existing storage (``Resource.get``) is answered by
``storage_offline.read_state`` from the id the spec gives.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

from pulumi.runtime import mocks

from pcluster_pulumi.engines.offline.facts import OfflineFacts, instance_type_facts
from pcluster_pulumi.engines.offline.storage_facts import computed_outputs, read_state

__all__ = ["PlanMocks"]


def _suffix(text: str, width: int = 8) -> str:
    """A short stable hex string for a name (what autonaming would add, deterministically)."""
    return f"{zlib.crc32(text.encode()):08x}"[:width]


class PlanMocks(mocks.Mocks):
    """Answers invokes from offline facts and gives resources plausible computed outputs."""

    def __init__(self, facts: OfflineFacts, os_name: str | None) -> None:
        self.facts = facts
        self.os_name = os_name

    def call(self, args: mocks.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        """Answer an invoke (wire-form args) from the offline facts; unknown tokens fail loudly."""
        token, a, f = args.token, args.args, self.facts
        partition, suffix = f.partition_facts()
        if token == "aws:index/getRegion:getRegion":
            return {
                "region": f.region,
                "name": f.region,
                "id": f.region,
                "endpoint": f"ec2.{f.region}.{suffix}",
            }
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            arn = f"arn:{partition}:iam::{f.account_id}:user/plan"
            return {"accountId": f.account_id, "arn": arn, "userId": "AIDAPLAN", "id": f.account_id}
        if token == "aws:index/getPartition:getPartition":
            return {
                "partition": partition,
                "dnsSuffix": suffix,
                "reverseDnsPrefix": "com.amazonaws",
                "id": partition,
            }
        if token == "aws:ec2/getSubnet:getSubnet":
            s = f.subnet(a["id"])
            return {"id": a["id"], "vpcId": s["vpc_id"], "availabilityZone": s["availability_zone"]}
        if token == "aws:ec2/getRouteTables:getRouteTables":
            return self._route_tables(a)
        if token == "aws:ec2/getInstanceType:getInstanceType":
            t = instance_type_facts(a["instanceType"], f.instance_types.get(a["instanceType"]))
            gpus = [
                {"count": t.get("gpu_count", 0), "name": t.get("gpu_type") or "gpu", "manufacturer": "NVIDIA"}
            ]
            return {
                "id": a["instanceType"],
                "instanceType": a["instanceType"],
                "defaultVcpus": t["vcpus"],
                "memorySize": t["memory_mib"],
                "defaultCores": t.get("default_cores", t["vcpus"]),
                "defaultThreadsPerCore": t.get("threads_per_core", 1),
                "gpuses": gpus if t.get("gpu_count") else [],
                "efaSupported": bool(t.get("efa_supported")),
                "maximumNetworkCards": t.get("max_network_cards", 1),
                "supportedArchitectures": t.get("architectures", ["x86_64"]),
                "instanceDisks": [{"count": t["instance_store_disks"], "size": 100, "type": "ssd"}]
                if t.get("instance_store_disks")
                else [],
            }
        if token == "aws:ec2/getAmi:getAmi":
            filters = {flt["name"]: flt["values"] for flt in a.get("filters", [])}
            arch = (filters.get("architecture") or ["x86_64"])[0]
            key = filters["image-id"][0] if "image-id" in filters else f"official:{self.os_name}:{arch}"
            ami = f.ami(key, arch, self.os_name)
            return {
                "id": ami["image_id"],
                "imageId": ami["image_id"],
                "architecture": ami["architecture"],
                "rootDeviceName": ami["root_device_name"],
                "name": ami["name"],
            }
        if token == "aws:route53/getZone:getZone":
            zone = a["zoneId"]
            return {"id": zone, "zoneId": zone, "name": f.hosted_zones.get(zone, "example.com.")}
        if token == "aws:iam/getInstanceProfile:getInstanceProfile":
            role = f.instance_profile_role(a["name"], partition)
            return {"id": a["name"], "name": a["name"], "roleArn": role}
        if token == "aws:cloudcontrol/getResource:getResource":
            found = f.capacity_reservation(a["identifier"])
            zone = found["availability_zone"]
            properties = {"InstanceType": found["instance_type"], "AvailabilityZone": zone}
            return {"id": a["identifier"], "identifier": a["identifier"], "typeName": a["typeName"],
                    "properties": json.dumps(properties)}  # fmt: skip
        if token == "aws:ec2/getElasticIp:getElasticIp":
            return {"id": f.elastic_ip(a["publicIp"]), "publicIp": a["publicIp"]}
        raise NotImplementedError(f"offline plan has no answer for invoke {token}")

    def _route_tables(self, a: dict[str, Any]) -> dict[str, Any]:
        """Route tables of a subnet: each subnet has its own; it routes to an IGW as the facts say."""
        filters = {flt["name"]: flt["values"] for flt in a.get("filters", [])}
        subnets = filters.get("association.subnet-id") or []
        if not subnets:  # the VPC's main table: never reached, every subnet has its own
            return {"id": "main", "ids": []}
        public = bool(self.facts.subnet(subnets[0])["internet_gateway"])
        found = [] if "route.gateway-id" in filters and not public else [f"rtb-{_suffix(subnets[0])}"]
        return {"id": subnets[0], "ids": found}

    def new_resource(self, args: mocks.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        """Echo the inputs, add the computed outputs the program reads, id ``<name>-id``; answer reads."""
        if args.resource_id:  # a read of existing storage (Resource.get)
            state = read_state(args.typ, args.resource_id, self.facts.region, self.facts.account_id)
            if state is None:
                raise NotImplementedError(f"offline plan cannot read {args.typ} {args.resource_id}")
            return args.resource_id, state
        name, inputs, f = args.name, dict(args.inputs), self.facts
        partition, _ = self.facts.partition_facts()
        resource_id = f"{name}-id"
        service, _, kind = args.typ.partition(":")[2].partition("/")
        out: dict[str, Any] = {**inputs, "arn": f"arn:{partition}:{service}:{f.region}:{f.account_id}:{name}"}
        generated = (inputs.get("namePrefix") or inputs.get("bucketPrefix") or "") + _suffix(name) * 3
        if args.typ == "aws:s3/bucket:Bucket":
            out.update(bucket=generated[:63], arn=f"arn:{partition}:s3:::{generated[:63]}")
        elif args.typ in ("aws:iam/role:Role", "aws:iam/instanceProfile:InstanceProfile"):
            kind_name = "role" if kind.startswith("role") else "instance-profile"
            path = inputs.get("path", "/")
            out.update(
                name=resource_id, arn=f"arn:{partition}:iam::{f.account_id}:{kind_name}{path}{resource_id}"
            )
        elif args.typ == "aws:dynamodb/table:Table":
            out["arn"] = f"arn:{partition}:dynamodb:{f.region}:{f.account_id}:table/{inputs['name']}"
        elif args.typ == "aws:route53/zone:Zone":
            out["zoneId"] = f"Z{_suffix(name).upper()}{_suffix(name[::-1]).upper()}"
        elif args.typ == "aws:cloudwatch/logGroup:LogGroup":
            out.update(
                name=generated, arn=f"arn:{partition}:logs:{f.region}:{f.account_id}:log-group:{generated}"
            )
        elif args.typ == "aws:ec2/placementGroup:PlacementGroup":
            out["name"] = f"{name}-{_suffix(name, 7)}"
        elif args.typ == "aws:ec2/networkInterface:NetworkInterface":
            crc = int(_suffix(name), 16)
            out["privateIp"] = f"10.0.{crc % 256}.{4 + (crc >> 8) % 250}"
        elif args.typ == "aws:ec2/eip:Eip":
            out.update(
                allocationId=f"eipalloc-{_suffix(name)}",
                publicIp=f"203.0.113.{int(_suffix(name), 16) % 254 + 1}",
            )
        elif args.typ == "aws:lb/loadBalancer:LoadBalancer":
            scheme = "internal-" if inputs.get("internal") else ""
            out["dnsName"] = (
                f"{scheme}{inputs.get('name', name)}-{_suffix(name)}.elb.{f.region}.amazonaws.com"
            )
        elif args.typ == "aws:ec2/launchTemplate:LaunchTemplate":
            out["latestVersion"] = 1
        elif args.typ == "aws:cloudwatch/metricAlarm:MetricAlarm":
            out["arn"] = (
                f"arn:{partition}:cloudwatch:{f.region}:{f.account_id}:alarm:{inputs.get('name', name)}"
            )
        out.update(computed_outputs(args.typ, resource_id, f.region, f.account_id))
        return resource_id, out
