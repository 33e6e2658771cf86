"""Connectivity between regions, over the synth of every stack (and of the fleet grown by one region)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from meridian.cli import _print_region_loss
from meridian.synth.fleet_checks import region_loss
from meridian.synth.mocks import RecordedResource
from meridian.synth.plan import Plan
from meridian.synth.render import peer_cluster
from meridian.synth.stack import synth_program

PROJECT = Path(__file__).resolve().parents[2]
PRODUCTION = ("us-east-1", "us-west-2", "eu-west-1")
NEW_REGION = "ap-southeast-1"
SG_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
NEW_STACK_FILE = f"""config:
  aws:region: {NEW_REGION}
  meridian:environment: production
  meridian:order: 4
  meridian:peers: [us-east-1, us-west-2, eu-west-1]
  meridian:network:
    cidr: 10.40.0.0/16
  meridian:cluster:
    kubernetes_version: "1.35"
    admin_role_arns: [arn:aws:iam::123456789012:role/platform-admin]
    node_groups:
      system: {{instance_types: [m7i.xlarge], min_size: 3, desired_size: 3, max_size: 6}}
      data:
        per_az: true
        instance_types: [r7i.4xlarge]
        min_size: 2
        desired_size: 2
        max_size: 4
        labels: {{meridian.io/workload: data}}
        taints: [{{key: meridian.io/data, value: "true", effect: NO_SCHEDULE}}]
  meridian:cassandra: {{}}
  meridian:kafka: {{}}
"""


@pytest.fixture(scope="module")
def plans() -> dict[str, Plan]:
    return {stack: synth_program(PROJECT, stack).plan for stack in (*PRODUCTION, "dev")}


@pytest.fixture(scope="module")
def grown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A copy of the project with a fourth production region's stack file, and nothing else changed."""
    folder = tmp_path_factory.mktemp("grown")
    shutil.copy(PROJECT / "Pulumi.yaml", folder)
    shutil.copy(PROJECT / "__main__.py", folder)
    shutil.copytree(PROJECT / "stacks", folder / "stacks")
    (folder / "stacks" / f"Pulumi.{NEW_REGION}.yaml").write_text(NEW_STACK_FILE)
    yield folder


def _one(plan: Plan, token: str, name: str) -> RecordedResource:
    found = [r for r in plan.of_type(token) if r.name == name]
    assert len(found) == 1, (token, name, [r.name for r in plan.of_type(token)])
    return found[0]


def _tgw_id(plan: Plan) -> str:
    """The stack's own TGW id (as its VPC attachment refers to it)."""
    attachment = _one(plan, "aws:ec2transitgateway/vpcAttachment:VpcAttachment", "meridian-connectivity-tgw-vpc")
    return str(attachment.inputs["transitGatewayId"])


def _tgw_route_table_id(plan: Plan) -> str:
    """The stack's own TGW route table id (as its VPC attachment's association refers to it)."""
    association = _one(plan, "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation",
                       "meridian-connectivity-tgw-vpc-association")
    return str(association.inputs["transitGatewayRouteTableId"])


def _region(plan: Plan) -> str:
    return str(plan.of_type("pulumi:providers:aws")[0].inputs["region"])


def _route_tables(plan: Plan) -> set[str]:
    """Ids of the private and data route tables, as the stack's own resources refer to them."""
    tables = {r.name for r in plan.of_type("aws:ec2/routeTable:RouteTable") if "-public-" not in r.name}
    return {str(r.inputs["routeTableId"]) for r in plan.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
            if any(r.name.replace("-rta-", "-rt-") == table for table in tables)}


