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
STACK_TYPE = "pulumi:pulumi:Stack"
TYPE_MODULE = "pca_import"  # the SDK's Resource subclass hook: pulumi-python:dynamic/<module>:<name>
IMPORT_NAME, CA_NAME, ISSUED_NAME, SIGNED_NAME = ("CaCertificateImport", "PrivateCertificateAuthority",
                                                  "IssuedCaCertificate", "OfflineSignedCertificate")


def type_of(name: str) -> str:
    return f"pulumi-python:dynamic/{TYPE_MODULE}:{name}"


IMPORT_TYPE, CA_TYPE = type_of(IMPORT_NAME), type_of(CA_NAME)


def legacy_urn(name: str, parent_urn: str | None, stack: str, project: str) -> str:
    """The URN a resource of the old type had: under its parent's type chain, or at the top level when it has no
    parent or its parent is the stack (the engine leaves the stack out of every URN)."""
    if parent_urn is None or parent_urn.split("::")[2:3] == [STACK_TYPE]:
        return f"urn:pulumi:{stack}::{project}::{LEGACY_TYPE}::{name}"
    return f"{parent_urn[:parent_urn.rfind('::')]}${LEGACY_TYPE}::{name}"


def with_legacy_alias(name: str, opts: Any) -> Any:
    """`opts` plus an alias from the old type, same name and parent (aliases given by the caller are kept).

    The alias is the old URN itself, not `Alias(type_=...)`: the SDK turns an `Alias` object into a URN with about
    a dozen Outputs per resource (a task each, polled until the program ends); a URN string costs one Output (from
    the parent's URN) or none, and the engine matches it the same way."""
    import pulumi
    stack, project = pulumi.get_stack(), pulumi.get_project()
    parent = getattr(opts, "parent", None)
    if parent is None:  # at the stack's top level: the URN is known now
        urn: Any = legacy_urn(name, None, stack, project)
    else:
        urn = parent.urn.apply(lambda parent_urn: legacy_urn(name, parent_urn, stack, project))
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(aliases=[urn]))
