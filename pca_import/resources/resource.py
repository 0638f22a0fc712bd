"""`CaCertificateImport`: the Pulumi resource a program declares (program side of the dynamic provider).

Warnings are shown with `pulumi.log.warn` at preview, where a person sees them (a dynamic provider cannot log),
from the verdict the provider's check kept; errors fail the preview through the provider's check.
"""

import asyncio
import concurrent.futures
import functools
from dataclasses import dataclass
from typing import Any, Awaitable, Optional

import pulumi
from pulumi.dynamic import Resource
from pulumi.output import contains_unknowns

from pca_import.resources.types import IMPORT_NAME, TYPE_MODULE, with_legacy_alias

from pca_import.aws.client import tag_value
from pca_import.core import clock
from pca_import.core.expiry import expiring, kept_path
from pca_import.core.options import ImportOptions
from pca_import.resources.ca_import import FACT_OUTPUTS, VERDICT, CaCertificateImportProvider


@dataclass
class CaCertificateImportArgs:
    """Inputs of a CaCertificateImport; every field accepts a pulumi Input."""

    certificate_authority_arn: pulumi.Input[str]
    certificate: pulumi.Input[str]
    certificate_chain: Optional[pulumi.Input[str]] = None
    rule_profile: Optional[pulumi.Input[str]] = None
    on_delete: Optional[pulumi.Input[str]] = None
    expiry_warning_days: Optional[pulumi.Input[int]] = None
    adopt_owned_by: Optional[pulumi.Input[str]] = None
    enabled: Optional[pulumi.Input[bool]] = None  # the CA's declared state (None: true, ACTIVE); false: DISABLED
    # the CA's account when it is not the stack's own: {"role_arn": ..., "external_id": ..., "session_name": ...}
    account: Optional[pulumi.Input[dict]] = None


def owner_of(resource_name: str) -> str:
    """What this resource writes to its CA's pca-import:owner tag: `<project>/<stack>/<resource name>`."""
    return tag_value(f"{pulumi.get_project()}/{pulumi.get_stack()}/{resource_name}")


class CaCertificateImport(Resource, module=TYPE_MODULE, name=IMPORT_NAME):
    """Imports and keeps a CA certificate in an AWS Private CA; renewals update in place.

    Outputs: status, ca_type, key_algorithm, serial, not_before, not_after, sha256_fingerprint, subject,
    issuer, certificate and certificate_chain (canonical, as imported), complete_chain, owner, owner_tag (the
    CA's pca-import:owner tag as last read or written).

    Declared state: `enabled` (default true) is the status the CA must be in, ACTIVE or DISABLED, as pulumi-aws's
    `CertificateAuthority.enabled`. A refresh that finds it otherwise (disabled or enabled out of band, expired)
    shows a change, and `up` sets it back with one UpdateCertificateAuthority (an expired CA needs a renewal).

    Ownership: the CA is tagged `pca-import:owner = <project>/<stack>/<resource name>`; a CA tagged with another
    owner is refused at preview and at apply unless `adopt_owned_by` names that owner exactly.
    """

    certificate_authority_arn: pulumi.Output[str]
    certificate: pulumi.Output[str]
    certificate_chain: pulumi.Output[Optional[str]]
    complete_chain: pulumi.Output[str]
    status: pulumi.Output[str]
    ca_type: pulumi.Output[str]
    key_algorithm: pulumi.Output[str]
    serial: pulumi.Output[str]
    not_before: pulumi.Output[str]
    not_after: pulumi.Output[str]
    sha256_fingerprint: pulumi.Output[str]
    subject: pulumi.Output[str]
    issuer: pulumi.Output[str]
    rule_profile: pulumi.Output[str]
    on_delete: pulumi.Output[str]
    expiry_warning_days: pulumi.Output[int]
    adopt_owned_by: pulumi.Output[Optional[str]]
    enabled: pulumi.Output[bool]
    owner: pulumi.Output[str]
    owner_tag: pulumi.Output[Optional[str]]
    verdict: pulumi.Output[Optional[dict]]

    def __init__(self, resource_name: str, args: CaCertificateImportArgs | None = None,
                 opts: pulumi.ResourceOptions | None = None, **kwargs):
        if args is None:
            args = CaCertificateImportArgs(**kwargs)
        elif kwargs:
            raise TypeError("pass either args=CaCertificateImportArgs(...) or keyword arguments, not both")
        props = {
            "certificate_authority_arn": args.certificate_authority_arn,
            "certificate": args.certificate,
            "certificate_chain": args.certificate_chain,
            # None means the default: the provider fills it in from ImportOptions, the one place defaults live
            "rule_profile": args.rule_profile,
            "on_delete": args.on_delete,
            "expiry_warning_days": args.expiry_warning_days,
            "adopt_owned_by": args.adopt_owned_by,
            "enabled": args.enabled,
            "owner": owner_of(resource_name),
            **({"account": args.account} if args.account else {}),
            "complete_chain": None,
            VERDICT: None,  # the provider's judgement of the inputs: the warnings shown below
            **{k: None for k in FACT_OUTPUTS},
        }
        super().__init__(CaCertificateImportProvider(), resource_name, props, with_legacy_alias(resource_name, opts))
        _warn_when_known(self, resource_name, args)


