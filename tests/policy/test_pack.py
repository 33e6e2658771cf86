"""The CrossGuard pack: pulumi_policy policies built from the rules, fed the way the policy SDK feeds them."""

from __future__ import annotations

import os
import select
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc  # type: ignore[import-untyped]
import pytest
from google.protobuf import empty_pb2, json_format, struct_pb2  # type: ignore[import-untyped]
from pulumi.runtime import proto
from pulumi.runtime.proto import analyzer_pb2_grpc
from pulumi_policy import (
    EnforcementLevel,
    PolicyCustomTimeouts,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import PolicyResource as SdkResource
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, unknown_checking_proxy

from policy import RULES, StackRule
from policy.model import UNKNOWN
from policy.pack import PACK_NAME, build_policies, materialize
from tests.conftest import ROOT

POLICIES = {policy.name: policy for policy in build_policies()}
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def struct(props: dict[str, Any]) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(props)
    return message


def engine_props(props: dict[str, Any]) -> Any:
    """Props as pulumi_policy hands them to a validation: through protobuf (numbers become floats), deserialized,
    wrapped in its unknown-checking proxy."""
    return unknown_checking_proxy(deserialize_properties(json_format.MessageToDict(struct(props))))


def options(protect: bool = False) -> PolicyResourceOptions:
    return PolicyResourceOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


class Reported(list[tuple[str, str | None]]):
    """A report_violation callback that keeps what it is given."""

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.append((message, urn))


def validate(name: str, type_: str, props: dict[str, Any], protect: bool = False) -> list[tuple[str, str | None]]:
    reported = Reported()
    args = ResourceValidationArgs(type_, engine_props(props), f"urn:pulumi:s::p::{type_}::r", "r", options(protect),
                                  None)
    policy = POLICIES[name]
    assert isinstance(policy, ResourceValidationPolicy)
    policy.validate(args, reported)
    return reported


def test_one_policy_per_rule_with_its_level_and_kind() -> None:
    assert list(POLICIES) == [rule.name for rule in RULES]
    for rule in RULES:
        policy = POLICIES[rule.name]
        assert policy.enforcement_level == EnforcementLevel(rule.enforcement)
        assert policy.description == rule.description
        kind = StackValidationPolicy if isinstance(rule, StackRule) else ResourceValidationPolicy
        assert isinstance(policy, kind), rule.name


def test_resource_policy_reports_through_report_violation() -> None:
    found = validate("log-group-retention", LOG_GROUP, {"name": "/x", "retentionInDays": 0})
    assert [message for message, _ in found] == ["retentionInDays is 0.0: set retention_in_days (e.g. 365)"]
    assert validate("log-group-retention", LOG_GROUP, {"name": "/x", "retentionInDays": 365}) == []


def test_resource_policy_skips_other_types_and_reads_protect() -> None:
    assert validate("log-group-retention", "aws:s3/bucket:Bucket", {}) == []
    bucket = {"bucketPrefix": "b-", "tags": {}}
    assert len(validate("stateful-protected", "aws:s3/bucket:Bucket", bucket)) == 1
    assert validate("stateful-protected", "aws:s3/bucket:Bucket", bucket, protect=True) == []


def test_float_ports_from_the_engine_still_match_443() -> None:
    group = {"tags": {"meridian:exposure": "public-lb"},
             "ingress": [{"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]}
    assert validate("sg-no-public-ingress", "aws:ec2/securityGroup:SecurityGroup", group) == []


def test_values_unknown_during_preview_are_not_violations() -> None:
    props = {"name": "/x", "retentionInDays": 30, "kmsKeyId": UNKNOWN_STRING_VALUE}
    assert validate("log-group-kms", LOG_GROUP, props) == []
    assert materialize(engine_props({"a": [{"b": UNKNOWN_STRING_VALUE}], "c": 1})) == {"a": [{"b": UNKNOWN}], "c": 1}


def sdk_resource(type_: str, name: str, props: dict[str, Any], deps: list[SdkResource] | None = None,
                 protect: bool = False) -> SdkResource:
    return SdkResource(type_, engine_props(props), f"urn:pulumi:s::p::{type_}::{name}", name, options(protect), None,
                       None, deps or [], {})


def test_stack_policy_pairs_by_dependency_and_reports_the_bucket_urn() -> None:
    bucket = sdk_resource("aws:s3/bucket:Bucket", "b", {"bucket": "b-1", "tags": {}}, protect=True)
    versioning = sdk_resource("aws:s3/bucketVersioning:BucketVersioning", "v",
                              {"bucket": UNKNOWN_STRING_VALUE, "versioningConfiguration": {"status": "Enabled"}},
                              deps=[bucket])
    policy = POLICIES["s3-bucket-versioning"]
    assert isinstance(policy, StackValidationPolicy)
    reported = Reported()
    policy.validate(StackValidationArgs([bucket, versioning]), reported)
    assert reported == []
    policy.validate(StackValidationArgs([bucket]), reported)
    assert len(reported) == 1
    message, urn = reported[0]
    assert urn == bucket.urn
    assert message.startswith("b (aws:s3/bucket:Bucket): versioning is not enabled")


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory: pytest.TempPathFactory) -> Iterator[analyzer_pb2_grpc.AnalyzerStub]:
    """The pack as `pulumi preview --policy-pack policy` starts it: Pulumi's Python policy host runs the pack
    directory, which serves the analyzer over gRPC and prints its port."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    process = subprocess.Popen([sys.executable, "-m", "pulumi.policy", "127.0.0.1:0", str(ROOT / "policy")],
                               cwd=tmp_path_factory.mktemp("pack"), env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    try:
        ready, _, _ = select.select([process.stdout], [], [], 60)
        assert ready, "the pack printed no port within 60 s"
        line = process.stdout.readline().strip()
        assert line.isdigit(), f"pack failed: {line!r} {process.stderr.read() if process.poll() is not None else ''}"
        with grpc.insecure_channel(f"127.0.0.1:{line}") as channel:
            yield analyzer_pb2_grpc.AnalyzerStub(channel)
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_pack_serves_every_rule(analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=30)
    assert info.name == PACK_NAME
    levels = {"mandatory": proto.MANDATORY, "advisory": proto.ADVISORY}
    assert {policy.name: policy.enforcementLevel for policy in info.policies} == {
        rule.name: levels[rule.enforcement] for rule in RULES}


def test_pack_reports_a_violating_resource_and_passes_a_compliant_one(
        analyzer: analyzer_pb2_grpc.AnalyzerStub) -> None:
    def analyze(props: dict[str, Any]) -> list[Any]:
        request = proto.AnalyzeRequest(type="aws:kms/key:Key", properties=struct(props), name="key",
                                       urn="urn:pulumi:s::p::aws:kms/key:Key::key",
                                       options=proto.AnalyzerResourceOptions(protect=True))
        return list(analyzer.Analyze(request, timeout=30).diagnostics)

    tags = {"Name": "key", "meridian:component": "c", "meridian:region": "r", "meridian:stack": "s", "owner": "o",
            "cost-centre": "cc"}
    found = analyze({"enableKeyRotation": False, "tags": tags})
    assert [(d.policyName, d.enforcementLevel) for d in found] == [("kms-key-rotation", proto.MANDATORY)]
    assert "enable_key_rotation=True" in found[0].message
    assert analyze({"enableKeyRotation": True, "tags": tags}) == []
