"""A declarative PKI hierarchy from stack config, built as Pulumi resources.

The config schema and `parse_hierarchy` live in hierarchy_config.py (pure: config in, nodes or every mistake
out) and are re-exported here. `build_pki` and `build_signer` are the two roles of the one Pulumi project: the
PKI stack (Private CAs, their signer steps and imports) and the signer stack (an offline root that signs CSRs
read from the PKI stack's outputs).
"""
from __future__ import annotations

import os
import re
from typing import Any

from pca_import.resources.hierarchy.config import (  # noqa: F401 (public)
    MAX_DEPTH, NAME, HierarchyError, Node, parse_hierarchy, parse_renew_before_days, parse_signs,
    private_key_problems, renewal_hints)

BACKENDS = ("boto3", "pulumi-aws")


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
    ref = _REFS.get(resource_name)
    if ref is None:
        ref = _REFS[resource_name] = pulumi.StackReference(resource_name, stack_name=stack_name)
    return _sync_await(ref.get_output_details(output)).value or {}


_REFS: dict[str, Any] = {}  # one StackReference per other stack and program run


def _signed_outputs(stack_name: str | None) -> dict:
    """The signer stack's `signed` output ({name: {certificate, chain}})."""
    if not stack_name:
        return {}
    return _stack_output(f"signer-{stack_name.replace('/', '-')}", stack_name, "signed")


def refuse_keys_in_files(nodes: list[Node]) -> None:
    """A manual certificate or chain file that holds a private key stops the program before anything is
    registered: its content would otherwise become a resource input."""
    problems = []
    for n in nodes:
        for key, path in (("certificateFile", n.certificate_file), ("chainFile", n.chain_file)):
            problems += private_key_problems(
                f"pca-import:hierarchy ({n.name}).{key}", _read_file(path),
                fix=f"point `{key}` at the signed certificate's PEM file instead of {path}, and keep keys out "
                    "of the project directory")
    if problems:
        raise HierarchyError(problems)


def build_pki(nodes: list[Node], *, backend: str = "boto3", signer_stack: str | None = None) -> dict[str, Any]:
    """Register every CA, its signer step and its CaCertificateImport; return per-CA outputs."""
    import pulumi

    from pca_import.core.spec import ROOT_TEMPLATE, SUBORDINATE_TEMPLATES, default_signing_algorithm
    from pca_import.resources.ca import IssuedCaCertificate, PrivateCertificateAuthority
    from pca_import.resources.resource import CaCertificateImport

    if backend not in BACKENDS:
        raise HierarchyError(f"pca-import:caBackend must be one of {', '.join(BACKENDS)}, not {backend!r}")
    if backend == "pulumi-aws" and any(n.region for n in nodes):
        raise HierarchyError("pca-import:hierarchy: `region` per CA works with pca-import:caBackend boto3 only (with "
                             "pulumi-aws every CA is in the stack's aws:region): remove `region` from "
                             f"{', '.join(n.name for n in nodes if n.region)} or use caBackend: boto3")
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
                                             subject=n.subject, region=n.region)
            arn, csr = ca.arn, ca.csr
        arns[n.name] = arn
        # 2. the signer step
        cert = chain = None
        signed_by = ""
        if n.signer == "self":
            signed_by = "itself (RootCACertificate/V1)"
            cert, chain = _issue(n, arn, arn, csr, ROOT_TEMPLATE, default_signing_algorithm(n.key_algorithm), backend,
                                 IssuedCaCertificate, issuer_chain=None)
        elif n.signer == "pca":
            parent = by_name[n.parent]
            signed_by = f"{parent.name} (Private CA, PathLen{n.path_length})"
            cert, chain = _issue(n, arns[parent.name], arn, csr, SUBORDINATE_TEMPLATES[n.path_length],
                                 default_signing_algorithm(parent.key_algorithm), backend, IssuedCaCertificate,
                                 depends_on=[imports[parent.name]] if parent.name in imports else [],
                                 issuer_chain=imports[parent.name].complete_chain if parent.name in imports else None)
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
                                 "key_algorithm": n.key_algorithm, "expiry_warning_days": n.expiry_warning_days,
                                 "renew_before_days": n.renew_before_days, "region": n.region}
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
                         complete_chain=imp.complete_chain,
                         renewal_due=imp.not_after.apply(lambda na, n=n: _renewal_due(n, na)))
        results[n.name] = entry
    pulumi.export("cas", results)
    pulumi.export("external_csrs", external_csrs)
    return results


def _renewal_due(n: Node, not_after: str | None) -> bool:
    """Whether `n`'s certificate is within its renewal window now; for an externally signed CA, say who acts."""
    import datetime as dt

    import pulumi

    from pca_import.core import clock
    from pca_import.core.renewal import renewal_due
    if not not_after:
        return False
    decision = renewal_due(dt.datetime.fromisoformat(not_after), clock.now(), n.renew_before_days)
    if decision.due and n.signer == "external":
        pulumi.log.info(f"{n.name}: renewal due ({decision.reason}): exported as cas.{n.name}.renewal_due; the "
                        "signer stack signs it again at its next `up`, and the next `up` here imports it in place")
    return decision.due