def _line(name: str, code: str, location: object, message: str) -> str:
    """How a warning or notice of import `name` reads in the preview."""
    return f"[{code}] {name}: {location}: {message}"


def _findings(name: str, values) -> list[tuple[str, str]]:
    """(severity, text) of the warnings and notices for import `name`'s certificate, chain, profile and warning days,
    from the rule engine (a verdict this version did not write: a state made by an earlier version)."""
    cert, chain, profile, days = values
    if not cert:
        return []
    options, problems = ImportOptions.from_props({"rule_profile": profile, "expiry_warning_days": days})
    if problems:
        return []  # the provider's check reports them
    from pca_import.core.validate import validate_import  # loads cryptography: only when there is a certificate
    report = validate_import(cert, chain, profile=options.rule_profile, expiry_warning_days=options.expiry_warning_days)
    return [(f.severity, _line(name, f.code, f.location, f.message)) for f in report.findings
            if f.severity in ("warning", "notice")]


def _from_verdict(name: str, verdict: Any, days: Any) -> list[tuple[str, str]] | None:
    """The same warnings from the provider's verdict (kept in state), VAL003 computed afresh from the dates it
    kept; None when `verdict` is not one (unknown, or a state made before verdicts were kept)."""
    path = kept_path(verdict)
    options, problems = ImportOptions.from_props({"expiry_warning_days": days})
    if path is None or problems:
        return None
    try:
        found = [(str(f["severity"]), _line(name, f["code"], f["location"], f["message"]))
                 for f in verdict["findings"]]
    except (TypeError, KeyError):
        return None  # not a verdict this version wrote: judge again
    found += [("warning", _line(name, "VAL003", location, message))
              for message, location in expiring(path, clock.now(), options.expiry_warning_days)]
    return found


@functools.cache
def _judge() -> concurrent.futures.ThreadPoolExecutor:
    """One thread of its own for the program-side rules: off the event loop that registers the resources, and out
    of the SDK's default pool, whose threads carry the registration calls."""
    return concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="pca-import-rules")


def _warn_when_known(resource: CaCertificateImport, name: str, args: CaCertificateImportArgs) -> None:
    """Show the import's warnings and notices once its inputs are known: from the verdict its provider's check
    returned (this preview's for new or changed inputs, the last apply's for unchanged ones), or, for a state made
    before verdicts were kept, from the rule engine on a thread of its own."""
    def log(found: list[tuple[str, str]]) -> None:
        for severity, text in found:
            (pulumi.log.warn if severity == "warning" else pulumi.log.info)(text, resource=resource)

    def show(values):
        verdict, inputs = values[0], values[1:]
        if any(contains_unknowns(v) for v in inputs):
            return None  # an input known only at apply: its warnings come then
        if not inputs[0]:
            return None  # no certificate: nothing to judge
        if contains_unknowns(verdict):
            verdict = None  # a state made before verdicts were kept (at preview the SDK calls a missing output unknown)
        found = _from_verdict(name, verdict, inputs[3])
        if found is not None:
            return log(found)

        async def judge() -> None:  # the SDK waits for it before the program ends
            log(await asyncio.get_running_loop().run_in_executor(_judge(), _findings, name, inputs))
        return judge()

    # the verdict as a value even while unknown (the UNKNOWN marker), so a state without one still gets its warnings
    values = (resource.verdict.apply(lambda v: v, True), args.certificate, args.certificate_chain, args.rule_profile,
              args.expiry_warning_days)
    # one Output over what is pending; the plain values join it as they are (an Output each would be polled by the
    # SDK until the program ends)
    pending = [i for i, v in enumerate(values) if isinstance(v, (pulumi.Output, Awaitable))]

    def with_plain(resolved: list) -> None:
        merged = list(values)
        for i, v in zip(pending, resolved):
            merged[i] = v
        return show(merged)
    pulumi.Output.all(*[values[i] for i in pending]).apply(with_plain, True)
