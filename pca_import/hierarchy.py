"""A declarative PKI hierarchy from stack config, built as Pulumi resources.

`parse_hierarchy` is pure (config in, nodes or a clear error out). `build_pki` and `build_signer` are the
two roles of the one Pulumi project: the PKI stack (Private CAs, their signer steps and imports) and the
signer stack (an offline root that signs CSRs read from the PKI stack's outputs).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from .signing import KEY_ALGORITHMS

MAX_DEPTH = 5
NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
BACKENDS = ("boto3", "pulumi-aws")


class HierarchyError(ValueError):
    """A mistake in pca-import:hierarchy, phrased with the node, the field and the fix."""


@dataclass
class Node:
    name: str
    type: str
    subject: dict[str, str]
    key_algorithm: str = "EC_prime256v1"
    parent: str | None = None          # a Private CA node that signs this one
    signer: str = "pca"                # self (root), pca (parent), external (signer stack or files)
    path_length: int | None = None
    validity_days: int = 3650
    arn: str | None = None             # an existing CA to adopt instead of creating one
    certificate_file: str | None = None
    chain_file: str | None = None
    certificate: str | None = None     # the manual path in config: signed PEM pasted by a person
    certificate_chain: str | None = None
    on_delete: str = "retain"
    rule_profile: str = "default"
    expiry_warning_days: int = 30
    children: list[str] = field(default_factory=list)


def _err(i: int, name: str | None, msg: str) -> HierarchyError:
    where = f"pca-import:hierarchy[{i}]" + (f" ({name})" if name else "")
    return HierarchyError(f"{where}: {msg}")


def parse_hierarchy(raw: Any) -> list[Node]:
    """Validate the hierarchy config and return its nodes, parents before children."""
    if not isinstance(raw, list) or not raw:
        raise HierarchyError("pca-import:hierarchy must be a non-empty list of CAs (see README, 'Hierarchy config')")
    nodes: dict[str, Node] = {}
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise _err(i, None, "each CA must be a mapping with at least `name` and `type`")
        name = item.get("name")
        if not isinstance(name, str) or not NAME.match(name):
            raise _err(i, None, f"`name` {name!r} must be lower-case letters, digits and dashes, starting with a letter")
        if name in nodes:
            raise _err(i, name, "this name is used twice: names must be unique")
        known = {"name", "type", "subject", "keyAlgorithm", "parent", "signer", "pathLength", "validityDays", "arn",
                 "certificateFile", "chainFile", "certificate", "certificateChain", "onDelete", "ruleProfile",
                 "expiryWarningDays"}
        unknown = set(item) - known
        if unknown:
            raise _err(i, name, f"unknown field(s) {', '.join(sorted(unknown))}: allowed are {', '.join(sorted(known))}")
        ca_type = str(item.get("type", "")).upper()
        if ca_type not in ("ROOT", "SUBORDINATE"):
            raise _err(i, name, "`type` must be ROOT or SUBORDINATE")
        subject = item.get("subject") or {"commonName": name}
        if not isinstance(subject, dict) or "commonName" not in subject:
            raise _err(i, name, "`subject` must be a mapping with at least commonName")
        key_algorithm = item.get("keyAlgorithm", "EC_prime256v1")
        if key_algorithm not in KEY_ALGORITHMS:
            raise _err(i, name, f"`keyAlgorithm` {key_algorithm!r} is not supported: use one of {', '.join(KEY_ALGORITHMS)}")
        parent, signer = item.get("parent"), item.get("signer")
        if (item.get("certificate") or item.get("certificateFile")) and signer != "external":
            raise _err(i, name, "`certificate`/`certificateFile` supply an externally signed certificate: "
                                "add `signer: external` (a ROOT or a PCA-signed CA gets its certificate from Private CA)")
        if ca_type == "ROOT":
            if parent or (signer not in (None, "self")):
                raise _err(i, name, "a ROOT signs itself: remove `parent`/`signer`")
            signer = "self"
        else:
            if bool(parent) == (signer == "external"):
                raise _err(i, name, "a SUBORDINATE needs exactly one of `parent: <name of a CA above>` or "
                                    "`signer: external`")
            signer = "external" if signer == "external" else "pca"
        on_delete = item.get("onDelete", "retain")
        if on_delete not in ("retain", "disable"):
            raise _err(i, name, "`onDelete` must be retain or disable")
        path_length = item.get("pathLength")
        if path_length is not None and (not isinstance(path_length, int) or not 0 <= path_length <= 3):
            raise _err(i, name, "`pathLength` must be 0, 1, 2 or 3 (the Private CA subordinate templates)")
        nodes[name] = Node(name=name, type=ca_type, subject={k: str(v) for k, v in subject.items()},
                           key_algorithm=key_algorithm, parent=parent, signer=signer, path_length=path_length,
                           validity_days=int(item.get("validityDays", 3650 if ca_type == "ROOT" else 1825)),
                           arn=item.get("arn"), certificate_file=item.get("certificateFile"),
                           chain_file=item.get("chainFile"), certificate=item.get("certificate"),
                           certificate_chain=item.get("certificateChain"), on_delete=on_delete,
                           rule_profile=item.get("ruleProfile", "default"),
                           expiry_warning_days=int(item.get("expiryWarningDays", 30)))
    for i, n in enumerate(nodes.values()):
        if n.parent is not None:
            if n.parent not in nodes:
                raise _err(i, n.name, f"`parent` {n.parent!r} is not a CA in this hierarchy: "
                                      f"use one of {', '.join(k for k in nodes if k != n.name)}")
            nodes[n.parent].children.append(n.name)
    ordered: list[Node] = []
    depth: dict[str, int] = {}

    def visit(n: Node, seen: tuple[str, ...]) -> int:
        if n.name in seen:
            raise HierarchyError(f"pca-import:hierarchy: `parent` links form a cycle: {' -> '.join(seen + (n.name,))}")
        if n.name not in depth:
            depth[n.name] = 1 if n.parent is None else visit(nodes[n.parent], seen + (n.name,)) + 1
            if depth[n.name] > MAX_DEPTH:
                raise HierarchyError(f"pca-import:hierarchy: {n.name} would be level {depth[n.name]}; AWS Private CA "
                                     f"allows at most {MAX_DEPTH} levels")
            ordered.append(n)
        return depth[n.name]

    for n in nodes.values():
        visit(n, ())

    def height(n: Node) -> int:
        return 0 if not n.children else 1 + max(height(nodes[c]) for c in n.children)

    for n in ordered:
        h = height(n)
        if n.signer == "pca":
            if n.path_length is None:
                n.path_length = min(h, 3)
            if n.path_length < h:
                raise HierarchyError(f"pca-import:hierarchy: {n.name} has pathLength {n.path_length} but "
                                     f"{h} level(s) of CAs below it: raise pathLength or flatten the hierarchy")
    return ordered


# ---- the PKI stack ----------------------------------------------------------------------------------


def _read_file(path: str | None) -> str | None:
    if not path:
        return None
    if not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as fh:
        return fh.read()


def _stack_output(resource_name: str, stack_name: str, output: str) -> dict:
    """Another stack's output, read by StackReference at program time (so each entry can become its own
    resource); {} when the stack has no such output yet."""
    import pulumi
    from pulumi.runtime.sync_await import _sync_await
    ref = pulumi.StackReference(resource_name, stack_name=stack_name)
    return _sync_await(ref.get_output_details(output)).value or {}


def _signed_outputs(stack_name: str | None) -> dict:
    """The signer stack's `signed` output ({name: {certificate, chain}})."""
    if not stack_name:
        return {}
    return _stack_output(f"signer-{stack_name.replace('/', '-')}", stack_name, "signed")


