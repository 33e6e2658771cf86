"""Security groups (open ingress only for TCP 443 of a group tagged as a public load balancer's) and flow logs."""

from __future__ import annotations

from typing import Any

import pytest

from policy import PolicyResource
from tests.policy.helpers import TAGS, Case, case, check, res

SG = "aws:ec2/securityGroup:SecurityGroup"
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
PUBLIC_LB = {**TAGS, "meridian:exposure": "public-lb"}


def group(name: str = "sg", tags: dict[str, str] = TAGS, *ingress: dict[str, Any]) -> PolicyResource:
    return res(SG, name, {"tags": tags, "ingress": list(ingress)} if ingress else {"tags": tags})


def block(port: int, *cidrs: str, to: int | None = None, protocol: str = "tcp") -> dict[str, Any]:
    return {"protocol": protocol, "fromPort": port, "toPort": port if to is None else to,
            "cidrBlocks": [c for c in cidrs if ":" not in c], "ipv6CidrBlocks": [c for c in cidrs if ":" in c]}


def rule(of: PolicyResource, port: int, cidr: str, name: str = "rule") -> PolicyResource:
    key = "cidrIpv6" if ":" in cidr else "cidrIpv4"
    return res(INGRESS, name, {"securityGroupId": "sg-1", "ipProtocol": "tcp", "fromPort": port, "toPort": port,
                               key: cidr, "tags": TAGS}, deps=(of,))


LB, PRIVATE = group("lb", PUBLIC_LB), group("private")
VPC = res("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16", "tags": TAGS}, protect=True)

CASES: list[Case] = [
    case("sg-no-public-ingress", "vpc-cidr", group("sg", TAGS, block(22, "10.0.0.0/16"))),
    case("sg-no-public-ingress", "https-public-lb", group("sg", PUBLIC_LB, block(443, "0.0.0.0/0", "::/0"))),
    case("sg-no-public-ingress", "ssh-from-world", group("sg", TAGS, block(22, "0.0.0.0/0")), violators=("sg",),
         says="tcp 22-22 from 0.0.0.0/0"),
    case("sg-no-public-ingress", "https-untagged", group("sg", TAGS, block(443, "::/0")), violators=("sg",),
         says="meridian:exposure=public-lb"),
    case("sg-no-public-ingress", "range-on-public-lb", group("sg", PUBLIC_LB, block(80, "0.0.0.0/0", to=443)),
         violators=("sg",)),
    case("sg-no-public-ingress", "all-protocols-on-public-lb",
         group("sg", PUBLIC_LB, block(443, "0.0.0.0/0", protocol="-1")), violators=("sg",)),
    case("sg-rule-no-public-ingress", "https-to-public-lb", LB, rule(LB, 443, "0.0.0.0/0")),
    case("sg-rule-no-public-ingress", "internal", PRIVATE, rule(PRIVATE, 9093, "10.20.0.0/16")),
    case("sg-rule-no-public-ingress", "https-to-private-group", PRIVATE, rule(PRIVATE, 443, "::/0"),
         violators=("rule",), says="not tagged"),
    case("sg-rule-no-public-ingress", "postgres-to-public-lb", LB, rule(LB, 5432, "0.0.0.0/0"),
         violators=("rule",), says="open to the internet"),
    case("sg-rule-no-public-ingress", "legacy-rule", res(GROUP_RULE, "legacy", {
        "type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrBlocks": ["0.0.0.0/0"],
        "securityGroupId": "sg-1"}), violators=("legacy",)),
    case("sg-rule-no-public-ingress", "legacy-egress", res(GROUP_RULE, "egress", {
        "type": "egress", "protocol": "-1", "fromPort": 0, "toPort": 0, "cidrBlocks": ["0.0.0.0/0"]})),
    case("vpc-flow-logs", "logged", VPC, res("aws:ec2/flowLog:FlowLog", "fl", {"trafficType": "ALL"}, deps=(VPC,))),
    case("vpc-flow-logs", "unlogged", VPC, violators=("vpc",), says="FlowLog"),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: f"{c.rule}-{c.id}")
def test_rule(c: Case) -> None:
    check(c)
