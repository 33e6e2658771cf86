"""The Network component under the recording mocks: subnet plan, routing, endpoints, flow logs, tags, ref."""

from __future__ import annotations

import dataclasses
import ipaddress
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pulumi
import pytest

from components.config import StackConfig
from components.contracts import NetworkRef
from components.network import Network, NetworkArgs
from components.regions import ZONES_BY_REGION
from components.subnets import plan_subnets
from components.tags import REQUIRED_TAG_KEYS, base_tags
from meridian.synth.mocks import RecordedResource
from meridian.synth.plan import Plan
from meridian.synth.schema import is_taggable

COMPONENT = "meridian:network:Network"
VPC = "aws:ec2/vpc:Vpc"
SUBNET = "aws:ec2/subnet:Subnet"
ROUTE_TABLE = "aws:ec2/routeTable:RouteTable"
ROUTE = "aws:ec2/route:Route"
ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation"
NAT = "aws:ec2/natGateway:NatGateway"
IGW = "aws:ec2/internetGateway:InternetGateway"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule"
TIERS = ("public", "private", "data")


@dataclass(frozen=True)
class Synth:
    """One recorded run: the plan, the component's NetworkRef and the values its outputs resolved to."""

    plan: Plan
    ref: NetworkRef
    resolved: dict[Any, Any]

    @property
    def component(self) -> RecordedResource:
        return self.plan.component(COMPONENT)


def network_args(config: StackConfig, **changes: Any) -> NetworkArgs:
    args = NetworkArgs(
        region=config.region, cidr=config.network.cidr, zones=config.zones,
        nat_gateways=config.network.nat_gateways, flow_log_retention_days=config.network.flow_log_retention_days,
        interface_endpoints=config.network.interface_endpoints, cluster_name=config.cluster_name,
        tags=base_tags(config), protect_stateful=config.protect_stateful)
    return dataclasses.replace(args, **changes)


def synth(run: Callable[..., Plan], args: NetworkArgs) -> Synth:
    """Run a Network, capturing its ref and (through apply, which only records) what its ids resolve to."""
    captured: dict[str, NetworkRef] = {}
    resolved: dict[Any, Any] = {}

    def keep(key: Any) -> Callable[[Any], None]:
        return lambda value: resolved.__setitem__(key, value)

    def program() -> None:
        ref = captured["ref"] = Network("net", args).ref
        ref.vpc_id.apply(keep("vpc"))
        ref.endpoint_security_group_id.apply(keep("endpoint_sg"))
        for tier in ref.subnets:
            pulumi.Output.all(*ref.subnet_ids(tier)).apply(keep(("subnets", tier)))
            pulumi.Output.all(*ref.route_table_ids[tier]).apply(keep(("tables", tier)))

    plan = run(program)
    return Synth(plan, captured["ref"], resolved)


@pytest.fixture
def net(run: Callable[..., Plan], stack_config: StackConfig) -> Synth:
    return synth(run, network_args(stack_config))


# Plan navigation: follow recorded dependencies (URNs) rather than mock-generated ids.

def dependents(plan: Plan, resource: RecordedResource, token: str) -> list[RecordedResource]:
    """Resources of `token` that take an input from `resource`."""
    return [r for r in plan.of_type(token) if resource.urn in r.dependencies]


def dependencies(plan: Plan, resource: RecordedResource, token: str) -> list[RecordedResource]:
    """Resources of `token` that `resource` takes an input from."""
    return [r for r in plan.of_type(token) if r.urn in resource.dependencies]


def one(found: list[RecordedResource], what: str) -> RecordedResource:
    assert len(found) == 1, f"expected exactly one {what}, found {[r.urn for r in found]}"
    return found[0]


def subnet(plan: Plan, tier: str, zone: str) -> RecordedResource:
    return plan.named(f"net-{tier}-{zone}")


def table_of(plan: Plan, sub: RecordedResource) -> RecordedResource:
    """The route table a subnet is explicitly associated with."""
    association = one(dependents(plan, sub, ASSOCIATION), f"route table association of {sub.urn}")
    return one(dependencies(plan, association, ROUTE_TABLE), f"route table of {association.urn}")


