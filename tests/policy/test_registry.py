"""The registry: every rule has a violating and a compliant case, evaluation levels, the readable report."""

from __future__ import annotations

import subprocess
import sys

import pytest

from policy import RULES, UNPROTECTED_STACK_LEVELS, evaluate, mandatory, report
from tests.conftest import ROOT
from tests.policy import (
    test_rules_compute,
    test_rules_governance,
    test_rules_iam,
    test_rules_kubernetes,
    test_rules_network,
    test_rules_s3,
)
from tests.policy.helpers import TAGS, res

ALL_CASES = [*test_rules_s3.CASES, *test_rules_compute.CASES, *test_rules_network.CASES, *test_rules_iam.CASES,
             *test_rules_governance.CASES, *test_rules_kubernetes.CASES]

BUCKET = res("aws:s3/bucket:Bucket", "b", {"tags": TAGS, "forceDestroy": True})
ADMIN = res("aws:iam/rolePolicyAttachment:RolePolicyAttachment", "a",
            {"policyArn": "arn:aws:iam::aws:policy/AdministratorAccess"})


def test_there_are_at_least_25_rules_with_unique_names() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) >= 25
    assert len(set(names)) == len(names)
    assert {rule.enforcement for rule in RULES} == {"mandatory", "advisory"}


@pytest.mark.parametrize("rule", [rule.name for rule in RULES])
def test_every_rule_has_a_violating_and_a_compliant_case(rule: str) -> None:
    cases = [c for c in ALL_CASES if c.rule == rule]
    assert any(c.compliant for c in cases), f"{rule} has no compliant case"
    assert any(not c.compliant for c in cases), f"{rule} has no violating case"


def test_cases_name_only_known_rules() -> None:
    assert {c.rule for c in ALL_CASES} <= {rule.name for rule in RULES}


def test_levels_override_enforcement_by_rule_name() -> None:
    found = evaluate([BUCKET, ADMIN], {"stateful-protected": "advisory", "s3-no-force-destroy": "disabled"})
    levels = {v.rule: v.enforcement for v in found}
    assert levels["stateful-protected"] == "advisory"
    assert levels["iam-no-administrator-access"] == "mandatory"
    assert "s3-no-force-destroy" not in levels
    assert UNPROTECTED_STACK_LEVELS == {"stateful-protected": "advisory"}


def test_levels_naming_an_unknown_rule_fail() -> None:
    with pytest.raises(ValueError, match=r"unknown policy rule.*no-such-rule"):
        evaluate([], {"no-such-rule": "advisory"})


def test_report_groups_by_rule_mandatory_first_with_resource_type_and_fix() -> None:
    found = evaluate([BUCKET, ADMIN], {"stateful-protected": "advisory"})
    text = report(found)
    lines = text.splitlines()
    assert lines[0] == f"policy: {len(found)} violation(s), {len(mandatory(found))} mandatory, 1 advisory"
    assert "[mandatory] iam-no-administrator-access: " in text
    assert "  - a (aws:iam/rolePolicyAttachment:RolePolicyAttachment): attaches arn:aws:iam::aws:policy/" in text
    assert "  - b (aws:s3/bucket:Bucket): forceDestroy is true" in text
    assert text.index("[mandatory]") < text.index("[advisory] stateful-protected")
    assert report([]) == "policy: no violations"


def test_the_package_imports_neither_the_program_nor_the_cli() -> None:
    code = ("import sys, policy.pack; bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('components', 'meridian', 'dashboards', 'alerts', 'observability')); print(bad)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
