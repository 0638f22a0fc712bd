"""The rule engine as Pulumi policy (CrossGuard): which resources a policy pack checks, which of their inputs
it reads, and the violations it reports.

Pure: a resource's type, name, URN and inputs in, violations out. The pack in `policy/` is the thin skin that
wires this to `pulumi_policy`; it runs in its own virtualenv, so nothing here imports pulumi.

Checked resources:
* `aws.acmpca.CertificateAuthorityCertificate` (pulumi-aws): `certificate`, `certificateChain`.
* pca-import's own `CaCertificateImport` (`pulumi-python:dynamic/pca_import:CaCertificateImport`; in stacks
  made before its resources had types of their own, `pulumi-python:dynamic:Resource`, told apart from other
  dynamic resources by its inputs — the engine does not show `__provider` to policies):
  `certificate`, `certificate_chain`, `rule_profile`, `expiry_warning_days`.

Errors are mandatory violations, warnings and notices advisory. A value not known yet (a preview before the
signer's output exists) is never a violation: an unknown certificate skips the resource, an unknown chain
skips only the rules that need it (`chain_known=False`).

`check_against_ca` is the stack-level half: a resource policy sees one resource, so the CA a certificate is
imported into (its declared type, and its CSR once the CA exists) is found through the certificate's
dependency on the CA's ARN, among every resource of the stack (`aws.acmpca.CertificateAuthority`, or the
hierarchy's `PrivateCertificateAuthority`).
"""
from __future__ import annotations

from typing import Any, Mapping, NamedTuple

from pca_import.core.validate import DEFAULT_PROFILE, validate_import
from pca_import.core.options import DEFAULT_EXPIRY_WARNING_DAYS, SETTINGS, ImportOptions
from pca_import.resources.types import CA_TYPE, IMPORT_TYPE, LEGACY_TYPE  # noqa: F401 (IMPORT_TYPE public)
from pca_import.resources.unknowns import UNKNOWN_SENTINEL
from pca_import.core.report import ERROR, WARNING, Report

AWS_TYPE = "aws:acmpca/certificateAuthorityCertificate:CertificateAuthorityCertificate"
DYNAMIC_TYPE = LEGACY_TYPE  # any dynamic resource, before pca-import's resources had types of their own
# A CaCertificateImport's checked inputs, as a policy sees them: the two it requires, and at least one of its
# settings (the provider's check fills in their defaults; `owner` is set by the resource). Inputs left None
# are not sent at all.
OURS_INPUTS = frozenset({"certificate_authority_arn", "certificate"})
OURS_SETTINGS = frozenset(SETTINGS) | {"owner"}
AWS_CA_TYPE = "aws:acmpca/certificateAuthority:CertificateAuthority"
CHECKED_TYPES = frozenset({AWS_TYPE, DYNAMIC_TYPE, AWS_CA_TYPE, IMPORT_TYPE, CA_TYPE})  # all a stack policy needs to look at
# Inputs of the hierarchy's boto3-backed CA (ca_resources.PrivateCertificateAuthority); outputs arn and csr.
OURS_CA_INPUTS = frozenset({"ca_type", "key_algorithm", "subject"})


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN: Any = _Unknown()
"""Stands for an input whose value is known only after apply."""

# The engine's marker for an unknown string, as a policy SDK may pass it through.
_UNKNOWN_SENTINELS = {UNKNOWN_SENTINEL}


class Violation(NamedTuple):
    mandatory: bool
    code: str
    message: str


class StackResource(NamedTuple):
    """One resource of the stack as a stack policy sees it: its outputs (inputs at a preview of a create)."""
    urn: str
    type: str
    name: str
    props: Mapping[str, Any]
    property_dependencies: Mapping[str, list[str]]  # input name -> URNs it depends on


def _unknown(value: Any) -> bool:
    return value is UNKNOWN or (isinstance(value, str) and value in _UNKNOWN_SENTINELS)


def kind(resource_type: str, inputs: Mapping[str, Any]) -> str | None:
    """'aws' or 'pca-import' for a resource this pack checks, else None."""
    if resource_type == AWS_TYPE:
        return "aws"
    if resource_type == IMPORT_TYPE:
        return "pca-import"
    if resource_type == DYNAMIC_TYPE and OURS_INPUTS <= set(inputs) and OURS_SETTINGS & set(inputs):
        return "pca-import"  # a stack made before pca-import's resources had their own type
    return None


def _keys(which: str) -> tuple[str, str, str]:
    """(ARN, certificate, chain) input names of a checked resource."""
    if which == "aws":
        return "certificateAuthorityArn", "certificate", "certificateChain"
    return "certificate_authority_arn", "certificate", "certificate_chain"


