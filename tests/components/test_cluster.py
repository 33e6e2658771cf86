"""EksCluster under the recording mocks: security settings, node layout, add-ons, IRSA, StorageClasses, tags."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pulumi
import pytest

from components.cluster import CONTROL_PLANE_LOG_TYPES, EksCluster, EksClusterArgs
from components.cluster_addons import ADDON_VERSIONS, ADDONS, BEFORE_NODES
from components.cluster_nodes import AMI_ARM, AMI_X86, ami_type
from components.config import SUPPORTED_KUBERNETES_VERSIONS, NodeGroupConfig, StackConfig, parse_stack_config
from components.contracts import ClusterRef, NetworkRef, SubnetRef
from components.errors import ConfigError
from components.irsa import irsa_trust_document
from components.tags import REQUIRED_TAG_KEYS, base_tags
from meridian.synth.mocks import ACCOUNT_ID, RecordedResource
from meridian.synth.plan import Plan
from meridian.synth.schema import is_taggable
from tests.conftest import NODE_GROUPS, raw_config

COMPONENT = "meridian:cluster:EksCluster"
ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
PRIVATE_SUBNETS = {zone: f"subnet-private-{zone[-1]}" for zone in ZONES}
CLUSTER = "aws:eks/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
ADDON = "aws:eks/addon:Addon"
KMS_KEY = "aws:kms/key:Key"
STORAGE_CLASS = "kubernetes:storage.k8s.io/v1:StorageClass"
ADMIN_POLICY = "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"
AUTOSCALING_ROLE = (f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/"
                    "AWSServiceRoleForAutoScaling")


def network_ref() -> NetworkRef:
    """Three zones, one subnet per tier and zone; call inside a program (outputs need the runtime)."""
    def subnets(tier: str, third_octet: int) -> tuple[SubnetRef, ...]:
        return tuple(SubnetRef(id=pulumi.Output.from_input(f"subnet-{tier}-{zone[-1]}"),
                               cidr=f"10.10.{third_octet + index}.0/24", zone=zone, tier=tier)
                     for index, zone in enumerate(ZONES))

    def ids(prefix: str) -> tuple[pulumi.Output[str], ...]:
        return tuple(pulumi.Output.from_input(f"{prefix}-{zone[-1]}") for zone in ZONES)

    return NetworkRef(
        vpc_id=pulumi.Output.from_input("vpc-meridian"), cidr="10.10.0.0/16", zones=ZONES,
        subnets={"public": subnets("public", 0), "private": subnets("private", 16), "data": subnets("data", 32)},
        route_table_ids={"public": (pulumi.Output.from_input("rtb-public"),), "private": ids("rtb-private"),
                         "data": ids("rtb-data")},
        endpoint_security_group_id=pulumi.Output.from_input("sg-endpoints"))


def cluster_args(config: StackConfig, **overrides: Any) -> EksClusterArgs:
    values: dict[str, Any] = {
        "cluster_name": config.cluster_name, "region": config.region,
        "kubernetes_version": config.cluster.kubernetes_version, "network": network_ref(),
        "public_access_cidrs": config.cluster.public_access_cidrs, "admin_role_arns": config.cluster.admin_role_arns,
        "log_retention_days": config.cluster.log_retention_days, "node_groups": config.cluster.node_groups,
        "tags": base_tags(config), "protect_stateful": config.protect_stateful,
    }
    return EksClusterArgs(**{**values, **overrides})


@pytest.fixture
def build(run: Callable[..., Plan], stack_config: StackConfig) -> Callable[..., Plan]:
    """Run an EksCluster named `eks` built from the stack config plus overrides; return its plan."""
    def _build(**overrides: Any) -> Plan:
        return run(lambda: EksCluster("eks", cluster_args(stack_config, **overrides)))
    return _build


@pytest.fixture
def plan(build: Callable[..., Plan]) -> Plan:
    return build()


def one(plan: Plan, token: str) -> RecordedResource:
    found = plan.of_type(token)
    assert len(found) == 1, f"expected one {token}, got {[r.urn for r in found]}"
    return found[0]


def policy(resource: RecordedResource, key: str = "policy") -> dict[str, Any]:
    return dict(json.loads(resource.inputs[key]))


def statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from document["Statement"]


def statement(document: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in statements(document) if s.get("Sid") == sid)


def actions(stmt: dict[str, Any]) -> set[str]:
    return {stmt["Action"]} if isinstance(stmt["Action"], str) else set(stmt["Action"])


# --- control plane -------------------------------------------------------------------------------------------

def test_secrets_are_envelope_encrypted_with_a_rotating_protected_key(plan: Plan) -> None:
    cluster, key = one(plan, CLUSTER), plan.named("eks-secrets-key")
    encryption = cluster.inputs["encryptionConfig"]
    assert encryption["resources"] == ["secrets"], cluster.urn
    assert encryption["provider"]["keyArn"].startswith(f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/"), cluster.urn
    assert key.urn in cluster.dependencies, f"{cluster.urn} must use {key.urn}"
    assert key.inputs["enableKeyRotation"] is True, key.urn
    assert key.protect, f"{key.urn} must be protected"
    cluster_kms = policy(plan.named("eks-cluster-role-kms"))
    assert statement(cluster_kms, "EncryptSecrets")["Resource"] == encryption["provider"]["keyArn"]


def test_endpoint_is_private_only_by_default(plan: Plan) -> None:
    cluster = one(plan, CLUSTER)
    vpc = cluster.inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True, cluster.urn
    assert vpc["endpointPublicAccess"] is False, cluster.urn
    assert "publicAccessCidrs" not in vpc, cluster.urn
    assert vpc["subnetIds"] == list(PRIVATE_SUBNETS.values()), f"{cluster.urn} control plane ENIs: private subnets"


def test_public_endpoint_is_limited_to_configured_cidrs(build: Callable[..., Plan]) -> None:
    cluster = one(build(public_access_cidrs=("203.0.113.0/24", "198.51.100.7/32")), CLUSTER)
    vpc = cluster.inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True, cluster.urn
    assert vpc["endpointPrivateAccess"] is True, cluster.urn
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24", "198.51.100.7/32"], cluster.urn


def test_cluster_settings(plan: Plan, stack_config: StackConfig) -> None:
    cluster = one(plan, CLUSTER)
    assert cluster.inputs["name"] == stack_config.cluster_name, cluster.urn
    assert cluster.inputs["version"] == "1.35", cluster.urn
    assert cluster.inputs["roleArn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/eks-cluster-role", cluster.urn


def test_all_control_plane_logs_go_to_a_retained_log_group_created_first(plan: Plan,
                                                                        stack_config: StackConfig) -> None:
    cluster, logs = one(plan, CLUSTER), one(plan, "aws:cloudwatch/logGroup:LogGroup")
    assert cluster.inputs["enabledClusterLogTypes"] == list(CONTROL_PLANE_LOG_TYPES), cluster.urn
    assert set(CONTROL_PLANE_LOG_TYPES) == {"api", "audit", "authenticator", "controllerManager", "scheduler"}
    assert logs.inputs["name"] == f"/aws/eks/{stack_config.cluster_name}/cluster", logs.urn
    assert logs.inputs["retentionInDays"] == stack_config.cluster.log_retention_days == 90, logs.urn
    assert logs.urn in cluster.dependencies, f"{cluster.urn} must depend on {logs.urn}"


def test_control_plane_logs_are_encrypted_with_the_cluster_key(plan: Plan, stack_config: StackConfig) -> None:
    logs, key = one(plan, "aws:cloudwatch/logGroup:LogGroup"), plan.named("eks-secrets-key")
    assert logs.inputs["kmsKeyId"] == f"arn:aws:kms:us-east-1:{ACCOUNT_ID}:key/{_key_id(plan, key)}", logs.urn
    statements = json.loads(key.inputs["policy"])["Statement"]
    logs_use = [s for s in statements if s["Principal"].get("Service") == "logs.us-east-1.amazonaws.com"]
    assert len(logs_use) == 1, f"{key.urn} must let CloudWatch Logs use it"
    assert logs_use[0]["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == (
        f"arn:aws:logs:us-east-1:{ACCOUNT_ID}:log-group:/aws/eks/{stack_config.cluster_name}/cluster"), key.urn


def _key_id(plan: Plan, key: RecordedResource) -> str:
    """The mock key id, read back from the alias that targets the key."""
    alias = plan.named(f"{key.name}-alias")
    return str(alias.inputs["targetKeyId"])


def test_service_range_is_fixed_so_policies_can_name_the_api_server(plan: Plan) -> None:
    cluster = one(plan, CLUSTER)
    assert cluster.inputs["kubernetesNetworkConfig"]["serviceIpv4Cidr"] == "172.20.0.0/16", cluster.urn


def test_api_authentication_without_creator_admin(plan: Plan) -> None:
    cluster = one(plan, CLUSTER)
    assert cluster.inputs["accessConfig"] == {"authenticationMode": "API",
                                              "bootstrapClusterCreatorAdminPermissions": False}, cluster.urn


def test_each_admin_role_gets_an_access_entry_and_cluster_admin(build: Callable[..., Plan]) -> None:
    roles = ("arn:aws:iam::123456789012:role/platform-admin", "arn:aws:iam::123456789012:role/sre/break-glass")
    plan = build(admin_role_arns=roles)
    entries = plan.of_type("aws:eks/accessEntry:AccessEntry")
    associations = plan.of_type("aws:eks/accessPolicyAssociation:AccessPolicyAssociation")
    assert sorted(e.inputs["principalArn"] for e in entries) == sorted(roles)
    assert {e.name for e in entries} == {"eks-admin-platform-admin", "eks-admin-sre-break-glass"}
    for entry in entries:
        assert entry.inputs["type"] == "STANDARD", entry.urn
        assert entry.inputs["clusterName"] == "meridian-us-east-1", entry.urn
        match = [a for a in associations if a.inputs["principalArn"] == entry.inputs["principalArn"]]
        assert len(match) == 1, f"{entry.urn} needs one policy association"
        assert match[0].inputs["policyArn"] == ADMIN_POLICY, match[0].urn
        assert match[0].inputs["accessScope"] == {"type": "cluster"}, match[0].urn
        assert entry.urn in match[0].dependencies, f"{match[0].urn} must follow {entry.urn}"


# --- IAM, IRSA and KMS ---------------------------------------------------------------------------------------

def test_service_roles_and_their_managed_policies(plan: Plan) -> None:
    for role, service, expected in (
            ("eks-cluster-role", "eks.amazonaws.com", {"AmazonEKSClusterPolicy"}),
            ("eks-node-role", "ec2.amazonaws.com", {"AmazonEKSWorkerNodePolicy", "AmazonEKS_CNI_Policy",
                                                    "AmazonEC2ContainerRegistryReadOnly",
                                                    "AmazonSSMManagedInstanceCore"})):
        resource = plan.named(role)
        trust = policy(resource, "assumeRolePolicy")["Statement"]
        assert trust == [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}], \
            resource.urn
        attached = {a.inputs["policyArn"].rsplit("/", 1)[-1] for a in plan.of_type(
            "aws:iam/rolePolicyAttachment:RolePolicyAttachment") if a.inputs["role"] == role}
        assert attached == expected, resource.urn


def test_oidc_provider_and_ebs_csi_irsa_trust(plan: Plan) -> None:
    oidc = one(plan, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")
    url = oidc.inputs["url"]
    assert re.fullmatch(r"https://oidc\.eks\.us-east-1\.amazonaws\.com/id/[0-9A-F]{32}", url), oidc.urn
    assert oidc.inputs["clientIdLists"] == ["sts.amazonaws.com"], oidc.urn
    host = url.removeprefix("https://")
    role = plan.named("eks-ebs-csi-role")
    [trust] = policy(role, "assumeRolePolicy")["Statement"]
    assert trust["Principal"] == {"Federated": f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{host}"}, role.urn
    assert trust["Action"] == "sts:AssumeRoleWithWebIdentity", role.urn
    assert trust["Condition"] == {"StringEquals": {
        f"{host}:sub": "system:serviceaccount:kube-system:ebs-csi-controller-sa",
        f"{host}:aud": "sts.amazonaws.com"}}, role.urn


def test_ebs_csi_role_permissions_are_scoped_to_the_ebs_key(plan: Plan) -> None:
    managed = plan.named("eks-ebs-csi-driver-policy")
    assert managed.inputs["policyArn"] == "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy"
    inline = plan.named("eks-ebs-csi-kms")
    document = policy(inline)
    grants, use = statement(document, "GrantsForAwsResources"), statement(document, "UseEbsKey")
    assert actions(grants) == {"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}, inline.urn
    assert grants["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}, inline.urn
    assert actions(use) == {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                            "kms:DescribeKey"}, inline.urn
    ebs_key_arn = use["Resource"]
    assert grants["Resource"] == ebs_key_arn, inline.urn
    assert plan.named("eks-ebs-key").urn in inline.dependencies, inline.urn
    assert ebs_key_arn != one(plan, CLUSTER).inputs["encryptionConfig"]["provider"]["keyArn"], \
        "the EBS key and the secrets key must be distinct"


def test_ebs_key_serves_autoscaling_and_ebs_csi_through_ec2_only(plan: Plan) -> None:
    key = plan.named("eks-ebs-key")
    assert key.inputs["enableKeyRotation"] is True, key.urn
    assert key.protect, f"{key.urn} must be protected"
    document = policy(key)
    use, grant = statement(document, "AutoScalingUsesKey"), statement(document, "AutoScalingGrantsForVolumes")
    assert use["Principal"] == grant["Principal"] == {"AWS": AUTOSCALING_ROLE}, key.urn
    assert {"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"} <= actions(use), key.urn
    assert actions(grant) == {"kms:CreateGrant"}, key.urn
    assert grant["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}, key.urn
    csi = statement(document, "EbsCsiDriverViaEc2")
    assert csi["Principal"] == {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:role/eks-ebs-csi-role"}, key.urn
    assert csi["Condition"]["StringEquals"]["kms:ViaService"] == "ec2.us-east-1.amazonaws.com", key.urn
    assert {"kms:CreateGrant", "kms:Decrypt"} <= actions(csi), key.urn


# --- nodes ---------------------------------------------------------------------------------------------------

def test_system_group_spans_all_private_subnets(plan: Plan) -> None:
    system = plan.named("eks-system")
    assert system.inputs["subnetIds"] == list(PRIVATE_SUBNETS.values()), system.urn
    assert system.inputs["labels"] == {"meridian.io/node-group": "system"}, system.urn
    assert not system.inputs.get("taints"), system.urn


def test_data_group_is_one_group_per_zone_with_its_zone_subnet(plan: Plan) -> None:
    groups = [g for g in plan.of_type(NODE_GROUP) if g.name.startswith("eks-data")]
    assert sorted(g.name for g in groups) == [f"eks-data-{zone}" for zone in ZONES]
    for zone in ZONES:
        group = plan.named(f"eks-data-{zone}")
        assert group.inputs["subnetIds"] == [PRIVATE_SUBNETS[zone]], group.urn
        assert group.inputs["labels"] == {"meridian.io/workload": "data", "meridian.io/node-group": "data"}, \
            group.urn
        assert group.inputs["taints"] == [{"key": "meridian.io/data", "value": "true", "effect": "NO_SCHEDULE"}], \
            group.urn


def test_node_groups_take_their_sizes_and_settings_from_config(plan: Plan, stack_config: StackConfig) -> None:
    groups = plan.of_type(NODE_GROUP)
    assert len(groups) == 1 + len(ZONES)
    templates = {t.name: t for t in plan.of_type(LAUNCH_TEMPLATE)}
    for group in groups:
        name = "data" if group.name.startswith("eks-data") else "system"
        config = stack_config.cluster.node_groups[name]
        assert group.inputs["scalingConfig"] == {"minSize": config.min_size, "desiredSize": config.desired_size,
                                                 "maxSize": config.max_size}, group.urn
        assert group.inputs["instanceTypes"] == list(config.instance_types), group.urn
        assert group.inputs["capacityType"] == "ON_DEMAND", group.urn
        assert group.inputs["amiType"] == AMI_X86, group.urn
        assert group.inputs["version"] == "1.35", group.urn
        assert group.inputs["updateConfig"] == {"maxUnavailable": 1}, group.urn
        assert group.inputs["nodeRoleArn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/eks-node-role", group.urn
        assert "diskSize" not in group.inputs, f"{group.urn}: disk size belongs in the launch template"
        template = templates[f"eks-{name}-launch-template"]
        assert group.inputs["launchTemplate"]["id"].startswith(f"{template.name}-"), group.urn
        assert group.inputs["launchTemplate"]["version"] == "1", group.urn


def test_launch_templates_require_imdsv2_and_an_encrypted_gp3_root(plan: Plan, stack_config: StackConfig) -> None:
    templates = plan.of_type(LAUNCH_TEMPLATE)
    assert sorted(t.name for t in templates) == ["eks-data-launch-template", "eks-system-launch-template"]
    ebs_key_arn = statement(policy(plan.named("eks-ebs-csi-kms")), "UseEbsKey")["Resource"]
    for template in templates:
        config = stack_config.cluster.node_groups[template.name.split("-")[1]]
        assert template.inputs["metadataOptions"] == {"httpEndpoint": "enabled", "httpTokens": "required",
                                                      "httpPutResponseHopLimit": 1}, template.urn
        [root] = template.inputs["blockDeviceMappings"]
        assert root["deviceName"] == "/dev/xvda", template.urn
        assert root["ebs"] == {"volumeType": "gp3", "volumeSize": config.disk_gib, "encrypted": "true",
                               "kmsKeyId": ebs_key_arn, "deleteOnTermination": "true"}, template.urn
        assert "imageId" not in template.inputs and "iamInstanceProfile" not in template.inputs, template.urn
        kinds = {spec["resourceType"] for spec in template.inputs["tagSpecifications"]}
        assert {"instance", "volume"} <= kinds, template.urn
        for spec in template.inputs["tagSpecifications"]:
            assert set(REQUIRED_TAG_KEYS) <= set(spec["tags"]), f"{template.urn} {spec['resourceType']}"


def test_graviton_groups_get_the_arm_ami_and_mixed_architectures_fail() -> None:
    graviton = NodeGroupConfig(instance_types=("m7g.xlarge", "c7gn.2xlarge"), min_size=1, desired_size=1,
                               max_size=2)
    assert ami_type(graviton) == AMI_ARM
    assert ami_type(NodeGroupConfig(instance_types=("g5.xlarge", "m7i.large"), min_size=1,
                                    desired_size=1, max_size=2)) == AMI_X86
    mixed = {"instance_types": ["m7g.xlarge", "m7i.xlarge"], "min_size": 1, "desired_size": 1, "max_size": 2}
    cluster = {"kubernetes_version": "1.35", "node_groups": {**NODE_GROUPS, "mixed": mixed}}
    with pytest.raises(ConfigError, match=r"node_groups\.mixed\.instance_types.*mixes arm64"):
        parse_stack_config("us-east-1", raw_config(**{"meridian:cluster": cluster}))


# --- add-ons and Kubernetes ----------------------------------------------------------------------------------

def test_every_supported_version_pins_all_four_addons() -> None:
    assert set(ADDON_VERSIONS) == set(SUPPORTED_KUBERNETES_VERSIONS)
    for version in SUPPORTED_KUBERNETES_VERSIONS:
        pins = ADDON_VERSIONS[version]
        assert set(pins) == {"vpc-cni", "coredns", "kube-proxy", "aws-ebs-csi-driver"} == set(ADDONS), version
        for addon, pin in pins.items():
            assert re.fullmatch(r"v\d+\.\d+\.\d+-eksbuild\.\d+", pin), f"{version} {addon}: {pin}"
        assert pins["kube-proxy"].startswith(f"v{version}."), f"kube-proxy must match Kubernetes {version}"


def test_a_version_without_pins_fails_before_declaring_anything(build: Callable[..., Plan]) -> None:
    with pytest.raises(ConfigError, match=r"kubernetes_version.*no pinned add-on versions"):
        build(kubernetes_version="1.30")


@pytest.mark.parametrize("version", ["1.35", "1.36"])
def test_addons_are_pinned_for_the_configured_version(build: Callable[..., Plan], version: str) -> None:
    plan = build(kubernetes_version=version)
    addons = {a.inputs["addonName"]: a for a in plan.of_type(ADDON)}
    assert set(addons) == set(ADDONS)
    for name, addon in addons.items():
        assert addon.inputs["addonVersion"] == ADDON_VERSIONS[version][name], addon.urn
        assert addon.inputs["resolveConflictsOnCreate"] == "OVERWRITE", addon.urn
        assert addon.inputs["resolveConflictsOnUpdate"] == "PRESERVE", addon.urn
    assert one(plan, CLUSTER).inputs["version"] == version


def test_vpc_cni_enforces_network_policies(plan: Plan) -> None:
    addons = {a.inputs["addonName"]: a for a in plan.of_type(ADDON)}
    cni = addons["vpc-cni"]
    assert json.loads(cni.inputs["configurationValues"]) == {"enableNetworkPolicy": "true"}, cni.urn


def test_addon_order_around_node_groups(plan: Plan) -> None:
    addons = {a.inputs["addonName"]: a for a in plan.of_type(ADDON)}
    groups = plan.of_type(NODE_GROUP)
    for group in groups:
        for early in BEFORE_NODES:
            assert addons[early].urn in group.dependencies, f"{group.urn} must wait for {addons[early].urn}"
    for late in ("coredns", "aws-ebs-csi-driver"):
        assert {g.urn for g in groups} <= set(addons[late].dependencies), f"{addons[late].urn} needs nodes"
    ebs = addons["aws-ebs-csi-driver"]
    assert ebs.inputs["serviceAccountRoleArn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/eks-ebs-csi-role", ebs.urn


def test_kubernetes_provider_uses_aws_eks_get_token(plan: Plan, stack_config: StackConfig) -> None:
    provider = plan.named("eks-k8s")
    assert provider.type == "pulumi:providers:kubernetes", provider.urn
    assert provider.inputs["enableServerSideApply"] in (True, "true"), provider.urn
    kubeconfig = json.loads(provider.inputs["kubeconfig"])
    [cluster] = kubeconfig["clusters"]
    assert cluster["cluster"]["server"].startswith("https://"), provider.urn
    assert cluster["cluster"]["certificate-authority-data"], provider.urn
    [user] = kubeconfig["users"]
    assert user["user"]["exec"]["apiVersion"] == "client.authentication.k8s.io/v1beta1", provider.urn
    assert user["user"]["exec"]["command"] == "aws", provider.urn
    assert user["user"]["exec"]["args"] == ["eks", "get-token", "--cluster-name", stack_config.cluster_name,
                                            "--region", "us-east-1"], provider.urn


def test_storage_classes_are_encrypted_zonal_gp3(plan: Plan) -> None:
    classes = {c.inputs["metadata"]["name"]: c for c in plan.of_type(STORAGE_CLASS)}
    assert set(classes) == {"gp3", "gp3-retain"}
    provider = plan.named("eks-k8s")
    ebs_addon = next(a for a in plan.of_type(ADDON) if a.inputs["addonName"] == "aws-ebs-csi-driver")
    ebs_key_arn = statement(policy(plan.named("eks-ebs-csi-kms")), "UseEbsKey")["Resource"]
    for storage_class in classes.values():
        inputs = storage_class.inputs
        assert inputs["provisioner"] == "ebs.csi.aws.com", storage_class.urn
        assert inputs["parameters"] == {"type": "gp3", "encrypted": "true", "kmsKeyId": ebs_key_arn,
                                        "csi.storage.k8s.io/fstype": "ext4"}, storage_class.urn
        assert inputs["volumeBindingMode"] == "WaitForFirstConsumer", storage_class.urn
        assert inputs["allowVolumeExpansion"] is True, storage_class.urn
        assert storage_class.provider.startswith(provider.urn + "::"), f"{storage_class.urn} uses {provider.urn}"
        assert ebs_addon.urn in storage_class.dependencies, f"{storage_class.urn} waits for the EBS CSI driver"
    default = "storageclass.kubernetes.io/is-default-class"
    assert classes["gp3"].inputs["reclaimPolicy"] == "Delete"
    assert classes["gp3"].inputs["metadata"]["annotations"][default] == "true"
    retain = classes["gp3-retain"]
    assert retain.inputs["reclaimPolicy"] == "Retain", retain.urn
    assert retain.inputs["metadata"]["annotations"][default] == "false", retain.urn
    assert retain.protect, f"{retain.urn} must be protected"


# --- tags, protection, structure, ref ------------------------------------------------------------------------

def test_every_taggable_aws_resource_carries_the_required_tags(plan: Plan) -> None:
    aws_resources = [r for r in plan if r.type.startswith("aws:")]
    taggable = [r for r in aws_resources if is_taggable(r.type)]
    assert {r.type for r in taggable} >= {CLUSTER, NODE_GROUP, LAUNCH_TEMPLATE, ADDON, KMS_KEY,
                                          "aws:iam/role:Role", "aws:cloudwatch/logGroup:LogGroup",
                                          "aws:eks/accessEntry:AccessEntry",
                                          "aws:iam/openIdConnectProvider:OpenIdConnectProvider"}
    assert not is_taggable("aws:kms/alias:Alias"), "the introspection must tell taggable classes apart"
    for resource in taggable:
        tags = resource.inputs.get("tags") or {}
        missing = set(REQUIRED_TAG_KEYS) - set(tags)
        assert not missing, f"{resource.urn} lacks tags {sorted(missing)}"
        assert tags["Name"] == resource.name, resource.urn
        assert tags["meridian:component"] == "cluster", resource.urn


def test_stateful_resources_are_protected_only_when_asked(plan: Plan, build: Callable[..., Plan]) -> None:
    stateful = ("eks-cluster", "eks-secrets-key", "eks-ebs-key", "eks-gp3-retain")
    for name in stateful:
        assert plan.named(name).protect, f"{plan.named(name).urn} must be protected"
    assert one(plan, CLUSTER).inputs["deletionProtection"] is True
    unprotected = build(protect_stateful=False)
    for name in stateful:
        assert not unprotected.named(name).protect, unprotected.named(name).urn


def test_all_children_are_parented_under_the_component(plan: Plan) -> None:
    component = plan.component(COMPONENT)
    children = plan.children_of(component.urn)
    assert len(children) == len(plan) - 1, [r.urn for r in plan if r.parent != component.urn]
    for child in children:
        assert child.name.startswith("eks-"), child.urn


def test_cluster_ref_exposes_what_services_need(run: Callable[..., Plan], stack_config: StackConfig) -> None:
    seen: dict[str, Any] = {}

    def program() -> None:
        ref = EksCluster("eks", cluster_args(stack_config)).ref
        seen["ref"] = ref
        pulumi.Output.all(ref.oidc_issuer, ref.oidc_provider_arn, ref.cluster_security_group_id, ref.name,
                          ref.node_role_arn).apply(lambda values: seen.update(values=values))

    run(program)
    ref: ClusterRef = seen["ref"]
    issuer, provider_arn, security_group, name, node_role = seen["values"]
    assert not issuer.startswith("https://") and issuer.startswith("oidc.eks.us-east-1.amazonaws.com/id/")
    assert provider_arn == f"arn:aws:iam::{ACCOUNT_ID}:oidc-provider/{issuer}"
    assert security_group.startswith("sg-")
    assert name == stack_config.cluster_name
    assert node_role == f"arn:aws:iam::{ACCOUNT_ID}:role/eks-node-role"
    assert ref.zones == ZONES and ref.region == "us-east-1" and ref.kubernetes_version == "1.35"
    assert ref.data_node_labels == {"meridian.io/workload": "data", "meridian.io/node-group": "data"}
    assert ref.data_node_taints == ({"key": "meridian.io/data", "value": "true", "effect": "NoSchedule"},)


def test_irsa_trust_document_accepts_issuer_with_or_without_scheme() -> None:
    with_scheme = irsa_trust_document("arn:p", "https://oidc.example/id/X", "ns", "sa")
    without = irsa_trust_document("arn:p", "oidc.example/id/X", "ns", "sa")
    assert with_scheme == without
    assert with_scheme["Statement"][0]["Condition"]["StringEquals"] == {
        "oidc.example/id/X:sub": "system:serviceaccount:ns:sa", "oidc.example/id/X:aud": "sts.amazonaws.com"}
