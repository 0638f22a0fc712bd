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


def with_legacy_alias(name: str, opts: Any) -> Any:
    """`opts` plus an alias from the old type, same name and parent (aliases given by the caller are kept).

    The alias is the old URN itself, not `Alias(type_=...)`: the SDK turns an `Alias` object into a URN with about
    a dozen Outputs per resource (a task each, polled until the program ends); a URN string costs one Output (from
    the parent's URN) or none, and the engine matches it the same way."""
    import pulumi
    parent = getattr(opts, "parent", None)
    if parent is None:  # at the stack's top level: the URN is known now
        urn: Any = f"urn:pulumi:{pulumi.get_stack()}::{pulumi.get_project()}::{LEGACY_TYPE}::{name}"
    else:  # under a component: its type chain, then the old type
        urn = parent.urn.apply(lambda parent_urn: f"{parent_urn[:parent_urn.rfind('::')]}${LEGACY_TYPE}::{name}")
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[urn]))
