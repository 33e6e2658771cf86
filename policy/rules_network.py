"""Network rules: no ingress from the whole internet, except HTTPS to a public load balancer; VPC flow logs.

Convention: the security group of an internet-facing load balancer carries the tag
`meridian:exposure = public-lb`. Only such a group may accept 0.0.0.0/0 or ::/0, and only on TCP 443 (from_port and
to_port both 443). Inline `ingress` blocks are judged against their group's tags; a standalone rule
(`aws.vpc.SecurityGroupIngressRule`, `aws.ec2.SecurityGroupRule`) against the tags of the group it joins, found by
its dependency on that group or by `securityGroupId`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any, Final

from policy.model import PolicyResource, Rule, StackRule, get, is_unknown, items, tags_of

EXPOSURE_TAG: Final = "meridian:exposure"
PUBLIC_LB: Final = "public-lb"
HTTPS_PORT: Final = 443

GROUPS: Final = frozenset({"aws:ec2/securityGroup:SecurityGroup", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"})
INGRESS_RULE: Final = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
GROUP_RULE: Final = "aws:ec2/securityGroupRule:SecurityGroupRule"
VPC: Final = "aws:ec2/vpc:Vpc"
FLOW_LOG: Final = "aws:ec2/flowLog:FlowLog"


def _anywhere(cidr: object) -> bool:
    if not isinstance(cidr, str) or is_unknown(cidr):
        return False
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def is_public_lb(group: PolicyResource) -> bool:
    """Whether the group is tagged as an internet-facing load balancer's."""
    return tags_of(group).get(EXPOSURE_TAG) == PUBLIC_LB


def _open_ingress(cidrs: list[Any], from_port: object, to_port: object, protocol: object,
                  public_lb: bool) -> str | None:
    """The message for an ingress permission open to the internet that the convention does not allow."""
    open_to = [str(cidr) for cidr in cidrs if _anywhere(cidr)]
    if not open_to:
        return None
    https = str(protocol).lower() in ("tcp", "6") and from_port == HTTPS_PORT and to_port == HTTPS_PORT
    if https and public_lb:
        return None
    where = f"{protocol} {from_port}-{to_port} from {', '.join(open_to)}"
    if https:
        return (f"ingress {where} on a group not tagged {EXPOSURE_TAG}={PUBLIC_LB}: restrict the source, or tag "
                "the group if it is an internet-facing load balancer's")
    return (f"ingress {where} is open to the internet: restrict the source CIDR (only TCP 443 to a group tagged "
            f"{EXPOSURE_TAG}={PUBLIC_LB} may be public)")


def inline_ingress(resource: PolicyResource) -> list[str]:
    """A security group's inline ingress blocks."""
    found = []
    for block in items(resource.inputs.get("ingress")):
        cidrs = items(get(block, "cidrBlocks")) + items(get(block, "ipv6CidrBlocks"))
        message = _open_ingress(cidrs, get(block, "fromPort"), get(block, "toPort"), get(block, "protocol"),
                                is_public_lb(resource))
        if message:
            found.append(message)
    return found


def _group_of(rule: PolicyResource, resources: Sequence[PolicyResource]) -> PolicyResource | None:
    group_id = rule.inputs.get("securityGroupId")
    return next((resource for resource in resources if resource.type in GROUPS and (
        resource.urn in rule.dependencies or (group_id and resource.inputs.get("id") == group_id))), None)


def standalone_ingress(resources: Sequence[PolicyResource]) -> list[tuple[PolicyResource, str]]:
    """Standalone ingress rules, judged against the tags of the group they join."""
    found = []
    for rule in resources:
        inputs = rule.inputs
        if rule.type == INGRESS_RULE:
            cidrs, protocol = [inputs.get("cidrIpv4"), inputs.get("cidrIpv6")], inputs.get("ipProtocol")
        elif rule.type == GROUP_RULE and inputs.get("type") == "ingress":
            cidrs, protocol = items(inputs.get("cidrBlocks")) + items(inputs.get("ipv6CidrBlocks")), inputs.get(
                "protocol")
        else:
            continue
        group = _group_of(rule, resources)
        message = _open_ingress(cidrs, inputs.get("fromPort"), inputs.get("toPort"), protocol,
                                group is not None and is_public_lb(group))
        if message:
            found.append((rule, message))
    return found


def vpc_flow_logs(resources: Sequence[PolicyResource]) -> list[tuple[PolicyResource, str]]:
    """Every VPC has a flow log capturing its traffic."""
    logs = [resource for resource in resources if resource.type == FLOW_LOG]
    found = []
    for vpc in (resource for resource in resources if resource.type == VPC):
        vpc_id = vpc.inputs.get("id")
        if not any(vpc.urn in log.dependencies or (vpc_id and log.inputs.get("vpcId") == vpc_id) for log in logs):
            found.append((vpc, "no flow log: add an aws.ec2.FlowLog with vpc_id=vpc.id and traffic_type 'ALL'"))
    return found


RULES: Final[tuple[Rule | StackRule, ...]] = (
    Rule("sg-no-public-ingress", "Security groups accept internet traffic only on TCP 443 of a public load balancer.",
         "mandatory", GROUPS, inline_ingress),
    StackRule("sg-rule-no-public-ingress",
              "Security group rules accept internet traffic only on TCP 443 of a public load balancer's group.",
              "mandatory", GROUPS | {INGRESS_RULE, GROUP_RULE}, standalone_ingress),
    StackRule("vpc-flow-logs", "Every VPC records its traffic in flow logs.", "mandatory",
              frozenset({VPC, FLOW_LOG}), vpc_flow_logs),
)
