"""The Pulumi dynamic provider behind `CaCertificateImport`: a thin translation over the rule engine and
the AWS adapter.

This module must stay importable under this name: the provider object is pickled *by reference*
(`pca_import.provider.CaCertificateImportProvider`), so state stores ~100 bytes, not code. Renaming the
module or class breaks existing stacks.
"""
from __future__ import annotations

import sys
from typing import Any

from pulumi.dynamic import (CheckFailure, CheckResult, ConfigureRequest, CreateResult, DiffResult, ReadResult,
                            ResourceProvider, UpdateResult)

from .aws import AwsError, PrivateCa, Settings
from .engine import DEFAULT_PROFILE, PROFILES, validate_import
from .pem import canonical_pem
from .provider_errors import ProviderError

INPUTS = ("certificate_authority_arn", "certificate", "certificate_chain", "rule_profile", "on_delete",
          "expiry_warning_days")
ON_DELETE = ("retain", "disable")
FACT_OUTPUTS = ("status", "ca_type", "key_algorithm", "serial", "not_before", "not_after", "sha256_fingerprint",
                "subject", "issuer")
_UNKNOWN_RPC = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def is_unknown(value: Any) -> bool:
    """An input not known yet (preview): the SDK passes an Unknown object or its sentinel string."""
    if value is None:
        return False
    if isinstance(value, str):
        return value == _UNKNOWN_RPC
    try:
        from pulumi.output import Unknown
        return isinstance(value, Unknown)
    except ImportError:  # pragma: no cover
        return False


def _known(props: dict, key: str):
    v = props.get(key)
    return None if is_unknown(v) else v


def _location_property(location: str) -> str:
    if location.startswith("chain"):
        return "certificate_chain"
    if location in ("ca", "csr"):
        return "certificate_authority_arn"
    return "certificate"


def _log(message: str) -> None:
    # pulumi.log cannot be used inside a dynamic provider; stderr reaches the engine's log.
    print(f"pca-import: {message}", file=sys.stderr, flush=True)


def _complete_chain(cert: str | None, chain: str | None) -> str | None:
    if not cert:
        return None
    return cert + (chain or "")


class AwsProvider(ResourceProvider):
    """Base of pca-import's providers that talk to AWS: settings from the stack config, none in state."""

    serialize_as_secret_always = False  # holds no secret: the state shows a short, readable reference

    def __init__(self) -> None:
        self.__setstate__({})

    def configure(self, req: ConfigureRequest) -> None:
        # Runs in the provider process only; the object pickled into state never carries these settings.
        self._settings = Settings.from_environment(region=req.config.get("aws:region"),
                                                   profile=req.config.get("aws:profile"))

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self._settings: Settings | None = None

    def _pca(self) -> PrivateCa:
        return PrivateCa(self._settings or Settings.from_environment())