def _issue(n: Node, issuer_arn, arn, csr, template, signing_algorithm, backend, issued_cls, depends_on=(),
           issuer_chain=None):
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
                   signing_algorithm=signing_algorithm, validity_days=n.validity_days,
                   renew_before_days=n.renew_before_days, issuer_chain=issuer_chain, ca_name=n.name, opts=opts)
    return c.certificate, (None if n.signer == "self" else c.certificate_chain)


def _aws_ca(n: Node):
    import pulumi_aws as aws

    from pca_import.core.spec import default_signing_algorithm
    from pca_import.core.x509build import AWS_SUBJECT_KEYS
    subject = {_snake(AWS_SUBJECT_KEYS[k]): v for k, v in n.subject.items()}
    ca = aws.acmpca.CertificateAuthority(
        f"{n.name}-ca", type=n.type, permanent_deletion_time_in_days=7,
        certificate_authority_configuration=aws.acmpca.CertificateAuthorityCertificateAuthorityConfigurationArgs(
            key_algorithm=n.key_algorithm, signing_algorithm=default_signing_algorithm(n.key_algorithm),
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
    from pca_import.aws.client import PrivateCa
    pca = PrivateCa.from_environment(region=pulumi.Config("aws").get("region")).for_arn(arn)
    return pulumi.Output.from_input(pca.csr(arn))


# ---- the signer stack --------------------------------------------------------------------------------


def build_signer(*, pki_stack: str, signer_certificate: str, signer_chain: str | None,
                 signs: dict[str, dict]) -> dict[str, Any]:
    """Sign each CSR the PKI stack exports that this signer is configured to sign; export the results."""
    import pulumi

    from pca_import.resources.offline_signer import OfflineSignedCertificate

    settings = parse_signs(signs)
    csrs = _stack_output("pki", pki_stack, "external_csrs")
    cas = _stack_output("pki", pki_stack, "cas")
    chain = signer_certificate if not signer_chain else signer_certificate.rstrip("\n") + "\n" + signer_chain
    out: dict[str, Any] = {}
    for name, opts in settings.items():
        csr = csrs.get(name)
        if not csr:
            pulumi.log.warn(f"{name}: no CSR in {pki_stack}'s external_csrs yet: run `pulumi up` on the PKI stack "
                            "first")
            continue
        s = OfflineSignedCertificate(f"{name}-signed", csr=csr, signer_certificate=signer_certificate,
                                     validity_days=opts.validity_days, path_length=opts.path_length,
                                     renewal=opts.renewal,
                                     renew_before_days=(cas.get(name) or {}).get("renew_before_days"))
        out[name] = {"certificate": s.certificate, "chain": chain, "serial": s.serial}
    pulumi.export("signed", out)
    return out


def _config_object(cfg, key: str):
    """A structured config value, or a HierarchyError naming the key (never a traceback)."""
    try:
        return cfg.get_object(key)
    except Exception:  # ConfigTypeError: not JSON/YAML structure
        raise HierarchyError(f"pca-import:{key} must be a YAML list or mapping in the stack file "
                             "(see README, 'Hierarchy config')") from None


def _required(cfg, key: str, how: str) -> str:
    value = cfg.get(key)
    if not value:
        raise HierarchyError(f"pca-import:{key} is not set: {how}")
    return value


def main() -> None:
    """Entry point of the Pulumi program (__main__.py): dispatch on `pca-import:role`.

    Config mistakes are shown as one error listing each of them, before any resource is registered."""
    import pulumi
    cfg = pulumi.Config("pca-import")
    try:
        role = cfg.get("role") or "pki"
        if role == "signer":
            certificate = _required(cfg, "signerCertificate", "`pulumi config set pca-import:signerCertificate "
                                                              "< offline-root.pem`")
            chain = cfg.get("signerChain")
            leaked = (private_key_problems("pca-import:signerCertificate", certificate)
                      + private_key_problems("pca-import:signerChain", chain))
            if leaked:
                raise HierarchyError(leaked)
            signs = _config_object(cfg, "signs")
            parse_signs(signs)
            build_signer(pki_stack=_required(cfg, "pkiStack", "the PKI stack's name, e.g. "
                                                             "organization/pca-import/pki"),
                         signer_certificate=certificate, signer_chain=chain, signs=signs or {})
            return
        if role != "pki":
            raise HierarchyError(f"pca-import:role must be pki or signer, not {role!r}")
        nodes = parse_hierarchy(_config_object(cfg, "hierarchy"),
                                parse_renew_before_days(_config_object(cfg, "renewBeforeDays")))
        backend = cfg.get("caBackend") or "boto3"
        if backend not in BACKENDS:
            raise HierarchyError(f"pca-import:caBackend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        refuse_keys_in_files(nodes)
        for hint in renewal_hints(nodes):
            pulumi.log.warn(hint)
    except HierarchyError as exc:
        import sys
        for problem in exc.problems:
            pulumi.log.error(f"pca-import: {problem}")
        sys.exit(32)  # the language host's "message already shown" code: no traceback
    from pca_import.aws.client import AwsError
    try:
        build_pki(nodes, backend=backend, signer_stack=cfg.get("signerStack"))
    except AwsError as exc:  # reading an adopted CA's CSR at program time: the message names the CA and fix
        import sys
        pulumi.log.error(f"pca-import: {exc}")
        sys.exit(32)