def build_pki(nodes: list[Node], *, backend: str = "boto3", signer_stack: str | None = None) -> dict[str, Any]:
    """Register every CA, its signer step and its CaCertificateImport; return per-CA outputs."""
    import pulumi

    from .ca_resources import (TEMPLATE_ROOT, IssuedCaCertificate, PrivateCertificateAuthority,
                               signing_algorithm_for, subordinate_template)
    from .resource import CaCertificateImport

    if backend not in BACKENDS:
        raise HierarchyError(f"pca-import:caBackend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    signed = _signed_outputs(signer_stack) if any(n.signer == "external" for n in nodes) else {}
    by_name = {n.name: n for n in nodes}
    arns: dict[str, Any] = {}
    imports: dict[str, Any] = {}
    results: dict[str, Any] = {}
    external_csrs: dict[str, Any] = {}
    for n in nodes:
        # 1. the CA
        if n.arn:
            arn, csr = pulumi.Output.from_input(n.arn), _existing_csr(n.arn, backend)
        elif backend == "pulumi-aws":
            arn, csr = _aws_ca(n)
        else:
            ca = PrivateCertificateAuthority(f"{n.name}-ca", ca_type=n.type, key_algorithm=n.key_algorithm,
                                             subject=n.subject)
            arn, csr = ca.arn, ca.csr
        arns[n.name] = arn
        # 2. the signer step
        cert = chain = None
        signed_by = ""
        if n.signer == "self":
            signed_by = "itself (RootCACertificate/V1)"
            cert, chain = _issue(n, arn, arn, csr, TEMPLATE_ROOT, signing_algorithm_for(n.key_algorithm), backend,
                                 IssuedCaCertificate)
        elif n.signer == "pca":
            parent = by_name[n.parent]
            signed_by = f"{parent.name} (Private CA, PathLen{n.path_length})"
            cert, chain = _issue(n, arns[parent.name], arn, csr, subordinate_template(n.path_length),
                                 signing_algorithm_for(parent.key_algorithm), backend, IssuedCaCertificate,
                                 depends_on=[imports[parent.name]] if parent.name in imports else [])
        else:
            external_csrs[n.name] = csr
            manual_cert, manual_chain = _read_file(n.certificate_file), _read_file(n.chain_file)
            got = signed.get(n.name) or {}
            if n.certificate:
                cert, chain, signed_by = n.certificate, n.certificate_chain, "external (stack config)"
            elif manual_cert:
                cert, chain, signed_by = manual_cert, manual_chain, f"external (file {n.certificate_file})"
            elif got.get("certificate"):
                cert, chain, signed_by = got["certificate"], got.get("chain"), f"external (stack {signer_stack})"
            else:
                signed_by = "external (awaiting signature)"
        # 3. the import
        entry: dict[str, Any] = {"arn": arn, "type": n.type, "csr": csr, "signed_by": signed_by, "parent": n.parent,
                                 "key_algorithm": n.key_algorithm, "expiry_warning_days": n.expiry_warning_days}
        if cert is None:
            entry.update(status="AWAITING_CERTIFICATE", serial=None, not_before=None, not_after=None)
            pulumi.log.info(f"{n.name}: awaiting its certificate from the external signer; its CSR is exported "
                            f"as cas.{n.name}.csr and external_csrs.{n.name}")
        else:
            imp = CaCertificateImport(f"{n.name}-cert", certificate_authority_arn=arn, certificate=cert,
                                      certificate_chain=chain, on_delete=n.on_delete, rule_profile=n.rule_profile,
                                      expiry_warning_days=n.expiry_warning_days)
            imports[n.name] = imp
            entry.update(status=imp.status, serial=imp.serial, not_before=imp.not_before, not_after=imp.not_after,
                         complete_chain=imp.complete_chain)
        results[n.name] = entry
    pulumi.export("cas", results)
    pulumi.export("external_csrs", external_csrs)
    return results


def _issue(n: Node, issuer_arn, arn, csr, template, signing_algorithm, backend, issued_cls, depends_on=()):
    import pulumi
    opts = pulumi.ResourceOptions(depends_on=list(depends_on))
    if backend == "pulumi-aws":
        import pulumi_aws as aws
        c = aws.acmpca.Certificate(f"{n.name}-issued", certificate_authority_arn=issuer_arn,
                                   certificate_signing_request=csr, signing_algorithm=signing_algorithm,
                                   template_arn=template,
                                   validity=aws.acmpca.CertificateValidityArgs(type="DAYS",
                                                                               value=str(n.validity_days)),
                                   opts=opts)
        chain = None if n.signer == "self" else c.certificate_chain
        return c.certificate, chain
    c = issued_cls(f"{n.name}-issued", issuer_arn=issuer_arn, csr=csr, template_arn=template,
                   signing_algorithm=signing_algorithm, validity_days=n.validity_days, opts=opts)
    return c.certificate, (None if n.signer == "self" else c.certificate_chain)


def _aws_ca(n: Node):
    import pulumi_aws as aws

    from .ca_resources import signing_algorithm_for
    from .signing import AWS_SUBJECT_KEYS
    subject = {_snake(AWS_SUBJECT_KEYS[k]): v for k, v in n.subject.items()}
    ca = aws.acmpca.CertificateAuthority(
        f"{n.name}-ca", type=n.type, permanent_deletion_time_in_days=7,
        certificate_authority_configuration=aws.acmpca.CertificateAuthorityCertificateAuthorityConfigurationArgs(
            key_algorithm=n.key_algorithm, signing_algorithm=signing_algorithm_for(n.key_algorithm),
            subject=aws.acmpca.CertificateAuthorityCertificateAuthorityConfigurationSubjectArgs(**subject)))
    return ca.arn, ca.certificate_signing_request


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _existing_csr(arn: str, backend: str):
    """The CSR of a CA that already exists (adopted by ARN)."""
    import pulumi
    if backend == "pulumi-aws":
        import pulumi_aws as aws
        return aws.acmpca.get_certificate_authority_output(arn=arn).certificate_signing_request
    from .aws import PrivateCa
    pca = PrivateCa.from_environment(region=pulumi.Config("aws").get("region"))
    return pulumi.Output.from_input(pca.csr(arn))


# ---- the signer stack --------------------------------------------------------------------------------


def build_signer(*, pki_stack: str, signer_certificate: str, signer_chain: str | None,
                 signs: dict[str, dict]) -> dict[str, Any]:
    """Sign each CSR the PKI stack exports that this signer is configured to sign; export the results."""
    import pulumi

    from .offline_signer import OfflineSignedCertificate

    csrs = _stack_output("pki", pki_stack, "external_csrs")
    chain = signer_certificate if not signer_chain else signer_certificate.rstrip("\n") + "\n" + signer_chain
    out: dict[str, Any] = {}
    for name, opts in (signs or {}).items():
        csr = csrs.get(name)
        if not csr:
            pulumi.log.warn(f"{name}: no CSR in {pki_stack}'s external_csrs yet: run `pulumi up` on the PKI stack "
                            "first")
            continue
        s = OfflineSignedCertificate(f"{name}-signed", csr=csr, signer_certificate=signer_certificate,
                                     validity_days=int(opts.get("validityDays", 1825)),
                                     path_length=opts.get("pathLength"), renewal=int(opts.get("renewal", 0)))
        out[name] = {"certificate": s.certificate, "chain": chain, "serial": s.serial}
    pulumi.export("signed", out)
    return out


def main() -> None:
    """Entry point of the Pulumi program (__main__.py): dispatch on `pca-import:role`."""
    import pulumi
    cfg = pulumi.Config("pca-import")
    role = cfg.get("role") or "pki"
    if role == "signer":
        build_signer(pki_stack=cfg.require("pkiStack"), signer_certificate=cfg.require("signerCertificate"),
                     signer_chain=cfg.get("signerChain"), signs=cfg.get_object("signs") or {})
        return
    if role != "pki":
        raise HierarchyError(f"pca-import:role must be pki or signer, not {role!r}")
    try:
        nodes = parse_hierarchy(cfg.require_object("hierarchy"))
    except HierarchyError as exc:
        import sys
        pulumi.log.error(f"pca-import: {exc}")
        sys.exit(32)  # the language host's "message already shown" code: no traceback
    build_pki(nodes, backend=cfg.get("caBackend") or "boto3", signer_stack=cfg.get("signerStack"))
