"""Meridian: one Pulumi stack per AWS region. Composition only: config -> providers -> platform -> exports."""

from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.config import current_raw_config, parse_stack_config
from components.fleet import check_fleet_config, load_fleet, load_fleet_config
from components.fleet_plan import fleet_plan
from components.platform import RegionalPlatform, RegionalPlatformArgs, peer_regions
from components.regions import require_zones
from components.tags import base_tags

# Validate this stack, then every stack file together, before any resource is declared.
config = parse_stack_config(pulumi.get_stack(), current_raw_config())
project_dir = Path(__file__).resolve().parent
fleet = load_fleet(project_dir, overrides={config.stack: config})
fleet_config = load_fleet_config(project_dir)
check_fleet_config(fleet_config, fleet)
require_zones(config.region, config.zones)

aws_provider = aws.Provider("aws", region=config.region,
                            default_tags=aws.ProviderDefaultTagsArgs(tags=base_tags(config)))
platform = RegionalPlatform(
    "meridian", RegionalPlatformArgs(config=config, peers=peer_regions(config, fleet), project=pulumi.get_project(),
                                     fleet=fleet_plan(config, fleet, fleet_config)),
    opts=pulumi.ResourceOptions(providers={"aws": aws_provider}))

pulumi.export("region", config.region)
pulumi.export("vpcId", platform.network.vpc_id)
pulumi.export("vpcCidr", platform.network.cidr)
pulumi.export("privateRouteTableIds", list(platform.network.route_table_ids["private"]))
pulumi.export("dataRouteTableIds", list(platform.network.route_table_ids["data"]))
pulumi.export("clusterName", platform.cluster.name)
pulumi.export("clusterEndpoint", platform.cluster.endpoint)
# base64 PEM: `meridian vault bootstrap` configures Vault's Kubernetes auth with it.
pulumi.export("clusterCertificateAuthority", platform.cluster.certificate_authority)
pulumi.export("oidcProviderArn", platform.cluster.oidc_provider_arn)
pulumi.export("clusterSecurityGroupId", platform.cluster.cluster_security_group_id)
if platform.connectivity is not None:  # what later regions' stacks read to peer with this one
    pulumi.export("transitGatewayId", platform.connectivity.transit_gateway_id)
    pulumi.export("transitGatewayRouteTableId", platform.connectivity.route_table_id)
if platform.fleet_dns is not None:  # the primary's is the zone later regions associate with
    pulumi.export("fleetZoneId", platform.fleet_dns.zone_id)
