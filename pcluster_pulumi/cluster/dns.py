"""The cluster's private DNS: the zone compute nodes are named in.

By default a private Route 53 zone ``<cluster>.pcluster.`` attached to the cluster's VPC; the
resume program writes one A record per node into it. ``Dns.HostedZoneId`` uses an existing
zone instead (the domain becomes ``<cluster>.<zone domain>``, as in ParallelCluster) and
``Dns.DisableManagedDns`` turns cluster DNS off (nodes then use EC2 hostnames).
``force_destroy`` lets ``pulumi destroy`` remove a zone that still holds node records, which
ParallelCluster needs a cleanup Lambda for.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from pcluster_pulumi.contract import names
from pcluster_pulumi.derive.context import ClusterContext
from pcluster_pulumi.spec.model import ClusterSpec

__all__ = ["Dns", "DnsPlan", "plan_dns"]


@dataclass(frozen=True)
class DnsPlan:
    """What the cluster's DNS is: a zone to create, an existing zone, or none."""

    mode: str  # "managed" | "existing" | "disabled"
    domain: str | None
    hosted_zone_id: str | None = None
    use_ec2_hostnames: bool = False


def plan_dns(spec: ClusterSpec, cluster: str, zone_domains: dict[str, str] | None = None) -> DnsPlan:
    """Decide the DNS mode and domain; ``zone_domains`` maps an existing zone id to its name."""
    dns = spec.scheduling.slurm_settings.dns if spec.scheduling.slurm_settings else None
    use_ec2 = bool(dns and dns.use_ec2_hostnames)
    if not spec.is_slurm:  # AWS Batch names no nodes: no zone, as ParallelCluster's awsbatch stack
        return DnsPlan("disabled", None)
    if dns and dns.disable_managed_dns:
        return DnsPlan("disabled", None, use_ec2_hostnames=True)
    if dns and dns.hosted_zone_id:
        zone_name = (zone_domains or {}).get(dns.hosted_zone_id)
        if not zone_name:
            raise ValueError(f"the domain of hosted zone {dns.hosted_zone_id} was not resolved")
        domain = f"{cluster.lower()}.{zone_name.rstrip('.')}."
        return DnsPlan("existing", domain, dns.hosted_zone_id, use_ec2)
    return DnsPlan("managed", names.hosted_zone_domain(cluster), None, use_ec2)


class Dns(pulumi.ComponentResource):
    """The private hosted zone (or the reference to an existing one) and the cluster's domain."""

    hosted_zone_id: pulumi.Output[str | None]
    domain: str | None

    def __init__(self, name: str, ctx: ClusterContext, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("pcluster:dns:Dns", name, None, opts)
        self.plan = plan_dns(ctx.spec, ctx.name, dict(ctx.facts.hosted_zones))
        self.domain = self.plan.domain
        self.zone: aws.route53.Zone | None = None
        if self.plan.mode == "managed":
            assert self.plan.domain is not None
            self.zone = aws.route53.Zone(
                f"{name}-zone",
                name=self.plan.domain.rstrip("."),
                comment=f"Private zone of cluster {ctx.name}: one A record per compute node",
                vpcs=[{"vpc_id": ctx.vpc_id, "vpc_region": ctx.facts.region}],
                force_destroy=True,
                tags=ctx.tags,
                opts=pulumi.ResourceOptions(parent=self),
            )
            self.hosted_zone_id = self.zone.zone_id.apply(lambda z: z)
        else:
            self.hosted_zone_id = pulumi.Output.from_input(self.plan.hosted_zone_id)
        self.register_outputs({"hostedZoneId": self.hosted_zone_id, "domain": self.domain})
