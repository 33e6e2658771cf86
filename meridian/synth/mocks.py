"""Recording Pulumi mocks: realistic answers per region, and a monitor that records what the program declares.

Shared by `meridian synth` and the tests, so both see exactly the same program behaviour.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

import pulumi
from pulumi.runtime import rpc
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs

from components.regions import ZONES_BY_REGION

ACCOUNT_ID = "123456789012"
SECRET_MASK = "[secret]"


def _digest(*parts: str, length: int = 32) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:length].upper()


REGION_SCOPED_IDS: Final = {"aws:ec2transitgateway/transitGateway:TransitGateway": "tgw",
                            "aws:ec2transitgateway/routeTable:RouteTable": "tgw-rtb",
                            "aws:ec2/routeTable:RouteTable": "rtb"}
"""Types whose mock id depends on the region: a peer's outputs (below) must name the ids its own synth gives."""


def region_scoped_id(prefix: str, region: str, name: str) -> str:
    """The mock id of a resource named `name` in `region` (AWS style: `tgw-0123...`)."""
    return f"{prefix}-{_digest(region, name, length=17).lower()}"


def peer_stack_outputs(region: str, zones: int, stack: str | None = None) -> dict[str, Any]:
    """What a peer stack in `region` exports for the connectivity, as its own synth computes it (the program's
    resource names; tests/meridian/test_connectivity.py holds the two synths against each other)."""
    names = ZONES_BY_REGION[region][:zones]
    return {
        "region": region,
        "transitGatewayId": region_scoped_id("tgw", region, "meridian-connectivity-tgw"),
        "transitGatewayRouteTableId": region_scoped_id("tgw-rtb", region, "meridian-connectivity-tgw-rt"),
        "privateRouteTableIds": [region_scoped_id("rtb", region, f"meridian-network-private-rt-{zone}")
                                 for zone in names],
        "dataRouteTableIds": [region_scoped_id("rtb", region, f"meridian-network-data-rt-{zone}") for zone in names],
        "clusterSecurityGroupId": _cluster_security_group(region, "meridian-eks-cluster"),
        "clusterName": f"meridian-{stack or region}",  # the default cluster name (StackConfig.cluster_name)
        "clusterEndpoint": _cluster_endpoint(region, "meridian-eks-cluster"),
        "clusterCertificateAuthority": _cluster_certificate_authority("meridian-eks-cluster"),
        "fleetZoneId": hosted_zone_id(region, "meridian-fleet-dns-zone"),
    }


def hosted_zone_id(region: str, name: str) -> str:
    """The mock id of a Route 53 hosted zone declared as `name` by the stack in `region`."""
    return f"Z{_digest(region, name, length=20)}"


def _cluster_endpoint(region: str, cluster_resource: str) -> str:
    return f"https://{_digest(cluster_resource)}.gr7.{region}.eks.amazonaws.com"


def _cluster_certificate_authority(cluster_resource: str) -> str:
    return base64.b64encode(f"ca-of-{cluster_resource}".encode()).decode()


def _cluster_security_group(region: str, cluster_resource: str) -> str:
    return f"sg-{_digest(region, cluster_resource, 'cluster', length=17).lower()}"


