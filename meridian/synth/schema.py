"""What the provider SDKs say about a resource type: its Python class, and whether it takes tags."""

from __future__ import annotations

import functools
import importlib
import inspect


@functools.cache
def pulumi_class(token: str) -> type | None:
    """The pulumi_aws class of a type token such as `aws:ec2/subnet:Subnet` (None for other packages)."""
    package, module_path, class_name = token.split(":")
    if package != "aws":
        return None
    module_name = module_path.split("/")[0]
    module = importlib.import_module("pulumi_aws" if module_name == "index" else f"pulumi_aws.{module_name}")
    found = getattr(module, class_name, None)
    return found if isinstance(found, type) else None


@functools.cache
def is_taggable(token: str) -> bool:
    """True when the AWS resource type accepts a `tags` input."""
    cls = pulumi_class(token)
    if cls is None:
        return False
    return "tags" in inspect.signature(cls._internal_init).parameters  # type: ignore[attr-defined]
