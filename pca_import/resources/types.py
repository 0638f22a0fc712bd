"""Resource types: each pca-import resource has its own (`pulumi-python:dynamic/pca_import:<Name>`), so `--target`,
transformations, policy packs and the preview can tell a CA from an import.

Before they had one, every dynamic resource was `pulumi-python:dynamic:Resource`; a resource's URN contains its
type, so each resource carries the old type as an alias and an existing stack keeps its resources (no replace).
The names here are the one place the types are spelled (the policy pack reads them too); no pulumi import at
module level, so the pack's glue stays light.
"""
from __future__ import annotations

from typing import Any

LEGACY_TYPE = "pulumi-python:dynamic:Resource"
TYPE_MODULE = "pca_import"  # the SDK's Resource subclass hook: pulumi-python:dynamic/<module>:<name>
IMPORT_NAME, CA_NAME, ISSUED_NAME, SIGNED_NAME = ("CaCertificateImport", "PrivateCertificateAuthority",
                                                  "IssuedCaCertificate", "OfflineSignedCertificate")


def type_of(name: str) -> str:
    return f"pulumi-python:dynamic/{TYPE_MODULE}:{name}"


IMPORT_TYPE, CA_TYPE = type_of(IMPORT_NAME), type_of(CA_NAME)


def with_legacy_alias(opts: Any) -> Any:
    """`opts` plus an alias from the old type, same name and parent (aliases given by the caller are kept)."""
    import pulumi
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[pulumi.Alias(type_=LEGACY_TYPE)]))