def zone_of_nat(plan: Plan, nat: RecordedResource) -> str:
    public = one(dependencies(plan, nat, SUBNET), f"subnet of {nat.urn}")
    assert public.inputs["tags"]["meridian:tier"] == "public", f"{nat.urn} is not in a public subnet"
    return str(public.inputs["availabilityZone"])


def default_route(plan: Plan, table: RecordedResource) -> RecordedResource:
    routes = [r for r in dependents(plan, table, ROUTE) if r.inputs.get("destinationCidrBlock") == "0.0.0.0/0"]
    return one(routes, f"0.0.0.0/0 route of {table.urn}")



# Subnets

def test_one_subnet_per_tier_and_zone_in_its_zone(net: Synth, stack_config: StackConfig) -> None:
    subnets = net.plan.of_type(SUBNET)
    assert len(subnets) == 3 * len(stack_config.zones), [s.urn for s in subnets]
    planned = plan_subnets(stack_config.network.cidr, stack_config.zones)
    for tier in TIERS:
        for zone, cidr in planned[tier]:
            sub = subnet(net.plan, tier, zone)
            assert sub.inputs["availabilityZone"] == zone, f"{sub.urn} is in {sub.inputs['availabilityZone']}"
            assert sub.inputs["cidrBlock"] == cidr, f"{sub.urn} has {sub.inputs['cidrBlock']}, planned {cidr}"
            assert sub.inputs.get("mapPublicIpOnLaunch") is False, f"{sub.urn} maps public IPs on launch"


def test_subnets_are_disjoint_and_inside_the_vpc(net: Synth, stack_config: StackConfig) -> None:
    vpc = net.plan.of_type(VPC)[0]
    assert vpc.inputs["cidrBlock"] == stack_config.network.cidr, vpc.urn
    assert vpc.inputs["enableDnsSupport"] is True and vpc.inputs["enableDnsHostnames"] is True, vpc.urn
    block = ipaddress.IPv4Network(stack_config.network.cidr)
    subnets = [(s.urn, ipaddress.IPv4Network(s.inputs["cidrBlock"])) for s in net.plan.of_type(SUBNET)]
    for index, (urn, cidr) in enumerate(subnets):
        assert cidr.subnet_of(block), f"{urn} ({cidr}) is outside the VPC {block}"
        for other_urn, other in subnets[index + 1:]:
            assert not cidr.overlaps(other), f"{urn} ({cidr}) overlaps {other_urn} ({other})"


def test_adding_a_zone_keeps_existing_subnet_cidrs(run: Callable[..., Plan], stack_config: StackConfig) -> None:
    zones = ZONES_BY_REGION[stack_config.region]
    three = synth(run, network_args(stack_config, zones=zones[:3])).plan
    four = synth(run, network_args(stack_config, zones=zones[:4])).plan
    assert len(four.of_type(SUBNET)) == 12
    for before in three.of_type(SUBNET):
        after = four.named(before.name)
        assert after.inputs["cidrBlock"] == before.inputs["cidrBlock"], (
            f"{after.urn} moved from {before.inputs['cidrBlock']} to {after.inputs['cidrBlock']}")


def test_subnets_carry_the_tags_eks_needs(net: Synth, stack_config: StackConfig) -> None:
    cluster_tag = f"kubernetes.io/cluster/{stack_config.cluster_name}"
    roles = {"public": "kubernetes.io/role/elb", "private": "kubernetes.io/role/internal-elb"}
    for tier in TIERS:
        for zone in stack_config.zones:
            sub = subnet(net.plan, tier, zone)
            tags = sub.inputs["tags"]
            assert tags.get(cluster_tag) == "shared", f"{sub.urn} lacks {cluster_tag}=shared"
            assert tags.get("meridian:tier") == tier, f"{sub.urn} has tier tag {tags.get('meridian:tier')}"
            for role_tier, role in roles.items():
                expected = "1" if role_tier == tier else None
                assert tags.get(role) == expected, f"{sub.urn}: {role}={tags.get(role)}, expected {expected}"


# Routing

