"""The regional VPC: three subnet tiers per zone, NAT, endpoints, flow logs (`meridian:network:Network`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal

import pulumi
import pulumi_aws as aws

from components.contracts import NetworkRef, SubnetRef
from components.policy_documents import account_root_statement, logs_key_statement, policy_document
from components.subnets import plan_subnets
from components.tags import resource_tags

COMPONENT: Final = "network"
TIERS: Final = ("public", "private", "data")
GATEWAY_ENDPOINTS: Final = ("s3", "dynamodb")
ANYWHERE: Final = "0.0.0.0/0"
HTTPS_PORT: Final = 443
FLOW_LOG_AGGREGATION_SECONDS: Final = 60
KEY_DELETION_WINDOW_DAYS: Final = 30
FLOW_LOG_WRITER_ACTIONS: Final = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups",
                                  "logs:DescribeLogStreams")
TIER_ROLE_TAGS: Final[dict[str, dict[str, str]]] = {
    "public": {"kubernetes.io/role/elb": "1"},
    "private": {"kubernetes.io/role/internal-elb": "1"},
    "data": {},
}


@dataclass(frozen=True, kw_only=True)
class NetworkArgs:
    """Inputs of the Network component."""

    region: str
    """AWS region the VPC lives in."""
    cidr: str
    """VPC CIDR; subnets are carved from it by `components.subnets.plan_subnets`."""
    zones: tuple[str, ...]
    """Availability zones, in the stable order subnets are planned in."""
    nat_gateways: Literal["per_az", "single"]
    """`per_az`: one NAT per zone, each zone's private subnet routed to its own; `single`: one NAT (dev)."""
    flow_log_retention_days: int
    """Days the VPC flow logs' CloudWatch log group keeps events."""
    interface_endpoints: tuple[str, ...]
    """AWS services (`ecr.api`, `sts`, ...) reached through interface endpoints in the private subnets."""
    cluster_name: str
    """EKS cluster that uses this VPC; subnets carry its `kubernetes.io/cluster/<name>` tag."""
    tags: Mapping[str, str]
    """Base tags merged onto every taggable resource."""
    protect_stateful: bool = True
    """Protect the VPC, its subnets (the cluster's nodes and ENIs live in them) and the flow-log KMS key."""


def subnet_tags(tier: str, cluster_name: str) -> dict[str, str]:
    """Tags EKS and the AWS Load Balancer Controller read to discover a tier's subnets."""
    return {f"kubernetes.io/cluster/{cluster_name}": "shared", **TIER_ROLE_TAGS[tier], "meridian:tier": tier}


def flow_log_group_name(cluster_name: str) -> str:
    """The CloudWatch log group the VPC flow logs go to."""
    return f"/meridian/{cluster_name}/vpc-flow-logs"


def flow_log_key_policy(*, partition: str, account_id: str, region: str, group_name: str) -> str:
    """KMS key policy: the account administers the key; CloudWatch Logs uses it for `group_name` only."""
    return policy_document(account_root_statement(partition, account_id),
                           logs_key_statement(partition, region, account_id, group_name))


def flow_log_trust_policy(*, partition: str, account_id: str, region: str) -> str:
    """Trust policy: only this account's VPC flow logs service may assume the role."""
    flow_logs_arn = f"arn:{partition}:ec2:{region}:{account_id}:vpc-flow-log/*"
    return policy_document({
        "Effect": "Allow", "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_id},
                      "ArnLike": {"aws:SourceArn": flow_logs_arn}},
    })


def flow_log_role_policy(group_arn: str) -> str:
    """Role policy: write and describe the flow-log group and its streams, nothing else."""
    return policy_document({
        "Effect": "Allow", "Action": list(FLOW_LOG_WRITER_ACTIONS), "Resource": [group_arn, f"{group_arn}:*"],
    })