class CaCertificateImportProvider(AwsProvider):
    """check / diff / create / read / update / delete for one CA certificate import."""

    def configure(self, req: ConfigureRequest) -> None:
        super().configure(req)
        live = req.config.get("pca-import:previewLiveChecks")
        self._live_checks = str(live).lower() not in ("false", "0", "no")

    def __setstate__(self, state):
        super().__setstate__(state)
        self._live_checks = True

    # ---- check: every rule that the known inputs allow, at preview ---------------------------------

    def check(self, _olds: dict, news: dict) -> CheckResult:
        failures: list[CheckFailure] = []
        profile = _known(news, "rule_profile") or DEFAULT_PROFILE
        if profile not in PROFILES:
            failures.append(CheckFailure("rule_profile", f"unknown rule profile {profile!r}: use {' or '.join(PROFILES)}"))
            profile = DEFAULT_PROFILE
        on_delete = _known(news, "on_delete") or "retain"
        if on_delete not in ON_DELETE:
            failures.append(CheckFailure("on_delete", f"on_delete must be 'retain' or 'disable', not {on_delete!r}"))
        days = _known(news, "expiry_warning_days")
        if days is not None and (not isinstance(days, (int, float)) or days < 0):
            failures.append(CheckFailure("expiry_warning_days", "expiry_warning_days must be a number of days >= 0"))
            days = None
        arn = _known(news, "certificate_authority_arn")
        if "certificate_authority_arn" in news and not is_unknown(news.get("certificate_authority_arn")) and not arn:
            failures.append(CheckFailure("certificate_authority_arn", "certificate_authority_arn is required"))
        cert_unknown = is_unknown(news.get("certificate"))
        chain_unknown = is_unknown(news.get("certificate_chain"))
        if cert_unknown:  # nothing to check yet; the signer's output will arrive at apply
            return CheckResult(news, failures)
        certificate = news.get("certificate")
        chain = None if chain_unknown else news.get("certificate_chain")
        report = None
        if arn and not chain_unknown and self._live_checks:
            report = self._live_report(arn, certificate, chain, profile, int(days or 30), failures)
        if report is None:
            report = validate_import(certificate, chain, profile=profile, expiry_warning_days=int(days or 30))
        for f in report.findings:
            if f.severity != "error":
                continue
            # With the chain unknown, rules about a missing chain would be wrong: skip them until it is known.
            if chain_unknown and f.code in ("SUB002", "ROOT002"):
                continue
            failures.append(CheckFailure(_location_property(f.location), f"[{f.code}] {f.location}: {f.message}"))
        return CheckResult(news, failures)

    def _live_report(self, arn, certificate, chain, profile, days, failures):
        """All rules with the CA's CSR, type and status, when AWS can be reached at preview; else None."""
        try:
            report, _ca, _held = self._pca().preflight(arn, certificate, chain, profile=profile,
                                                        expiry_warning_days=days, fetch_held=False)
            return report
        except AwsError as exc:
            if exc.code in ("ResourceNotFoundException", "InvalidArnException"):
                failures.append(CheckFailure("certificate_authority_arn", str(exc)))
            else:
                _log(f"preview could not reach AWS ({exc.code}); checked without the CA's CSR and status")
            return None

    # ---- diff: canonical PEM, ARN replaces, certificate changes update in place ----------------------

    def diff(self, _id: str, olds: dict, news: dict) -> DiffResult:
        replaces, changes = [], []
        old_arn, new_arn = olds.get("certificate_authority_arn"), news.get("certificate_authority_arn")
        if is_unknown(new_arn) or new_arn != old_arn:
            replaces.append("certificate_authority_arn")
        for key in ("certificate", "certificate_chain"):
            new = news.get(key)
            if is_unknown(new) or canonical_pem(new) != canonical_pem(olds.get(key)):
                changes.append(key)
        defaults = {"rule_profile": DEFAULT_PROFILE, "on_delete": "retain", "expiry_warning_days": 30}
        for key, default in defaults.items():
            new = news.get(key)
            if is_unknown(new) or (new if new is not None else default) != (
                    olds.get(key) if olds.get(key) is not None else default):
                changes.append(key)
        return DiffResult(changes=bool(replaces or changes), replaces=replaces, stables=[],
                          delete_before_replace=False)

    # ---- create / update: preflight against the live CA, import, read back ---------------------------

    def _import(self, props: dict, *, adopt_only_if_same: bool) -> dict[str, Any]:
        arn = props["certificate_authority_arn"]
        try:
            result = self._pca().import_certificate(
                arn, props.get("certificate"), props.get("certificate_chain"),
                profile=props.get("rule_profile") or DEFAULT_PROFILE,
                expiry_warning_days=int(props.get("expiry_warning_days") or 30),
                adopt_only_if_same=adopt_only_if_same)
        except AwsError as exc:
            raise ProviderError(str(exc)) from None  # the engine shows the message; no traceback
        for w in result["warnings"]:
            _log(f"{arn}: {w}")
        if not result["imported"]:
            _log(f"{arn} already holds this certificate: recorded without an import call")
        return self._outputs(props, result)

    @staticmethod
    def _outputs(props: dict, live: dict[str, Any]) -> dict[str, Any]:
        outs = {k: props.get(k) for k in INPUTS}
        outs["rule_profile"] = outs["rule_profile"] or DEFAULT_PROFILE
        outs["on_delete"] = outs["on_delete"] or "retain"
        outs["expiry_warning_days"] = int(outs["expiry_warning_days"] or 30)
        for k in FACT_OUTPUTS:
            outs[k] = live.get(k)
        outs["certificate"] = live.get("certificate")
        outs["certificate_chain"] = live.get("certificate_chain")
        outs["complete_chain"] = _complete_chain(live.get("certificate"), live.get("certificate_chain"))
        return outs

    def create(self, props: dict) -> CreateResult:
        outs = self._import(props, adopt_only_if_same=True)
        return CreateResult(id_=props["certificate_authority_arn"], outs=outs)

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        same_pem = (canonical_pem(news.get("certificate")) == canonical_pem(olds.get("certificate"))
                    and canonical_pem(news.get("certificate_chain")) == canonical_pem(olds.get("certificate_chain")))
        if same_pem:  # only settings changed: no AWS call, keep the facts we have
            outs = dict(olds)
            outs.update({k: news.get(k) for k in INPUTS if k not in ("certificate", "certificate_chain")})
            return UpdateResult(outs=self._outputs(outs, olds))
        return UpdateResult(outs=self._import(news, adopt_only_if_same=False))

    # ---- read: the live certificate, for refresh and drift --------------------------------------------

    def read(self, id_: str, props: dict) -> ReadResult:
        arn = props.get("certificate_authority_arn") or id_
        try:
            live = self._pca().live(arn)
        except AwsError as exc:
            raise ProviderError(str(exc)) from None
        if live is None:
            return ReadResult(id_="", outs={})
        outs = self._outputs(props, live)
        return ReadResult(id_=id_, outs=outs, inputs={k: outs.get(k) for k in INPUTS})

    # ---- delete: retain (default) or disable; a CA already gone is fine ----------------------------

    def delete(self, id_: str, props: dict) -> None:
        arn = props.get("certificate_authority_arn") or id_
        if (props.get("on_delete") or "retain") == "retain":
            _log(f"{arn}: on_delete=retain — the CA keeps its certificate and stays as it is")
            return
        try:
            outcome = self._pca().disable(arn)
        except AwsError as exc:
            raise ProviderError(str(exc)) from None
        _log(f"{arn}: on_delete=disable — {outcome}")