def assert_peered(plans: dict[str, Plan], stack: str, peer: str) -> None:
    """`stack` declares both sides of its peering with `peer`, with the ids `peer`'s own synth gives."""
    plan, theirs = plans[stack], plans[peer]
    base = f"meridian-connectivity-{peer}"
    peering = _one(plan, "aws:ec2transitgateway/peeringAttachment:PeeringAttachment", f"{base}-peering")
    assert peering.inputs["peerTransitGatewayId"] == _tgw_id(theirs)
    assert peering.inputs["transitGatewayId"] == _tgw_id(plan)
    peer_region = _region(theirs)
    assert peering.inputs["peerRegion"] == peer_region
    accepter = _one(plan, "aws:ec2transitgateway/peeringAttachmentAccepter:PeeringAttachmentAccepter",
                    f"{base}-peering-accepter")
    assert accepter.inputs["region"] == peer_region
    my_cidr, peer_cidr = (_vpc_cidr(plan), _vpc_cidr(theirs))
    for side, owner, destination in (("local", plan, peer_cidr), ("remote", theirs, my_cidr)):
        association = _one(plan, "aws:ec2transitgateway/routeTableAssociation:RouteTableAssociation",
                           f"{base}-{side}-association")
        route = _one(plan, "aws:ec2transitgateway/route:Route", f"{base}-{side}-tgw-route")
        assert association.inputs["transitGatewayRouteTableId"] == _tgw_route_table_id(owner), side
        assert route.inputs["transitGatewayRouteTableId"] == _tgw_route_table_id(owner), side
        assert route.inputs["destinationCidrBlock"] == destination, side
        assert route.inputs["transitGatewayAttachmentId"] == association.inputs["transitGatewayAttachmentId"]
    local_routes = [r for r in plan.of_type("aws:ec2/route:Route") if r.name.startswith(f"{base}-local-vpc-route")]
    remote_routes = [r for r in plan.of_type("aws:ec2/route:Route") if r.name.startswith(f"{base}-remote-vpc-route")]
    assert {r.inputs["routeTableId"] for r in local_routes} == _route_tables(plan)
    assert {r.inputs["destinationCidrBlock"] for r in local_routes} == {peer_cidr}
    assert {r.inputs["routeTableId"] for r in remote_routes} == _route_tables(theirs)
    assert {(r.inputs["destinationCidrBlock"], r.inputs["region"]) for r in remote_routes} == {(my_cidr, peer_region)}
    rules = [r for r in plan.of_type(SG_RULE) if r.name.startswith(base)]
    sources = {(r.inputs["cidrIpv4"], r.inputs.get("region")) for r in rules}
    assert sources == {(peer_cidr, None), (my_cidr, peer_region)}
    local_ports = {r.inputs["fromPort"] for r in rules if "-local-" in r.name}
    remote_ports = {r.inputs["fromPort"] for r in rules if "-remote-" in r.name}
    assert local_ports == {7000, 7001, 9094}, "Cassandra internode and Kafka's peers listener only"
    # Remote writes of the fleet view go into the primary (the first region) only, never out of it.
    assert remote_ports == {7000, 7001, 9094} | ({9090} if peer == PRODUCTION[0] else set())
    # The peer's cluster security group, where its own synth names it (its local rules, when it has peers).
    theirs_local = {r.inputs["securityGroupId"] for r in theirs.of_type(SG_RULE) if "-local-" in r.name}
    if theirs_local:
        assert {r.inputs["securityGroupId"] for r in rules if r.inputs.get("region")} == theirs_local
    assert all(r.inputs["fromPort"] == r.inputs["toPort"] and r.inputs["ipProtocol"] == "tcp" for r in rules)


def _vpc_cidr(plan: Plan) -> str:
    return str(plan.of_type("aws:ec2/vpc:Vpc")[0].inputs["cidrBlock"])


def test_every_production_stack_peers_with_every_earlier_one(plans: dict[str, Plan]) -> None:
    for index, stack in enumerate(PRODUCTION):
        peerings = plans[stack].of_type("aws:ec2transitgateway/peeringAttachment:PeeringAttachment")
        assert len(peerings) == index, stack
        for peer in PRODUCTION[:index]:
            assert_peered(plans, stack, peer)


def test_development_stack_has_no_transit_gateway(plans: dict[str, Plan]) -> None:
    assert not [r for r in plans["dev"] if r.type.startswith("aws:ec2transitgateway/")]


def test_transit_gateway_associations_are_explicit(plans: dict[str, Plan]) -> None:
    tgw = _one(plans["us-west-2"], "aws:ec2transitgateway/transitGateway:TransitGateway", "meridian-connectivity-tgw")
    assert tgw.inputs["defaultRouteTableAssociation"] == "disable"
    assert tgw.inputs["defaultRouteTablePropagation"] == "disable"
    assert {plans[s].of_type("aws:ec2transitgateway/transitGateway:TransitGateway")[0].inputs["amazonSideAsn"]
            for s in PRODUCTION} == {64513, 64514, 64515}


def test_a_new_region_changes_no_existing_stack_and_connects_to_all(plans: dict[str, Plan], grown: Path) -> None:
    after = {stack: synth_program(grown, stack).plan for stack in (*PRODUCTION, NEW_REGION)}
    for stack in PRODUCTION:
        assert after[stack].as_json() == plans[stack].as_json(), f"adding {NEW_REGION} changed stack {stack}"
    for peer in PRODUCTION:
        assert_peered(after, NEW_REGION, peer)
    verdicts = region_loss(grown, after)["production"]
    assert all(verdict.passed for verdict in verdicts), [verdict.line() for verdict in verdicts]
    topic = next(verdict for verdict in verdicts if verdict.service.startswith("kafka topic"))
    assert f"{NEW_REGION}'s data mirrored to eu-west-1, us-east-1, us-west-2" in topic.reasons


def _k8s(plan: Plan, kind: str, name: str) -> RecordedResource:
    found = [r for r in plan if r.type.startswith("kubernetes:") and r.inputs.get("kind") == kind
             and (r.inputs.get("metadata") or {}).get("name") == name]
    assert len(found) == 1, (kind, name)
    return found[0]