def check(resource_type: str, name: str, inputs: Mapping[str, Any]) -> list[Violation]:
    """The violations of one resource's known inputs (none for a resource this pack does not check)."""
    which = kind(resource_type, inputs)
    if which is None:
        return []
    _arn_key, cert_key, chain_key = _keys(which)
    certificate, chain = inputs.get(cert_key), inputs.get(chain_key)
    if _unknown(certificate):
        return []  # known at apply; the rules run then (our provider) or at the next preview
    violations: list[Violation] = []
    profile, days = DEFAULT_PROFILE, DEFAULT_EXPIRY_WARNING_DAYS
    if which == "pca-import":
        profile, days = _settings(name, inputs, violations)
    chain_known = not _unknown(chain)
    report = validate_import(certificate, chain if chain_known else None, profile=profile,
                             expiry_warning_days=days, chain_known=chain_known)
    return violations + violations_of(report, name, chain_key)


def _ca_facts(ca: StackResource) -> tuple[str | None, str | None]:
    """(type, CSR) a CA resource declares or already has; None where unknown or not a CA."""
    if ca.type == AWS_CA_TYPE:
        ca_type, csr = ca.props.get("type"), ca.props.get("certificateSigningRequest")
    elif ca.type == CA_TYPE or (ca.type == DYNAMIC_TYPE and OURS_CA_INPUTS <= set(ca.props)):
        ca_type, csr = ca.props.get("ca_type"), ca.props.get("csr")
    else:
        return None, None
    ca_type = ca_type.upper() if isinstance(ca_type, str) and not _unknown(ca_type) else None
    if ca_type not in ("ROOT", "SUBORDINATE"):
        ca_type = None
    csr = csr if isinstance(csr, str) and csr and not _unknown(csr) else None
    return ca_type, csr


def check_against_ca(resources: list[StackResource]) -> list[tuple[str, Violation]]:
    """(URN, violation) for each error that only the CA a certificate is imported into reveals: a type the
    certificate cannot have (ROOT001, SUB001, ...) or a key that is not the CA's (KEY001). Errors the
    certificate has on its own are the resource policy's, and are not repeated."""
    by_urn = {r.urn: r for r in resources}
    out: list[tuple[str, Violation]] = []
    for r in resources:
        which = kind(r.type, r.props)
        if which is None:
            continue
        arn_key, cert_key, chain_key = _keys(which)
        cas = [by_urn[u] for u in r.property_dependencies.get(arn_key) or () if u in by_urn]
        facts = [(ca, *_ca_facts(ca)) for ca in cas]
        facts = [f for f in facts if f[1] or f[2]]
        certificate, chain = r.props.get(cert_key), r.props.get(chain_key)
        if len(facts) != 1 or _unknown(certificate):
            continue
        ca, ca_type, csr = facts[0]
        profile, days = DEFAULT_PROFILE, DEFAULT_EXPIRY_WARNING_DAYS
        if which == "pca-import":
            profile, days = _settings(r.name, r.props, [])
        chain_known = not _unknown(chain)
        common = dict(profile=profile, expiry_warning_days=days, chain_known=chain_known)
        chain = chain if chain_known else None
        alone = {(f.code, f.location) for f in validate_import(certificate, chain, **common).findings}
        report = validate_import(certificate, chain, csr=csr, ca_type=ca_type, **common)
        report.findings = [f for f in report.findings if f.severity == ERROR and (f.code, f.location) not in alone]
        what = " and ".join(x for x in (f"type {ca_type}" if ca_type else "", "its CSR" if csr else "") if x)
        for v in violations_of(report, r.name, chain_key):
            out.append((r.urn, v._replace(message=f"{v.message} (the CA: {ca.name}, {what})")))
    return out


def _settings(name: str, inputs: Mapping[str, Any], violations: list[Violation]) -> tuple[str, int]:
    """rule_profile and expiry_warning_days of a CaCertificateImport (ImportOptions: defaulted, and each wrong
    setting reported, as the resource's own check does)."""
    options, problems = ImportOptions.from_props(inputs, is_unknown=_unknown)
    for prop, message in problems:
        violations.append(Violation(True, "INPUT", f"[INPUT] {name}: {prop}: {message}"))
    return options.rule_profile, options.expiry_warning_days


def violations_of(report: Report, name: str, chain_key: str = "certificate_chain") -> list[Violation]:
    """One violation per finding, in the report's order: `[CODE] name: where: what and the fix`."""
    out = []
    for f in report.sorted_findings():
        where = f.location.renamed(chain_key) if f.location.part == "chain" else f.location
        label = "" if f.severity in (ERROR, WARNING) else f" ({f.severity})"
        out.append(Violation(f.severity == ERROR, f.code, f"[{f.code}] {name}: {where}: {f.message}{label}"))
    return out
