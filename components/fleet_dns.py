"""Cross-region names (`meridian:fleet-dns:FleetDns`): the fleet's private hosted zone and the region's ExternalDNS.

The primary stack (the lowest order of its environment) creates the Route 53 private zone (`stacks/fleet.yaml`
`dns_zone`) with its own VPC; every later stack associates its VPC with it (the zone id through the primary's
StackReference), so the primary never changes when a region is added. The zone's `vpcs` are ignored after
creation, as the AWS provider requires when associations are separate resources (aws_route53_zone docs).

Each region runs ExternalDNS (chart 1.21.1, v0.21.0), limited to its own subdomain `<region>.<zone>`: the
`domainFilters`, and an IAM condition on the record names it may change (`route53:ChangeResourceRecordSets
NormalizedRecordNames`, docs/tutorials/aws.md), so one region can never rewrite another's records. It publishes
headless Services annotated `external-dns.alpha.kubernetes.io/hostname` (pod IPs, routable across the peered
VPCs, plus `<pod hostname>.<name>` per pod: docs/sources/service.md "Domain names for headless service pods").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from components.contracts import ZONE_LABEL, ClusterRef, MonitoringContract
from components.external_dns_metrics import NAMESPACE, RELEASE, SELECTOR, external_dns_contract
from components.helm import helm_release
from components.irsa import irsa_role
from components.namespaces import namespace, network_policies, prometheus_scrape
from components.peers import PeerStack
from components.policy_documents import policy_document
from components.tags import resource_tags

COMPONENT: Final = "fleet-dns"
SERVICE_ACCOUNT: Final = "external-dns"
METRICS_PORT: Final = 7979
POD_LABELS: Final = SELECTOR
RECORD_TTL_SECONDS: Final = 30
"""TTL the services' annotations ask for: a replaced pod's new address is seen across regions within it."""


@dataclass(frozen=True, kw_only=True)
class FleetDnsArgs:
    """Inputs of the fleet DNS component."""

    zone_name: str
    region_domain: str
    """`<region>.<zone>`: the only names this region's ExternalDNS may write."""
    vpc_id: pulumi.Input[str]
    vpc_cidr: str
    cluster: ClusterRef
    primary: PeerStack | None
    """The primary stack (None when this stack is the primary): its `fleetZoneId` output is the zone."""
    tags: Mapping[str, str]
    protect_stateful: bool


def chart_values(args: FleetDnsArgs, zone_id: pulumi.Input[str], role_arn: pulumi.Input[str]) -> dict[str, Any]:
    """external-dns values (charts/external-dns/values.yaml at external-dns-helm-chart-1.21.1)."""
    return {
        "provider": {"name": "aws"},
        "sources": ["service"],
        "policy": "sync",  # deletes the records of pods and services that are gone
        "registry": "txt",
        "txtOwnerId": args.cluster.cluster_name,
        "domainFilters": [args.region_domain],
        "extraArgs": ["--aws-zone-type=private", pulumi.Output.concat("--zone-id-filter=", zone_id)],
        "interval": "30s",
        "triggerLoopOnEvent": True,
        "env": [{"name": "AWS_DEFAULT_REGION", "value": args.cluster.region}],
        "serviceAccount": {"name": SERVICE_ACCOUNT, "annotations": {
            "eks.amazonaws.com/role-arn": role_arn, "eks.amazonaws.com/sts-regional-endpoints": "true"}},
        "resources": {"requests": {"cpu": "50m", "memory": "64Mi"}, "limits": {"memory": "128Mi"}},
        "topologySpreadConstraints": [{"maxSkew": 1, "topologyKey": ZONE_LABEL, "whenUnsatisfiable": "ScheduleAnyway",
                                       "labelSelector": {"matchLabels": dict(POD_LABELS)}}],
    }


def route53_policy(zone_arn: pulumi.Input[str], region_domain: str) -> pulumi.Output[str]:
    """ExternalDNS's least privilege (docs/tutorials/aws.md): change records of `*.<region domain>` in the zone only."""
    return pulumi.Output.from_input(zone_arn).apply(lambda arn: policy_document(
        {"Effect": "Allow", "Action": ["route53:ChangeResourceRecordSets"], "Resource": [arn],
         "Condition": {"ForAllValues:StringLike": {
             "route53:ChangeResourceRecordSetsNormalizedRecordNames": [f"*.{region_domain}", region_domain]}}},
        {"Effect": "Allow", "Action": ["route53:ListResourceRecordSets", "route53:ListTagsForResources"],
         "Resource": [arn]},
        {"Effect": "Allow", "Action": ["route53:ListHostedZones"], "Resource": ["*"]}))


class FleetDns(pulumi.ComponentResource):
    """The fleet zone (primary) or this VPC's association with it, and the region's ExternalDNS."""

    zone_id: pulumi.Output[str]
    contract: MonitoringContract
    ready: list[pulumi.Resource]

    def __init__(self, name: str, args: FleetDnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:fleet-dns:FleetDns", name, None, opts)
        region = args.cluster.region
        if args.primary is None:
            zone = aws.route53.Zone(
                f"{name}-zone", name=args.zone_name, comment="Meridian fleet: cross-region endpoints",
                vpcs=[aws.route53.ZoneVpcArgs(vpc_id=args.vpc_id, vpc_region=region)], force_destroy=False,
                tags=resource_tags(args.tags, f"{name}-zone", COMPONENT),
                opts=pulumi.ResourceOptions(parent=self, protect=args.protect_stateful, ignore_changes=["vpcs"]))
            self.zone_id = zone.zone_id
            zone_ready: list[pulumi.Resource] = [zone]
        else:
            self.zone_id = args.primary.outputs.require_output("fleetZoneId").apply(str)
            association = aws.route53.ZoneAssociation(
                f"{name}-zone-association", zone_id=self.zone_id, vpc_id=args.vpc_id, vpc_region=region,
                opts=pulumi.ResourceOptions(parent=self))
            zone_ready = [association]
        zone_arn = pulumi.Output.concat("arn:aws:route53:::hostedzone/", self.zone_id)
        role = irsa_role(f"{name}-role", oidc_provider_arn=args.cluster.oidc_provider_arn,
                         oidc_issuer=args.cluster.oidc_issuer, namespace=NAMESPACE, service_account=SERVICE_ACCOUNT,
                         policy=route53_policy(zone_arn, args.region_domain), tags=args.tags, component=COMPONENT,
                         parent=self)
        provider = args.cluster.provider
        ns = namespace(f"{name}-namespace", NAMESPACE, provider=provider, parent=self,
                       labels={"pod-security.kubernetes.io/enforce": "restricted"})
        policies = network_policies(
            name, ns.metadata.name, provider=provider, parent=self,
            flows=[prometheus_scrape((METRICS_PORT,), POD_LABELS)],
            # The API server (VPC), and the public Route 53 and STS endpoints.
            egress_cidrs={args.vpc_cidr: (443,), "0.0.0.0/0": (443,)})
        release = helm_release(f"{name}-external-dns", chart_name="external-dns", namespace=ns.metadata.name,
                               values=chart_values(args, self.zone_id, role.arn), release_name=RELEASE,
                               provider=provider, parent=self, depends_on=[*policies, *zone_ready])
        self.ready = [release, *zone_ready]
        self.contract = external_dns_contract(region=region, cluster_name=args.cluster.cluster_name)
        self.register_outputs({"zoneId": self.zone_id, "roleArn": role.arn})
