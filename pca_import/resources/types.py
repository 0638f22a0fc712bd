"""Resource types: each pca-import resource has its own (`pulumi-python:dynamic/pca_import:<Name>`), so `--target`,
transformations, policy packs and the preview can tell a CA from an import.

Before they had one, every dynamic resource was `pulumi-python:dynamic:Resource`; a resource's URN contains its
type, so each resource carries the old type as an alias and an existing stack keeps its resources (no replace).
"""
from __future__ import annotations

from typing import Optional

import pulumi

LEGACY_TYPE = "pulumi-python:dynamic:Resource"


def with_legacy_alias(opts: Optional[pulumi.ResourceOptions]) -> pulumi.ResourceOptions:
    """`opts` plus an alias from the old type, same name and parent (aliases given by the caller are kept)."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=LEGACY_TYPE)]))
