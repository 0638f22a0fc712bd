"""The Pulumi dynamic provider behind `CaCertificateImport`: a thin translation over the rule engine and
the AWS adapter.

This module must stay importable under this name: the provider object is pickled *by reference*
(`pca_import.provider.CaCertificateImportProvider`), so state stores ~100 bytes, not code. Renaming the
module or class breaks existing stacks.
"""
from __future__ import annotations

from typing import Any

from pulumi.dynamic import (CheckFailure, CheckResult, ConfigureRequest, CreateResult, DiffResult, ReadResult,
                            ResourceProvider, UpdateResult)

from pca_import.core import clock
from pca_import.core.expiry import kept_path
from pca_import.aws.client import ROLE_ARN, CaView, PrivateCa, Settings, account_of, check_owner
from pca_import.diagnostics import note as _log
from pca_import.errors import ActionableError, AwsError, MissingExtra, OwnedByAnother
from pca_import.core.options import SETTINGS, ImportOptions
from pca_import.core.spec import RAW_LIMITS
from pca_import.core.pem import canonical_pem, split_pem, validity_periods
from pca_import.resources.unknowns import UNKNOWN_SENTINEL
from pca_import.core.report import ERROR, Location
from pca_import.resources.provider_errors import ProviderError

INPUTS = ("certificate_authority_arn", "certificate", "certificate_chain", *SETTINGS, "owner", "account")
# The judgement of the inputs (Report.verdict) kept beside them: a preview shows its warnings without judging again.
VERDICT = "verdict"
FACT_OUTPUTS = ("status", "ca_type", "key_algorithm", "serial", "not_before", "not_after", "sha256_fingerprint",
                "subject", "issuer", "owner_tag")
# Statuses a refresh compares with the declared one (`enabled`); a CA in another status (e.g. DELETED) is gone.
COMPARED_STATUSES = ("ACTIVE", "DISABLED", "EXPIRED")


def is_unknown(value: Any) -> bool:
    """An input not known yet (preview): the SDK passes an Unknown object or its sentinel string."""
    if value is None:
        return False
    if isinstance(value, str):
        return value == UNKNOWN_SENTINEL
    try:
        from pulumi.output import Unknown
        return isinstance(value, Unknown)
    except ImportError:  # pragma: no cover
        return False


def _known(props: dict, key: str):
    v = props.get(key)
    return None if is_unknown(v) else v


PEM_INPUTS = ("certificate", "certificate_chain")  # never named in a CheckFailure: the engine would print them
_PROPERTY_OF_PART = {"chain": "certificate_chain", "ca": "certificate_authority_arn",
                     "csr": "certificate_authority_arn"}


def _location_property(location: Location) -> str:
    """The input a finding is about (the CA's CSR and status come from the ARN)."""
    return _PROPERTY_OF_PART.get(Location(location).part, "certificate")


def _has_unknown(value: Any) -> bool:
    """An input, or a value inside it (a role ARN output of the same program), not known until apply."""
    if isinstance(value, dict):
        return any(_has_unknown(v) for v in value.values())
    return is_unknown(value)


def _account_problems(account: Any, arn: Any) -> list[CheckFailure]:
    """The `account` input: a role ARN, in the account the CA's ARN names (skipped while not known yet)."""
    if not account or _has_unknown(account):
        return []
    role = account.get("role_arn") if isinstance(account, dict) else None
    if not isinstance(role, str) or not ROLE_ARN.match(role):
        return [CheckFailure("account", f"account.role_arn {role!r} is not an IAM role ARN: use "
                                        "arn:aws:iam::<12-digit account>:role/<name>")]
    if isinstance(arn, str) and account_of(arn) and account_of(arn) != account_of(role):
        return [CheckFailure("account", f"account.role_arn {role} is in account {account_of(role)}, but the CA "
                                        f"{arn} is in {account_of(arn)}: use a role of the CA's account")]
    return []