def test_public_subnets_share_one_table_routed_to_the_internet_gateway(net: Synth,
                                                                       stack_config: StackConfig) -> None:
    igw = one(net.plan.of_type(IGW), "internet gateway")
    tables = {table_of(net.plan, subnet(net.plan, "public", zone)).urn for zone in stack_config.zones}
    assert len(tables) == 1, f"public subnets use several route tables: {tables}"
    route = default_route(net.plan, net.plan.by_urn(tables.pop()))
    assert igw.urn in route.dependencies and route.inputs.get("gatewayId"), f"{route.urn} does not use {igw.urn}"
    for nat in net.plan.of_type(NAT):
        assert igw.urn in nat.dependencies, f"{nat.urn} does not depend on {igw.urn}"


def test_data_route_tables_have_no_route_to_the_internet(net: Synth, stack_config: StackConfig) -> None:
    tables = [table_of(net.plan, subnet(net.plan, "data", zone)) for zone in stack_config.zones]
    assert len({t.urn for t in tables}) == len(stack_config.zones), "data subnets must each have their own table"
    for table in tables:
        assert table.inputs["tags"]["meridian:tier"] == "data", f"data subnet associated with {table.urn}"
        for route in dependents(net.plan, table, ROUTE):
            targets = dependencies(net.plan, route, IGW) + dependencies(net.plan, route, NAT)
            assert not targets, f"{route.urn} sends data-tier traffic to {[t.urn for t in targets]}"
            assert not route.inputs.get("gatewayId") and not route.inputs.get("natGatewayId"), route.urn


def test_private_subnets_route_to_the_nat_in_their_own_zone(net: Synth, stack_config: StackConfig) -> None:
    nats = net.plan.of_type(NAT)
    assert len(nats) == len(stack_config.zones), [n.urn for n in nats]
    for zone in stack_config.zones:
        table = table_of(net.plan, subnet(net.plan, "private", zone))
        route = default_route(net.plan, table)
        nat = one(dependencies(net.plan, route, NAT), f"NAT of {route.urn}")
        assert route.inputs.get("natGatewayId"), f"{route.urn} has no natGatewayId"
        assert zone_of_nat(net.plan, nat) == zone, f"{route.urn} ({zone}) goes to {nat.urn} in another zone"


def test_single_nat_mode_routes_every_private_table_to_one_nat(run: Callable[..., Plan],
                                                               stack_config: StackConfig) -> None:
    plan = synth(run, network_args(stack_config, nat_gateways="single")).plan
    nat = one(plan.of_type(NAT), "NAT gateway in single mode")
    assert len(plan.of_type("aws:ec2/eip:Eip")) == 1
    assert zone_of_nat(plan, nat) == stack_config.zones[0], nat.urn
    for zone in stack_config.zones:
        route = default_route(plan, table_of(plan, subnet(plan, "private", zone)))
        assert nat.urn in route.dependencies, f"{route.urn} does not go to {nat.urn}"


def test_route_tables_have_no_inline_routes(net: Synth) -> None:
    tables = net.plan.of_type(ROUTE_TABLE)
    assert tables
    for table in tables:
        # Even `routes=[]` makes the table own its routes and delete the standalone ones.
        assert "routes" not in table.inputs, f"{table.urn} declares inline routes {table.inputs['routes']}"


# Endpoints

def test_gateway_endpoints_attach_to_private_and_data_tables(net: Synth, stack_config: StackConfig) -> None:
    expected = set(net.resolved[("tables", "private")]) | set(net.resolved[("tables", "data")])
    for service in ("s3", "dynamodb"):
        endpoint = net.plan.named(f"net-endpoint-{service}")
        assert endpoint.inputs["vpcEndpointType"] == "Gateway", endpoint.urn
        assert endpoint.inputs["serviceName"] == f"com.amazonaws.{stack_config.region}.{service}", endpoint.urn
        assert set(endpoint.inputs["routeTableIds"]) == expected, f"{endpoint.urn} is on the wrong tables"


