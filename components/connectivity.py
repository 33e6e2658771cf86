"""Connectivity between regions: a Transit Gateway per region, peered with every earlier region.

Each stack declares its own Transit Gateway (TGW) and one explicit TGW route table. It attaches the VPC with one
ENI per zone, in the private subnets. Both the private and the data route tables send the peers' CIDRs to the TGW.

For every earlier region (its `meridian:order` is lower), this stack declares both sides of the pair:
- Its own side: the peering attachment, the association with its TGW route table, the static route to the peer's
  CIDR, the VPC routes, and security-group ingress from the peer's CIDR.
- The peer's side, with pulumi-aws v7's per-resource `region` input, in the same AWS account: the accepter, the
  association with the peer's TGW route table, the peer's routes back, and the peer's security-group ingress from
  this CIDR. The peer's ids come from its stack outputs, read through a StackReference.

An earlier stack never reads a later one, so there is no cycle: a new region's first `pulumi up` connects it to
every existing region, and the existing stacks' own resources do not change.

TGW peering attachments support static routes only, not propagation (AWS Transit Gateway guide, "Transit gateway
peering attachments"). The default route table association and propagation are off, so every association is
explicit and visible in a preview.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pulumi
import pulumi_aws as aws

from components.tags import resource_tags

COMPONENT: Final = "connectivity"
PRIVATE_ASN_BASE: Final = 64512
"""Start of the 16-bit private ASN range (RFC 6996); a region's TGW ASN is this plus its `meridian:order`."""
PEER_OUTPUTS: Final = ("transitGatewayId", "transitGatewayRouteTableId", "privateRouteTableIds",
                       "dataRouteTableIds", "clusterSecurityGroupId")
"""Stack outputs of a peer that this component reads (`__main__.py` exports them)."""


@dataclass(frozen=True, kw_only=True)
class CrossRegionFlow:
    """A TCP flow a service needs between regions, admitted from the peers' CIDRs only."""

    name: str
    ports: tuple[int, ...]
    into_stack: str | None = None
    """The one stack whose cluster admits the flow (the fleet Prometheus' receiver); None: both ends of a pair."""


@dataclass(frozen=True, kw_only=True)
class PeerRegion:
    """An earlier stack this one peers with, as its config describes it (ids come from its outputs)."""

    stack: str
    region: str
    cidr: str
    zones: int
    """Its zone count: it has one private and one data route table per zone."""


@dataclass(frozen=True, kw_only=True)
class ConnectivityArgs:
    """Inputs of the regional connectivity."""

    region: str
    cidr: str
    vpc_id: pulumi.Input[str]
    attachment_subnet_ids: Sequence[pulumi.Input[str]]
    """One subnet per zone (the private tier) for the TGW attachment's ENIs."""
    route_table_ids: Sequence[pulumi.Input[str]]
    """The private and data route tables, which get a route to every peer CIDR."""
    cluster_security_group_id: pulumi.Input[str]
    """The EKS cluster security group: nodes and (with the VPC CNI) pods carry it."""
    peers: Sequence[PeerRegion]
    peer_outputs: Mapping[str, pulumi.StackReference]
    """Each peer stack's outputs (components/peers.py), by stack name."""
    flows: Sequence[CrossRegionFlow]
    stack: str
    """This stack's name (flows `into_stack` name stacks)."""
    order: int
    tags: Mapping[str, str]