def unchanged_since_apply(olds: dict | None, news: dict) -> bool:
    """The checked inputs equal those of the last successful apply (state's inputs), PEM compared canonically."""
    if not olds:
        return False
    for key, limit in (("certificate", RAW_LIMITS["certificate"]), ("certificate_chain", RAW_LIMITS["chain"])):
        if isinstance(news.get(key), str) and len(news[key]) > limit:
            return False  # not even read: SIZE003 refuses it
    for key in INPUTS:
        old, new = olds.get(key), news.get(key)
        if key == "enabled" and old is None:
            old = True  # a state written before `enabled` existed: the CA was declared enabled
        if is_unknown(new):
            return False
        if key in PEM_INPUTS:
            if canonical_pem(old) != canonical_pem(new):
                return False
        elif old != new:
            return False
    return True


def _only_certificates(value: Any) -> bool:
    """Nothing but CERTIFICATE blocks (any layout): no key, no stray text, nothing the canonical comparison would not
    see — an input that holds more than its certificates is judged in full, whatever it was before."""
    if value is None:
        return True
    doc = split_pem(value)
    return (not doc.stray_text and doc.key_hint is None and not doc.looks_like_der
            and all(block.label == "CERTIFICATE" and block.der is not None for block in doc.blocks))


def _valid_now(props: dict) -> bool:
    """Every certificate of the import (certificate and chain) within its validity now, read from the DER alone;
    False when one is not, or cannot be read that way (the rule engine then says what is wrong)."""
    periods = validity_periods(_complete_chain(props.get("certificate"), props.get("certificate_chain")))
    if not periods:
        return False
    now = clock.now()
    return all(start <= now <= end for start, end in periods)


def holds_private_key(value: Any) -> bool:
    """A PEM private key in an input (ENC004): failures about that input must not name it as their property,
    because the engine prints a named property's value with the failure."""
    return isinstance(value, str) and "-----BEGIN" in value and "PRIVATE KEY-----" in value




def _complete_chain(cert: str | None, chain: str | None) -> str | None:
    if not cert:
        return None
    return cert + (chain or "")


def status_drift(status: Any, options: ImportOptions) -> str | None:
    """The property a refresh shows as changed when the CA's live `status` is not its declared state: `enabled`
    for a CA ACTIVE or DISABLED against its declaration, `status` for an EXPIRED one (only a renewal fixes that)."""
    if status not in COMPARED_STATUSES or status == options.wanted_status:
        return None
    return "status" if status == "EXPIRED" else "enabled"


class AwsProvider(ResourceProvider):
    """Base of pca-import's providers that talk to AWS: settings from the stack config, none in state."""

    serialize_as_secret_always = False  # holds no secret: the state shows a short, readable reference

    def __init__(self) -> None:
        self.__setstate__({})

    def configure(self, req: ConfigureRequest) -> None:
        # Runs in the provider process only; the object pickled into state never carries these settings.
        try:
            self._settings = Settings.from_stack_config(req.config.get)
        except AwsError as exc:  # a malformed setting: reported by the first call that needs AWS
            self._settings_error = exc

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self._settings: Settings | None = None
        self._settings_error: AwsError | None = None

    def _pca(self, arn: str | None = None, region: str | None = None, account: Any = None) -> PrivateCa:
        """A client for the CA's own region: the one its ARN names, else `region`, else the stack's."""
        if self._settings_error is not None:
            raise self._settings_error
        return PrivateCa(self._settings or Settings.from_environment()).in_region(region).for_arn(arn).as_role(account)