def test_interface_endpoints_are_private_dns_in_private_subnets(net: Synth, stack_config: StackConfig) -> None:
    interface = [e for e in net.plan.of_type(ENDPOINT) if e.inputs["vpcEndpointType"] == "Interface"]
    names = {e.inputs["serviceName"]: e for e in interface}
    expected = {f"com.amazonaws.{stack_config.region}.{s}" for s in stack_config.network.interface_endpoints}
    assert set(names) == expected
    for endpoint in interface:
        assert endpoint.inputs.get("privateDnsEnabled") is True, f"{endpoint.urn} has no private DNS"
        assert endpoint.inputs["subnetIds"] == net.resolved[("subnets", "private")], endpoint.urn
        assert endpoint.inputs["securityGroupIds"] == [net.resolved["endpoint_sg"]], endpoint.urn


def test_endpoint_security_group_allows_only_https_from_the_vpc(net: Synth, stack_config: StackConfig) -> None:
    group = one(net.plan.of_type(SECURITY_GROUP), "endpoint security group")
    assert not group.inputs.get("ingress") and not group.inputs.get("egress"), f"{group.urn} has inline rules"
    assert not net.plan.of_type(EGRESS_RULE), "no egress rule expected"
    rule = one(net.plan.of_type(INGRESS_RULE), "ingress rule")
    assert group.urn in rule.dependencies, f"{rule.urn} is not on {group.urn}"
    assert rule.inputs["securityGroupId"] == net.resolved["endpoint_sg"], rule.urn
    allowed = {"ipProtocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": stack_config.network.cidr}
    assert {key: rule.inputs.get(key) for key in allowed} == allowed, f"{rule.urn}: {rule.inputs}"
    for other in ("cidrIpv6", "prefixListId", "referencedSecurityGroupId"):
        assert not rule.inputs.get(other), f"{rule.urn} also allows {other}"


# Flow logs and the default security group

def test_flow_logs_go_to_an_encrypted_log_group(net: Synth, stack_config: StackConfig) -> None:
    flow_log = one(net.plan.of_type("aws:ec2/flowLog:FlowLog"), "flow log")
    assert flow_log.inputs["vpcId"] == net.resolved["vpc"], flow_log.urn
    assert flow_log.inputs["trafficType"] == "ALL", flow_log.urn
    assert flow_log.inputs["logDestinationType"] == "cloud-watch-logs", flow_log.urn
    assert flow_log.inputs["maxAggregationInterval"] == 60, flow_log.urn
    group = one(dependencies(net.plan, flow_log, "aws:cloudwatch/logGroup:LogGroup"), "flow log group")
    assert group.inputs["retentionInDays"] == stack_config.network.flow_log_retention_days, group.urn
    key = one(dependencies(net.plan, group, "aws:kms/key:Key"), f"KMS key of {group.urn}")
    assert str(group.inputs["kmsKeyId"]).startswith("arn:aws:kms:"), group.urn
    assert key.inputs["enableKeyRotation"] is True, key.urn
    assert key.inputs["deletionWindowInDays"] == 30, key.urn
    assert key.protect, f"{key.urn} is not protected"
    statements = json.loads(key.inputs["policy"])["Statement"]
    logs = one_statement(statements, {"Service": f"logs.{stack_config.region}.amazonaws.com"}, key.urn)
    context = logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"]
    assert context.endswith(f":log-group:{group.inputs['name']}"), f"{key.urn} key policy names {context}"
    one_statement(statements, {"AWS": "arn:aws:iam::123456789012:root"}, key.urn)
    alias = net.plan.named("net-flow-logs-key-alias")
    assert key.urn in alias.dependencies, alias.urn


def one_statement(statements: list[dict[str, Any]], principal: dict[str, str], urn: str) -> dict[str, Any]:
    found = [s for s in statements if s["Principal"] == principal]
    assert len(found) == 1, f"{urn}: expected one statement for {principal}, found {found}"
    return found[0]