class RegionMocks(pulumi.runtime.Mocks):
    """Answers invokes and fills computed outputs as AWS and Kubernetes would, deterministically."""

    def __init__(self, region: str, fleet: Mapping[str, tuple[str, int]] | None = None) -> None:
        self.region = region
        self.fleet = dict(fleet or {})
        """Every stack's (region, zone count), for StackReferences to peers."""

    def call(self, args: MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]]]:
        region = args.args.get("region") or self.region
        token = args.token
        if token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            zones = list(ZONES_BY_REGION.get(region, ()))
            short = region.replace("-", "")[:3] + region.split("-")[-1]
            ids = [f"{short}-az{index + 1}" for index in range(len(zones))]
            return {"id": region, "names": zones, "zoneIds": ids, "groupNames": [region] * len(zones),
                    "state": "available", "region": region}, []
        if token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"id": ACCOUNT_ID, "accountId": ACCOUNT_ID, "userId": "AIDAMERIDIANSYNTH",
                    "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/meridian-synth"}, []
        if token == "aws:index/getPartition:getPartition":
            return {"id": "aws", "partition": "aws", "dnsSuffix": "amazonaws.com",
                    "reverseDnsPrefix": "com.amazonaws"}, []
        if token == "aws:index/getRegion:getRegion":
            return {"id": region, "region": region, "name": region, "endpoint": f"ec2.{region}.amazonaws.com",
                    "description": region}, []
        raise NotImplementedError(f"the synth mocks do not answer invoke {token}; add it to RegionMocks.call")

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        state = dict(args.inputs)
        resource_id = f"{args.name}-{_digest(args.typ, args.name, length=8).lower()}"
        token = args.typ
        if token == "pulumi:pulumi:StackReference":
            return resource_id, self._stack_reference(str(state.get("name", "")))
        if token in REGION_SCOPED_IDS:
            resource_id = region_scoped_id(REGION_SCOPED_IDS[token], str(state.get("region") or self.region),
                                           args.name)
        if token.startswith("aws:"):
            service = token.split(":")[1].split("/")[0]
            state.setdefault("arn", f"arn:aws:{service}:{self.region}:{ACCOUNT_ID}:{args.name}")
            state.setdefault("tagsAll", state.get("tags", {}))
        if token == "aws:iam/role:Role":
            state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:role/{state.get('name', args.name)}"
            state.setdefault("name", args.name)
        elif token == "aws:kms/key:Key":
            resource_id = f"{_digest(args.name, length=8)}-1111-2222-3333-{_digest(args.name, 'k', length=12)}"
            resource_id = resource_id.lower()
            state["arn"] = f"arn:aws:kms:{self.region}:{ACCOUNT_ID}:key/{resource_id}"
            state["keyId"] = resource_id
        elif token == "aws:eks/cluster:Cluster":
            host = _digest(args.name)
            state.update({
                "endpoint": _cluster_endpoint(self.region, args.name),
                "certificateAuthority": {"data": _cluster_certificate_authority(args.name)},
                "identities": [{"oidcs": [{"issuer": f"https://oidc.eks.{self.region}.amazonaws.com/id/{host}"}]}],
                "arn": f"arn:aws:eks:{self.region}:{ACCOUNT_ID}:cluster/{state.get('name', args.name)}",
                "platformVersion": "eks.1",
                "status": "ACTIVE",
            })
            vpc = dict(state.get("vpcConfig") or {})
            vpc["clusterSecurityGroupId"] = _cluster_security_group(self.region, args.name)
            state["vpcConfig"] = vpc
        elif token == "aws:s3/bucket:Bucket":
            suffix = _digest(args.name, length=12).lower()
            bucket = state.get("bucket") or f"{state.get('bucketPrefix', args.name)}{suffix}"
            resource_id = bucket
            state.update({"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}",
                          "bucketRegionalDomainName": f"{bucket}.s3.{self.region}.amazonaws.com"})
        elif token == "aws:cloudwatch/logGroup:LogGroup":
            state["arn"] = f"arn:aws:logs:{self.region}:{ACCOUNT_ID}:log-group:{state.get('name', args.name)}"
        elif token == "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            url = str(state.get("url", "")).removeprefix("https://")
            state["arn"] = f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{url}"
        elif token == "aws:route53/zone:Zone":
            resource_id = hosted_zone_id(self.region, args.name)
            state.update({"zoneId": resource_id, "arn": f"arn:aws:route53:::hostedzone/{resource_id}"})
        elif token == "kubernetes:core/v1:Secret" and args.resource_id:  # a read (Secret.get) of a peer's Secret
            state["data"] = {key: base64.b64encode(f"{args.resource_id}/{key}".encode()).decode()
                             for key in ("ca.crt", "tls.crt", "tls.key")}
        elif token == "aws:ec2/launchTemplate:LaunchTemplate":
            state.update({"latestVersion": 1, "defaultVersion": 1})
        elif token in ("aws:ec2/vpc:Vpc", "aws:ec2/subnet:Subnet", "aws:ec2/securityGroup:SecurityGroup"):
            prefix = {"aws:ec2/vpc:Vpc": "vpc", "aws:ec2/subnet:Subnet": "subnet",
                      "aws:ec2/securityGroup:SecurityGroup": "sg"}[token]
            resource_id = f"{prefix}-{_digest(args.name, length=17).lower()}"
        return resource_id, state

    def _stack_reference(self, name: str) -> dict[str, Any]:
        """A peer stack's outputs (`<org>/<project>/<stack>`), as that stack's own synth exports them."""
        stack = name.rsplit("/", 1)[-1]
        if stack not in self.fleet:
            raise KeyError(f"StackReference {name!r}: no stack {stack!r} in the fleet the synth was given "
                           f"({', '.join(sorted(self.fleet)) or 'none'})")
        region, zones = self.fleet[stack]
        return {"name": name, "outputs": peer_stack_outputs(region, zones, stack), "secretOutputNames": []}


def _alias_text(alias: Any) -> str:
    """An alias as text: its URN, or the name (else type) its spec changes."""
    if alias.WhichOneof("alias") == "urn":
        return str(alias.urn)
    return str(alias.spec.name or alias.spec.type)


def mask_secrets(value: Any) -> Any:
    """Replace every Pulumi secret in a deserialized property tree with the mask.

    Also gives back integers their type: the wire format carries every number as a double.
    """
    if isinstance(value, dict):
        if value.get(rpc._special_sig_key) == rpc._special_secret_sig:
            return SECRET_MASK
        return {key: mask_secrets(item) for key, item in value.items()}
    if isinstance(value, list):
        return [mask_secrets(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class RecordedResource:
    """One registration as the engine would see it."""

    urn: str
    type: str
    name: str
    parent: str
    custom: bool
    protect: bool
    retain_on_delete: bool
    provider: str
    dependencies: list[str]
    aliases: list[str]
    inputs: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The plan.json form, lists sorted so the output is stable."""
        return {"urn": self.urn, "type": self.type, "name": self.name, "parent": self.parent,
                "custom": self.custom, "protect": self.protect, "retainOnDelete": self.retain_on_delete,
                "provider": self.provider, "dependencies": sorted(set(self.dependencies)),
                "aliases": self.aliases, "inputs": self.inputs}


class RecordingMonitor(MockMonitor):
    """MockMonitor that also keeps parent, dependencies, protect and masked inputs of every registration."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.recorded: list[RecordedResource] = []

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type != "pulumi:pulumi:Stack":
            inputs = mask_secrets(rpc.deserialize_properties(request.object))
            aliases = [_alias_text(alias) for alias in request.aliases] + list(request.aliasURNs)
            self.recorded.append(RecordedResource(
                urn=response.urn, type=request.type, name=request.name, parent=request.parent,
                custom=bool(request.custom), protect=bool(request.protect),
                retain_on_delete=bool(request.retainOnDelete), provider=request.provider,
                dependencies=list(request.dependencies), aliases=aliases, inputs=inputs))
        return response