class Network(pulumi.ComponentResource):
    """VPC with public, private and data subnets per zone. Exposes `ref: NetworkRef`."""

    ref: NetworkRef

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("meridian:network:Network", name, None, opts)
        self._name, self._args = name, args
        vpc = aws.ec2.Vpc(f"{name}-vpc", cidr_block=args.cidr, enable_dns_support=True,
                          enable_dns_hostnames=True, tags=self._tags(f"{name}-vpc"),
                          opts=self._opts(protect=args.protect_stateful))
        subnets = self._subnets(vpc)
        tables = self._routing(vpc, subnets)
        endpoint_sg = self._endpoints(vpc, subnets["private"], tables)
        flow_log_group = self._flow_logs(vpc)
        aws.ec2.DefaultSecurityGroup(f"{name}-default-sg", vpc_id=vpc.id, ingress=[], egress=[],
                                     tags=self._tags(f"{name}-default-sg"), opts=self._opts())
        plan = plan_subnets(args.cidr, args.zones)
        self.ref = NetworkRef(
            vpc_id=vpc.id, cidr=args.cidr, zones=args.zones,
            subnets={tier: tuple(SubnetRef(id=subnet.id, cidr=cidr, zone=zone, tier=tier)
                                 for subnet, (zone, cidr) in zip(subnets[tier], plan[tier], strict=True))
                     for tier in TIERS},
            route_table_ids={tier: tuple(table.id for table in tables[tier]) for tier in TIERS},
            endpoint_security_group_id=endpoint_sg.id,
        )
        self.register_outputs({
            "vpc_id": vpc.id, "cidr": args.cidr, "zones": list(args.zones),
            **{f"{tier}_subnet_ids": self.ref.subnet_ids(tier) for tier in TIERS},
            **{f"{tier}_route_table_ids": list(ids) for tier, ids in self.ref.route_table_ids.items()},
            "endpoint_security_group_id": endpoint_sg.id, "flow_log_group_name": flow_log_group.name,
        })

    def _opts(self, *, depends_on: Sequence[pulumi.Resource] = (),
              protect: bool = False) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, depends_on=list(depends_on), protect=protect)

    def _tags(self, resource_name: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        return resource_tags(self._args.tags, resource_name, COMPONENT, extra)

    def _subnets(self, vpc: aws.ec2.Vpc) -> dict[str, list[aws.ec2.Subnet]]:
        """One subnet per tier and zone, at the CIDR the plan fixes for it."""
        plan = plan_subnets(self._args.cidr, self._args.zones)
        subnets: dict[str, list[aws.ec2.Subnet]] = {}
        for tier in TIERS:
            tags = subnet_tags(tier, self._args.cluster_name)
            subnets[tier] = [
                aws.ec2.Subnet(f"{self._name}-{tier}-{zone}", vpc_id=vpc.id, cidr_block=cidr,
                               availability_zone=zone, map_public_ip_on_launch=False,
                               tags=self._tags(f"{self._name}-{tier}-{zone}", tags),
                               opts=self._opts(protect=self._args.protect_stateful))
                for zone, cidr in plan[tier]]
        return subnets

    def _route_table(self, vpc: aws.ec2.Vpc, tier: str, suffix: str,
                     subnets: Sequence[tuple[str, aws.ec2.Subnet]]) -> aws.ec2.RouteTable:
        """A route table without inline routes, associated with `subnets` (zone, subnet)."""
        table_name = f"{self._name}-{tier}-rt{suffix}"
        table = aws.ec2.RouteTable(table_name, vpc_id=vpc.id,
                                   tags=self._tags(table_name, {"meridian:tier": tier}), opts=self._opts())
        for zone, subnet in subnets:
            aws.ec2.RouteTableAssociation(f"{self._name}-{tier}-rta-{zone}", subnet_id=subnet.id,
                                          route_table_id=table.id, opts=self._opts())
        return table

    def _routing(self, vpc: aws.ec2.Vpc,
                 subnets: Mapping[str, Sequence[aws.ec2.Subnet]]) -> dict[str, list[aws.ec2.RouteTable]]:
        """Public via the IGW; private via its zone's NAT (or the single NAT); data with no internet route."""
        name, zones = self._name, self._args.zones
        igw = aws.ec2.InternetGateway(f"{name}-igw", vpc_id=vpc.id, tags=self._tags(f"{name}-igw"),
                                      opts=self._opts())
        public = self._route_table(vpc, "public", "", list(zip(zones, subnets["public"], strict=True)))
        aws.ec2.Route(f"{name}-public-default-route", route_table_id=public.id,
                      destination_cidr_block=ANYWHERE, gateway_id=igw.id, opts=self._opts())
        per_az = self._args.nat_gateways == "per_az"
        nat_zones = zones if per_az else zones[:1]
        nats: list[aws.ec2.NatGateway] = []
        for zone, public_subnet in zip(nat_zones, subnets["public"], strict=False):
            eip = aws.ec2.Eip(f"{name}-nat-eip-{zone}", domain="vpc",
                              tags=self._tags(f"{name}-nat-eip-{zone}"), opts=self._opts(depends_on=[igw]))
            nats.append(aws.ec2.NatGateway(
                f"{name}-nat-{zone}", allocation_id=eip.id, subnet_id=public_subnet.id,
                tags=self._tags(f"{name}-nat-{zone}"), opts=self._opts(depends_on=[igw])))
        private, data = [], []
        for index, zone in enumerate(zones):
            table = self._route_table(vpc, "private", f"-{zone}", [(zone, subnets["private"][index])])
            aws.ec2.Route(f"{name}-private-default-route-{zone}", route_table_id=table.id,
                          destination_cidr_block=ANYWHERE, nat_gateway_id=nats[index if per_az else 0].id,
                          opts=self._opts())
            private.append(table)
            data.append(self._route_table(vpc, "data", f"-{zone}", [(zone, subnets["data"][index])]))
        return {"public": [public], "private": private, "data": data}

    def _endpoints(self, vpc: aws.ec2.Vpc, private_subnets: Sequence[aws.ec2.Subnet],
                   tables: Mapping[str, Sequence[aws.ec2.RouteTable]]) -> aws.ec2.SecurityGroup:
        """S3/DynamoDB gateway endpoints on private and data tables; interface ones in private subnets."""
        name, region = self._name, self._args.region
        gateway_tables = [table.id for tier in ("private", "data") for table in tables[tier]]
        for service in GATEWAY_ENDPOINTS:
            aws.ec2.VpcEndpoint(f"{name}-endpoint-{service}", vpc_id=vpc.id, vpc_endpoint_type="Gateway",
                                service_name=f"com.amazonaws.{region}.{service}",
                                route_table_ids=gateway_tables,
                                tags=self._tags(f"{name}-endpoint-{service}"), opts=self._opts())
        sg_name = f"{name}-endpoints-sg"
        sg = aws.ec2.SecurityGroup(sg_name, vpc_id=vpc.id,
                                   description="HTTPS from the VPC to interface endpoints",
                                   tags=self._tags(sg_name), opts=self._opts())
        aws.vpc.SecurityGroupIngressRule(f"{sg_name}-https", security_group_id=sg.id,
                                         cidr_ipv4=self._args.cidr, ip_protocol="tcp",
                                         from_port=HTTPS_PORT, to_port=HTTPS_PORT,
                                         description="HTTPS from inside the VPC",
                                         tags=self._tags(f"{sg_name}-https"), opts=self._opts())
        for service in self._args.interface_endpoints:
            endpoint_name = f"{name}-endpoint-{service.replace('.', '-')}"
            aws.ec2.VpcEndpoint(endpoint_name, vpc_id=vpc.id, vpc_endpoint_type="Interface",
                                service_name=f"com.amazonaws.{region}.{service}", private_dns_enabled=True,
                                subnet_ids=[subnet.id for subnet in private_subnets],
                                security_group_ids=[sg.id],
                                tags=self._tags(endpoint_name), opts=self._opts())
        return sg

    def _flow_logs(self, vpc: aws.ec2.Vpc) -> aws.cloudwatch.LogGroup:
        """All VPC traffic to a KMS-encrypted log group, written through a least-privilege role."""
        name, args = self._name, self._args
        invoke_opts = pulumi.InvokeOutputOptions(parent=self)
        account_id = aws.get_caller_identity_output(opts=invoke_opts).account_id
        partition = aws.get_partition_output(opts=invoke_opts).partition
        group_name = flow_log_group_name(args.cluster_name)

        def policy_of(build: Callable[..., str], **extra: str) -> pulumi.Output[str]:
            return pulumi.Output.all(partition, account_id).apply(
                lambda ids: build(partition=ids[0], account_id=ids[1], region=args.region, **extra))

        key = aws.kms.Key(f"{name}-flow-logs-key", description=f"VPC flow logs of {args.cluster_name}",
                          enable_key_rotation=True, deletion_window_in_days=KEY_DELETION_WINDOW_DAYS,
                          policy=policy_of(flow_log_key_policy, group_name=group_name),
                          tags=self._tags(f"{name}-flow-logs-key"),
                          opts=self._opts(protect=args.protect_stateful))
        aws.kms.Alias(f"{name}-flow-logs-key-alias", name=f"alias/meridian/{args.cluster_name}/vpc-flow-logs",
                      target_key_id=key.key_id, opts=self._opts())
        group = aws.cloudwatch.LogGroup(f"{name}-flow-logs", name=group_name,
                                        retention_in_days=args.flow_log_retention_days, kms_key_id=key.arn,
                                        tags=self._tags(f"{name}-flow-logs"), opts=self._opts())
        role = aws.iam.Role(f"{name}-flow-logs-role", assume_role_policy=policy_of(flow_log_trust_policy),
                            description=f"VPC flow logs of {args.cluster_name} write to {group_name}",
                            tags=self._tags(f"{name}-flow-logs-role"), opts=self._opts())
        policy = aws.iam.RolePolicy(f"{name}-flow-logs-policy", role=role.name,
                                    policy=group.arn.apply(flow_log_role_policy), opts=self._opts())
        aws.ec2.FlowLog(f"{name}-flow-log", vpc_id=vpc.id, traffic_type="ALL",
                        log_destination_type="cloud-watch-logs", log_destination=group.arn,
                        iam_role_arn=role.arn,
                        max_aggregation_interval=FLOW_LOG_AGGREGATION_SECONDS,
                        tags=self._tags(f"{name}-flow-log"), opts=self._opts(depends_on=[policy]))
        return group