def test_flow_log_role_is_least_privilege(net: Synth) -> None:
    flow_log = one(net.plan.of_type("aws:ec2/flowLog:FlowLog"), "flow log")
    role = one(dependencies(net.plan, flow_log, "aws:iam/role:Role"), f"role of {flow_log.urn}")
    trust = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "vpc-flow-logs.amazonaws.com"}], role.urn
    assert trust[0]["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012", role.urn
    policy = one(dependents(net.plan, role, "aws:iam/rolePolicy:RolePolicy"), f"inline policy of {role.urn}")
    assert policy.urn in flow_log.dependencies, f"{flow_log.urn} may start before {policy.urn} exists"
    statements = json.loads(policy.inputs["policy"])["Statement"]
    group_arn = flow_log.inputs["logDestination"]
    assert statements == [{"Effect": "Allow", "Resource": [group_arn, f"{group_arn}:*"], "Action": [
        "logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"]}], (
        f"{policy.urn}: {statements}")


def test_flow_log_key_unprotected_when_asked(run: Callable[..., Plan], stack_config: StackConfig) -> None:
    plan = synth(run, network_args(stack_config, protect_stateful=False)).plan
    key = plan.named("net-flow-logs-key")
    assert not key.protect, f"{key.urn} is protected although protect_stateful is False"


def test_default_security_group_has_no_rules(net: Synth) -> None:
    default = one(net.plan.of_type("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"), "default SG")
    assert default.inputs["vpcId"] == net.resolved["vpc"], default.urn
    for direction in ("ingress", "egress"):
        assert default.inputs.get(direction) == [], f"{default.urn} {direction} = {default.inputs.get(direction)}"


# Tags, parenting, ref

def test_every_taggable_resource_has_the_required_tags(net: Synth) -> None:
    assert is_taggable(SUBNET) and not is_taggable(ROUTE), "taggability introspection is broken"
    checked = 0
    for resource in net.plan.descendants_of(net.component.urn):
        if not is_taggable(resource.type):
            continue
        tags = resource.inputs.get("tags") or {}
        missing = [key for key in REQUIRED_TAG_KEYS if key not in tags]
        assert not missing, f"{resource.urn} lacks tags {missing}"
        assert tags["Name"] == resource.name and tags["meridian:component"] == "network", resource.urn
        checked += 1
    assert checked >= 30, f"only {checked} taggable resources checked"


def test_every_resource_is_parented_under_the_component(net: Synth) -> None:
    component = net.component
    assert "pulumi:pulumi:Stack" in component.parent, f"{component.urn} is not a top-level component"
    assert len(net.plan.descendants_of(component.urn)) == len(net.plan) - 1
    for resource in net.plan:
        if resource.urn != component.urn:
            assert resource.parent == component.urn, f"{resource.urn} has parent {resource.parent or 'none'}"
            assert resource.name.startswith("net-"), f"{resource.urn} is not named after the component"


def test_network_ref_matches_the_plan(net: Synth, stack_config: StackConfig) -> None:
    ref, plan = net.ref, net.plan
    planned = plan_subnets(stack_config.network.cidr, stack_config.zones)
    assert ref.cidr == stack_config.network.cidr and ref.zones == stack_config.zones
    assert {tier: tuple((s.zone, s.cidr) for s in subnets) for tier, subnets in ref.subnets.items()} == planned
    assert all(s.tier == tier for tier, subnets in ref.subnets.items() for s in subnets)
    assert [len(ref.route_table_ids[tier]) for tier in TIERS] == [1, 3, 3]
    for sub in plan.of_type(SUBNET):
        assert sub.inputs["vpcId"] == net.resolved["vpc"], f"{sub.urn} is not in the ref's VPC"
    for tier in TIERS:
        for index, zone in enumerate(stack_config.zones):
            sub = subnet(plan, tier, zone)
            association = one(dependents(plan, sub, ASSOCIATION), f"association of {sub.urn}")
            assert association.inputs["subnetId"] == net.resolved[("subnets", tier)][index], sub.urn
            table_id = net.resolved[("tables", tier)][0 if tier == "public" else index]
            assert association.inputs["routeTableId"] == table_id, f"{association.urn} vs ref {tier}/{zone}"
    rule = one(plan.of_type(INGRESS_RULE), "ingress rule")
    assert rule.inputs["securityGroupId"] == net.resolved["endpoint_sg"], rule.urn