def test_the_primary_creates_the_fleet_zone_and_every_later_vpc_joins_it(plans: dict[str, Plan]) -> None:
    primary = plans[PRODUCTION[0]]
    (zone,) = primary.of_type("aws:route53/zone:Zone")
    assert zone.inputs["name"] == "meridian.internal" and zone.protect
    assert zone.inputs["vpcs"] == [{"vpcId": _vpc_id(primary), "vpcRegion": PRODUCTION[0]}]
    for stack in PRODUCTION[1:]:
        plan = plans[stack]
        assert not plan.of_type("aws:route53/zone:Zone"), f"{stack} must not create a second zone"
        (association,) = plan.of_type("aws:route53/zoneAssociation:ZoneAssociation")
        assert association.inputs["vpcId"] == _vpc_id(plan) and association.inputs["vpcRegion"] == stack
        # The zone id the primary's own synth gives its zone (read through its stack outputs).
        assert association.inputs["zoneId"] == _zone_id_of(primary)
    assert not [r for r in plans["dev"] if r.type.startswith("aws:route53/")]


def _vpc_id(plan: Plan) -> str:
    return str(plan.of_type("aws:ec2/subnet:Subnet")[0].inputs["vpcId"])


def _zone_id_of(primary: Plan) -> str:
    """The primary's zone id, as its own ExternalDNS is told to filter on it."""
    release = _one(primary, "kubernetes:helm.sh/v3:Release", "meridian-fleet-dns-external-dns")
    (flag,) = [arg for arg in release.inputs["values"]["extraArgs"] if arg.startswith("--zone-id-filter=")]
    return flag.removeprefix("--zone-id-filter=")


def _external_dns_policy(plan: Plan) -> str:
    return str(_one(plan, "aws:iam/rolePolicy:RolePolicy", "meridian-fleet-dns-role-policy").inputs["policy"])


def test_each_region_s_external_dns_writes_only_its_own_subdomain(plans: dict[str, Plan]) -> None:
    for stack in PRODUCTION:
        plan = plans[stack]
        release = _one(plan, "kubernetes:helm.sh/v3:Release", "meridian-fleet-dns-external-dns")
        assert release.inputs["values"]["domainFilters"] == [f"{stack}.meridian.internal"]
        assert f"--zone-id-filter={_zone_id_of(plans[PRODUCTION[0]])}" in release.inputs["values"]["extraArgs"]
        policy = json.loads(_external_dns_policy(plan))
        (change,) = [s for s in policy["Statement"] if "route53:ChangeResourceRecordSets" in s["Action"]]
        names = change["Condition"]["ForAllValues:StringLike"]["route53:ChangeResourceRecordSetsNormalizedRecordNames"]
        assert names == [f"*.{stack}.meridian.internal", f"{stack}.meridian.internal"]
        assert change["Resource"] == [f"arn:aws:route53:::hostedzone/{_zone_id_of(plans[PRODUCTION[0]])}"]


def test_one_fleet_root_ca_the_primary_creates_and_later_regions_copy(plans: dict[str, Plan]) -> None:
    root = _k8s(plans[PRODUCTION[0]], "Certificate", "meridian-fleet-ca")
    assert root.inputs["spec"]["isCA"] is True
    for stack in PRODUCTION:
        issuer = _k8s(plans[stack], "ClusterIssuer", "meridian-fleet-ca")
        assert issuer.inputs["spec"] == {"ca": {"secretName": "meridian-fleet-ca"}}
    for stack in PRODUCTION[1:]:
        copy = _k8s(plans[stack], "Secret", "meridian-fleet-ca")
        assert copy.inputs["data"] == "[secret]", "the root key must stay a Pulumi secret"
        assert copy.inputs["metadata"]["labels"] == {"meridian.io/copied-from": PRODUCTION[0]}
        assert not [r for r in plans[stack] if r.inputs.get("kind") == "Certificate"
                    and (r.inputs.get("metadata") or {}).get("name") == "meridian-fleet-ca"], stack


def test_synth_all_prints_the_region_loss_verdict_and_catches_a_missing_mirror(
        plans: dict[str, Plan], tmp_path: Path) -> None:
    console = Console(record=True, width=300)
    assert _print_region_loss(console, PROJECT, plans, tmp_path) == []
    text = console.export_text()
    assert "production: one region lost: every global keyspace and topic kept in 3 of 3" in text
    assert "development" not in text, "dev is outside the order: no region-loss verdict"
    written = json.loads((tmp_path / "region-loss.json").read_text())
    assert {verdict["service"] for verdict in written["production"]} == {
        "cassandra keyspace playback_state", "cassandra keyspace user_profiles", "kafka topic user.playback.events"}
    # Without what the later stacks declare into the earlier clusters, eu-west-1's data has no copy elsewhere.
    stripped = {stack: Plan(plan.stack, tuple(r for r in plan if not (
        r.inputs.get("kind") == "KafkaMirrorMaker2" and peer_cluster(r)))) for stack, plan in plans.items()}
    failed = _print_region_loss(console, PROJECT, stripped, tmp_path)
    assert [verdict.service for verdict in failed] == ["kafka topic user.playback.events"]
    assert "no other region mirrors it from eu-west-1" in failed[0].reasons[0]