class Connectivity(pulumi.ComponentResource):
    """The region's Transit Gateway, its VPC attachment, and a peering to every earlier region."""

    transit_gateway_id: pulumi.Output[str]
    route_table_id: pulumi.Output[str]

    def __init__(self, name: str, args: ConnectivityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:connectivity:Connectivity", name, None, opts)
        self._name, self._args = name, args
        tgw = aws.ec2transitgateway.TransitGateway(
            f"{name}-tgw", description=f"Meridian {args.region}: peered with the other regions",
            amazon_side_asn=PRIVATE_ASN_BASE + args.order, auto_accept_shared_attachments="disable",
            default_route_table_association="disable", default_route_table_propagation="disable",
            dns_support="enable", vpn_ecmp_support="disable", tags=self._tags(f"{name}-tgw"), opts=self._opts())
        table = aws.ec2transitgateway.RouteTable(f"{name}-tgw-rt", transit_gateway_id=tgw.id,
                                                 tags=self._tags(f"{name}-tgw-rt"), opts=self._opts())
        attachment = aws.ec2transitgateway.VpcAttachment(
            f"{name}-tgw-vpc", transit_gateway_id=tgw.id, vpc_id=args.vpc_id,
            subnet_ids=list(args.attachment_subnet_ids), dns_support="enable",
            transit_gateway_default_route_table_association=False,
            transit_gateway_default_route_table_propagation=False,
            tags=self._tags(f"{name}-tgw-vpc"), opts=self._opts())
        aws.ec2transitgateway.RouteTableAssociation(
            f"{name}-tgw-vpc-association", transit_gateway_attachment_id=attachment.id,
            transit_gateway_route_table_id=table.id, opts=self._opts())
        aws.ec2transitgateway.RouteTablePropagation(
            f"{name}-tgw-vpc-propagation", transit_gateway_attachment_id=attachment.id,
            transit_gateway_route_table_id=table.id, opts=self._opts())
        account_id = aws.get_caller_identity_output(opts=pulumi.InvokeOutputOptions(parent=self)).account_id
        for peer in args.peers:
            self._peer(peer, tgw, table, attachment, account_id)
        self.transit_gateway_id = tgw.id
        self.route_table_id = table.id
        self.register_outputs({"transitGatewayId": tgw.id, "transitGatewayRouteTableId": table.id,
                               "peers": [peer.stack for peer in args.peers]})

    def _opts(self, *, depends_on: Sequence[pulumi.Resource] = ()) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=list(depends_on))

    def _tags(self, resource_name: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return resource_tags(self._args.tags, resource_name, COMPONENT, extra)

    def _peer(self, peer: PeerRegion, tgw: aws.ec2transitgateway.TransitGateway,
              table: aws.ec2transitgateway.RouteTable, attachment: aws.ec2transitgateway.VpcAttachment,
              account_id: pulumi.Output[str]) -> None:
        """Both sides of the peering with one earlier region."""
        args, base = self._args, f"{self._name}-{peer.stack}"
        ref = args.peer_outputs[peer.stack]
        peering = aws.ec2transitgateway.PeeringAttachment(
            f"{base}-peering", transit_gateway_id=tgw.id, peer_region=peer.region, peer_account_id=account_id,
            peer_transit_gateway_id=ref.require_output("transitGatewayId"),
            tags=self._tags(f"{base}-peering", {"meridian:peer": peer.stack}), opts=self._opts())
        accepter = aws.ec2transitgateway.PeeringAttachmentAccepter(
            f"{base}-peering-accepter", region=peer.region, transit_gateway_attachment_id=peering.id,
            tags=self._tags(f"{base}-peering-accepter", {"meridian:peer": args.region}), opts=self._opts())
        sides = (("local", None, table.id, args.route_table_ids, peer.cidr, args.cluster_security_group_id),
                 ("remote", peer.region, ref.require_output("transitGatewayRouteTableId"),
                  self._peer_route_tables(ref, peer), args.cidr, ref.require_output("clusterSecurityGroupId")))
        for side, region, tgw_table, vpc_tables, destination, security_group in sides:
            association = aws.ec2transitgateway.RouteTableAssociation(
                f"{base}-{side}-association", region=region, transit_gateway_attachment_id=peering.id,
                transit_gateway_route_table_id=tgw_table, opts=self._opts(depends_on=[accepter]))
            aws.ec2transitgateway.Route(
                f"{base}-{side}-tgw-route", region=region, destination_cidr_block=destination,
                transit_gateway_attachment_id=peering.id, transit_gateway_route_table_id=tgw_table,
                opts=self._opts(depends_on=[association]))
            gateway = tgw.id if side == "local" else ref.require_output("transitGatewayId")
            for index, route_table in enumerate(vpc_tables):
                aws.ec2.Route(f"{base}-{side}-vpc-route-{index}", region=region, route_table_id=route_table,
                              destination_cidr_block=destination, transit_gateway_id=gateway,
                              opts=self._opts(depends_on=[attachment, association]))
            source = peer.cidr if side == "local" else args.cidr
            admitting = args.stack if side == "local" else peer.stack
            for flow in args.flows:
                if flow.into_stack not in (None, admitting):
                    continue
                for port in flow.ports:
                    rule = f"{base}-{side}-{flow.name}-{port}"
                    aws.vpc.SecurityGroupIngressRule(
                        rule, region=region, security_group_id=security_group, ip_protocol="tcp",
                        from_port=port, to_port=port, cidr_ipv4=source,
                        description=f"{flow.name} from {peer.stack if side == 'local' else args.region}",
                        tags=self._tags(rule), opts=self._opts())

    @staticmethod
    def _peer_route_tables(ref: pulumi.StackReference, peer: PeerRegion) -> list[pulumi.Output[str]]:
        """The peer's private and data route table ids, one per zone each (its config gives the count)."""
        def item(ids: pulumi.Output[Any], index: int) -> pulumi.Output[str]:
            return ids.apply(lambda values: str(values[index]))

        return [item(ref.require_output(output), index)
                for output in ("privateRouteTableIds", "dataRouteTableIds") for index in range(peer.zones)]