class CaCertificateImportProvider(AwsProvider):
    """check / diff / create / read / update / delete for one CA certificate import."""

    __module__ = "pca_import.provider"  # the stable pickle path (see pca_import/provider.py)

    def configure(self, req: ConfigureRequest) -> None:
        super().configure(req)
        live = req.config.get("pca-import:previewLiveChecks")
        self._live_checks = str(live).lower() not in ("false", "0", "no")

    def __setstate__(self, state):
        super().__setstate__(state)
        self._live_checks = True
        self._offline_reason: str | None = None  # set when AWS stopped answering during this process

    # ---- check: every rule that the known inputs allow, at preview ---------------------------------

    def check(self, olds: dict, news: dict) -> CheckResult:
        options, problems = ImportOptions.from_props(news, is_unknown)
        failures = [CheckFailure(prop, message) for prop, message in problems]
        defaults = options.as_props()
        news = {**news, **{k: defaults[k] for k in SETTINGS if news.get(k) is None and defaults[k] is not None}}
        arn = _known(news, "certificate_authority_arn")
        account_failures = _account_problems(news.get("account"), arn)
        failures += account_failures
        if "certificate_authority_arn" in news and not is_unknown(news.get("certificate_authority_arn")) and not arn:
            failures.append(CheckFailure("certificate_authority_arn", "certificate_authority_arn is required"))
        cert_unknown = is_unknown(news.get("certificate"))
        chain_unknown = is_unknown(news.get("certificate_chain"))
        # Reads at preview only where they can change the verdict: inputs new or changed since the last successful
        # apply. An unchanged resource was checked against the live CA then; what changed in AWS since is drift,
        # which `pulumi refresh` reads (a pull-request preview of a large hierarchy pays no AWS round trips).
        unchanged = unchanged_since_apply(olds, news)
        live = (bool(arn) and self._live_checks and self._offline_reason is None and not account_failures
                and not _has_unknown(news.get("account")) and not unchanged)
        if (unchanged and kept_path((olds or {}).get(VERDICT)) is not None
                and all(_only_certificates(news.get(k)) for k in PEM_INPUTS) and _valid_now(news)):
            # The rules judged these very inputs at the last successful apply; only time can change that verdict, and
            # _valid_now has just checked it (expired, not yet valid). So no rule runs and cryptography is not loaded.
            # The state keeps the canonical PEM that was imported (never the raw text an older version may have kept)
            # and that judgement's verdict, from which the program shows the warnings.
            return CheckResult({**news, **{k: canonical_pem(news[k]) for k in PEM_INPUTS if news.get(k)},
                                VERDICT: olds.get(VERDICT)}, failures)
        if cert_unknown:  # nothing to check yet but the owner; the signer's output will arrive at apply
            if live:
                self._live_report(arn, None, None, options, _known(news, "owner"), failures, owner_only=True,
                                  account=_known(news, "account"),
                                  previous_owner=(olds or {}).get("owner"))
            return CheckResult(news, failures)
        certificate = news.get("certificate")
        chain = None if chain_unknown else news.get("certificate_chain")
        secret = {k for k in ("certificate", "certificate_chain") if holds_private_key(news.get(k))}
        report = None
        if live:
            report = self._live_report(arn, certificate, chain, options, _known(news, "owner"), failures,
                                       account=_known(news, "account"),
                                       chain_known=not chain_unknown, previous_owner=(olds or {}).get("owner"))
        if report is None:  # with the chain unknown, the engine leaves the rules about its presence for later
            from pca_import.core.validate import validate_import  # loads cryptography: only when a rule runs
            report = validate_import(certificate, chain, profile=options.rule_profile,
                                     expiry_warning_days=options.expiry_warning_days, chain_known=not chain_unknown)
        for f in report.sorted_findings():
            if f.severity != ERROR:
                continue
            prop = _location_property(f.location)
            # A failure on a named property makes the engine print that property's whole value first (a PEM
            # dump above the finding); on no property it prints the message alone. So the finding comes first
            # and names the input itself; short inputs (the ARN) keep their property.
            if prop in PEM_INPUTS or prop in secret:
                failures.append(CheckFailure("", f"[{f.code}] {f.location}: {f.message} (input `{prop}`)"))
            else:
                failures.append(CheckFailure(prop, f"[{f.code}] {f.location}: {f.message}"))
        if report.ok and report.certificate:
            # the inputs kept in state are the canonical PEM that is imported, as a refresh reads it back: a refresh
            # then shows only what really changed, not a layout difference of the same certificate
            news[VERDICT] = report.verdict()  # the warnings the program shows, at this preview and every later one
            news["certificate"] = report.certificate
            if not chain_unknown and news.get("certificate_chain") and report.certificate_chain:
                news["certificate_chain"] = report.certificate_chain
        return CheckResult(news, failures)

    def _live_report(self, arn, certificate, chain, options: ImportOptions, me, failures, owner_only=False,
                     chain_known=True, previous_owner=None, account=None):
        """All rules with the CA's CSR, type and status, and its owner, when AWS can be reached at preview.

        Returns the report (None when not run). A wrong set-up (region, profile, credentials, endpoint) fails
        the check with its fix; a network failure is logged and the rest of this run previews offline."""
        try:
            pca = self._pca(arn, account=account)
            if owner_only:
                view = CaView({}, None, owner=pca.owner(arn))
            else:
                view = pca.preflight(arn, certificate, chain, options=options, fetch_held=False,
                                     chain_known=chain_known)
            check_owner(arn, view.owner, me, adopt=options.adopt_owned_by, previous=previous_owner)
            return view.report
        except OwnedByAnother as exc:
            failures.append(CheckFailure("certificate_authority_arn", str(exc)))
        except (AwsError, MissingExtra) as exc:
            if exc.is_setup:
                failures.append(CheckFailure("certificate_authority_arn", f"{exc} (to preview without AWS, set "
                                             "`pulumi config set pca-import:previewLiveChecks false`)"))
            else:
                self._offline_reason = exc.code
                _log(f"preview could not reach AWS ({exc}); this preview checks without the CA's CSR, status and "
                     "owner")
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
        old_options, _ = ImportOptions.from_props(olds)
        new_options, _ = ImportOptions.from_props(news, is_unknown)
        for key in SETTINGS:
            if is_unknown(news.get(key)) or getattr(old_options, key) != getattr(new_options, key):
                changes.append(key)
        if is_unknown(news.get("owner")) or (news.get("owner") or None) != (olds.get("owner") or None):
            changes.append("owner")
        if _has_unknown(news.get("account")) or (news.get("account") or None) != (olds.get("account") or None):
            changes.append("account")  # the role reaching the CA's account: recorded, read and delete use it
        elif "owner_tag" in olds and (olds.get("owner_tag") or None) != (news.get("owner") or None):
            changes.append("owner")  # the tag was removed or changed out of band (seen by a refresh)
        drift = status_drift(olds.get("status"), new_options)
        if drift and drift not in changes and not is_unknown(news.get("enabled")):
            changes.append(drift)
        return DiffResult(changes=bool(replaces or changes), replaces=replaces, stables=[],
                          delete_before_replace=False)

    # ---- create / update: preflight against the live CA, import once, mark the owner -----------------

    def _converge_status(self, props: dict, outs: dict, previous_owner: str | None = None,
                         just_read: bool = False) -> dict:
        """Bring the CA to its declared state (`enabled`), one UpdateCertificateAuthority when it differs.
        `just_read`: `outs` come from an import that has just read the status and checked the owner."""
        options, _ = ImportOptions.from_props(props)
        if outs.get("status") == options.wanted_status:
            return outs
        arn = props["certificate_authority_arn"]
        outs = dict(outs)
        outs["status"] = self._pca(arn, account=props.get("account")).set_status(arn, options.wanted_status, owner=props.get("owner") or None,
                                                   adopt=options.adopt_owned_by, previous=previous_owner,
                                                   current=outs.get("status") if just_read else None)
        return outs

    def _import(self, props: dict, *, replace_held: bool, previous_owner: str | None = None) -> dict[str, Any]:
        arn = props["certificate_authority_arn"]
        options, problems = ImportOptions.from_props(props)
        if problems:
            raise ProviderError("; ".join(f"{p}: {m}" for p, m in problems))
        result = self._pca(arn, account=props.get("account")).import_certificate(
            arn, props.get("certificate"), props.get("certificate_chain"), options=options,
            owner=props.get("owner") or None, previous_owner=previous_owner, replace_held=replace_held)
        for w in result["warnings"]:
            _log(f"{arn}: {w}")
        if not result["imported"]:
            _log(f"{arn} already holds this certificate: recorded without an import call")
        return self._outputs(props, result)

    @staticmethod
    def _outputs(props: dict, live: dict[str, Any]) -> dict[str, Any]:
        outs = {k: props.get(k) for k in INPUTS}
        outs.update(ImportOptions.from_props(props)[0].as_props())
        for k in FACT_OUTPUTS:
            outs[k] = live.get(k)
        if "owner_tag" not in live:  # an import or update: the tag is what it wrote (or found)
            outs["owner_tag"] = live.get("owner")
        # "" for no tag: the engine drops a null output, and a missing key means "not read" (older state)
        outs["owner_tag"] = outs["owner_tag"] or ""
        outs[VERDICT] = props.get(VERDICT)
        outs["certificate"] = live.get("certificate")
        outs["certificate_chain"] = live.get("certificate_chain")
        outs["complete_chain"] = _complete_chain(live.get("certificate"), live.get("certificate_chain"))
        return outs

    def create(self, props: dict) -> CreateResult:
        outs = self._converge_status(props, self._import(props, replace_held=False), just_read=True)
        return CreateResult(id_=props["certificate_authority_arn"], outs=outs)

    def update(self, _id: str, olds: dict, news: dict) -> UpdateResult:
        same_pem = (canonical_pem(news.get("certificate")) == canonical_pem(olds.get("certificate"))
                    and canonical_pem(news.get("certificate_chain")) == canonical_pem(olds.get("certificate_chain")))
        tag_kept = "owner_tag" not in olds or (olds.get("owner_tag") or None) == (news.get("owner") or None)
        previous = olds.get("owner")
        if same_pem and (news.get("owner") or None) == (previous or None) and tag_kept:
            # settings changed (or the CA's status drifted): keep the facts we have; AWS only to change the status
            outs = dict(olds)
            outs.update({k: news.get(k) for k in (*INPUTS, VERDICT) if k not in ("certificate", "certificate_chain")})
            return UpdateResult(outs=self._converge_status(news, self._outputs(outs, olds), previous))
        arn = news["certificate_authority_arn"]
        if olds.get("status") == "DISABLED" and not same_pem:
            # AWS documents re-import for ACTIVE and EXPIRED CAs: enable first; the declared state is set after
            self._pca(arn, account=news.get("account")).set_status(arn, "ACTIVE", owner=news.get("owner") or None,
                                      adopt=ImportOptions.from_props(news)[0].adopt_owned_by, previous=previous)
        # a renewal, or a new owner to mark (a renamed resource or stack: the state remembers the owner it wrote;
        # a tag removed out of band is written again, a tag naming another owner is refused)
        outs = self._import(news, replace_held=True, previous_owner=previous)
        return UpdateResult(outs=self._converge_status(news, outs, previous, just_read=True))

    # ---- read: the live certificate, for refresh and drift --------------------------------------------

    def read(self, id_: str, props: dict) -> ReadResult:
        arn = props.get("certificate_authority_arn") or id_
        live = self._pca(arn, account=props.get("account")).live(arn, with_owner=True)
        if live is None:
            return ReadResult(id_="", outs={})
        outs = self._outputs(props, live)
        if any(canonical_pem(props.get(k)) != canonical_pem(live.get(k)) for k in PEM_INPUTS):
            outs[VERDICT] = None  # AWS holds other certificates than those judged: the next check judges anew
        if live["status"] in ("ACTIVE", "DISABLED"):  # what the CA is, as the display shows it: enabled false -> true
            outs["enabled"] = live["status"] == "ACTIVE"
        return ReadResult(id_=id_, outs=outs, inputs={k: outs.get(k) for k in (*INPUTS, VERDICT)})

    # ---- delete: retain (default) or disable; release the owner tag; a CA already gone is fine ---------

    def delete(self, id_: str, props: dict) -> None:
        arn = props.get("certificate_authority_arn") or id_
        options, _ = ImportOptions.from_props(props)
        if options.on_delete == "retain":
            _log(f"{arn}: on_delete=retain — the CA keeps its certificate and stays as it is")
        else:
            _log(f"{arn}: on_delete=disable — {self._pca(arn, account=props.get('account')).disable(arn)}")
        owner = props.get("owner")
        if owner:
            try:
                _log(f"{arn}: owner tag {owner}: {self._pca(arn, account=props.get('account')).release(arn, owner)}")
            except ActionableError as exc:  # the resource is gone either way; the next owner adopts explicitly
                _log(f"{arn}: could not release the {owner} tag ({exc}); a new owner needs adopt_owned_by")
