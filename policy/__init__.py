"""Meridian's policy rules: plain functions over a resource's type and inputs.

The CrossGuard pack (`PulumiPolicy.yaml`, `__main__.py`, `pack.py`) and `meridian synth` (through `evaluate`) run the
same rules. This package imports only the standard library, so the pack needs nothing but pulumi-policy.
"""

from policy.model import PolicyResource, Rule, StackRule, Violation
from policy.registry import RULES, UNPROTECTED_STACK_LEVELS, evaluate, mandatory, report

__all__ = ["RULES", "UNPROTECTED_STACK_LEVELS", "PolicyResource", "Rule", "StackRule", "Violation", "evaluate",
           "mandatory", "report"]
