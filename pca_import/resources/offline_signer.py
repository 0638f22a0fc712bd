"""The external signer step: an offline CA signs Private CA CSRs.

`OfflineSignedCertificate` signs one CSR once and keeps the result (a stable serial and validity, so the
PKI stack sees no change on every run). The signing key is **not an input**: the provider reads it inside
its own process (signer_key.py: from a key file or the environment, which keeps it out of state entirely, or
from the stack's secret config). A missing or damaged key fails at preview with a message naming its source
and the fix. Changing `renewal` (or the CSR) signs again: same key, new certificate — the PKI stack then
renews in place. With `renew_before_days` (the PKI stack's window, read from its `cas` export) it also signs
again by itself once the certificate it holds is within that window (an update: same CSR, same key).
"""

import os
from typing import Optional

import pulumi
from cryptography import x509
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider, UpdateResult

from pca_import.resources.types import SIGNED_NAME, TYPE_MODULE, with_legacy_alias

from pca_import.core import clock

from pca_import.resources.provider_errors import ProviderError
from pca_import.core.spec import DEFAULT_VALIDITY_DAYS
from pca_import.diagnostics import note
from pca_import.resources.signer_key import KEY_CONFIG, KEY_FILE_CONFIG, KEY_URI_CONFIG, SignerKeyError, signer_key
from pca_import.core.renewal import new_validity, renewal_due
from pca_import.core.validate import validate_import
from pca_import.errors import ActionableError
from pca_import.core.x509build import pem, sign_csr

# rules a freshly signed certificate must pass before it is exported: the issuer's key verifies it (CHAIN002),
# it carries the CSR's key (KEY001, KEY003), and no key material is in it (ENC004)
SIGNED_CHECKS = frozenset({"CHAIN002", "KEY001", "KEY003", "ENC004"})

__all__ = ["KEY_CONFIG", "OfflineSignedCertificate", "OfflineSignerProvider"]


class OfflineSignerProvider(ResourceProvider):

    __module__ = "pca_import.offline_signer"  # the stable pickle path (see pca_import/offline_signer.py)
    serialize_as_secret_always = False

    def __init__(self) -> None:
        self._config: dict[str, str | None] = {}

    def configure(self, req) -> None:
        # plaintext only in this process's memory; the object pickled into state carries nothing
        self._config = {k: req.config.get(k) for k in (KEY_CONFIG, KEY_FILE_CONFIG, KEY_URI_CONFIG)}

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self._config = {}

    def _key(self, signer_certificate: str | None):
        """The signer key, checked against the signer certificate (the provider runs in the project dir)."""
        return signer_key(self._config.get, signer_certificate, os.environ, project_dir=os.getcwd())

    def check(self, _olds, news):
        from pulumi.dynamic import CheckFailure, CheckResult
        failures = []
        csr = news.get("csr")
        if isinstance(csr, str) and csr:
            try:
                x509.load_pem_x509_csr(csr.encode())
            except ValueError:
                failures.append(CheckFailure("csr", "csr is not a PEM certificate signing request"))
        cert = news.get("signer_certificate")
        if isinstance(cert, str):  # a failure on no property: the engine prints no input value with it
            try:
                self._key(cert)
            except SignerKeyError as exc:
                failures.append(CheckFailure("", str(exc)))
        return CheckResult(news, failures)

    @staticmethod
    def _due(olds, news) -> tuple[bool, str]:
        """Whether the certificate this signer holds is within the PKI stack's renewal window now."""
        rbd = news.get("renew_before_days")
        if rbd is None or not isinstance(rbd, (int, float)) or isinstance(rbd, bool):
            return False, ""
        not_after = None
        if isinstance(olds.get("certificate"), str):
            not_after = x509.load_pem_x509_certificate(olds["certificate"].encode()).not_valid_after_utc
        decision = renewal_due(not_after, clock.now(), int(rbd))
        return decision.due, decision.reason

    def diff(self, _id, olds, news):
        keys = ("csr", "signer_certificate", "validity_days", "path_length", "renewal")
        changed = [k for k in keys if olds.get(k) != news.get(k)]
        changes = list(changed)
        if not changed:
            due, reason = self._due(olds, news)
            if due:
                note(f"{news.get('ca_name') or 'CA'}: signs again: {reason}; validity "
                     f"{news.get('validity_days')} days")
                changes.append("certificate")
            elif news.get("renew_before_days") != olds.get("renew_before_days") or \
                    news.get("ca_name") != olds.get("ca_name"):
                changes.append("renew_before_days")
        return DiffResult(changes=bool(changes), replaces=changed, delete_before_replace=False)

    def update(self, _id, olds, news):
        due, _ = self._due(olds, news)
        if due:  # same key, new certificate: the PKI stack imports it in place
            return UpdateResult(outs={**self.create(news).outs})
        return UpdateResult(outs={**olds, **{k: v for k, v in news.items() if k not in ("certificate", "serial")}})

    def create(self, props):
        try:
            key = self._key(props["signer_certificate"])
        except SignerKeyError as exc:
            raise ProviderError(str(exc)) from None
        issuer = x509.load_pem_x509_certificate(props["signer_certificate"].encode())
        csr = x509.load_pem_x509_csr(props["csr"].encode())
        path_length = props.get("path_length")
        validity = new_validity(clock.now(), int(props["validity_days"]), issuer.not_valid_after_utc)
        if validity.capped:
            note(f"{props.get('ca_name') or 'CA'}: {validity.describe()}")
        try:
            cert = sign_csr(csr, issuer, key, path_length=None if path_length is None else int(path_length),
                            not_after=validity.end)
        except ActionableError as exc:  # a KMS/HSM key that stopped answering, or answered wrongly
            raise ProviderError(str(exc)) from None
        checked = validate_import(pem(cert), props["signer_certificate"], csr=props["csr"], ca_type="SUBORDINATE",
                                  now=clock.now())
        wrong = sorted({f.code for f in checked.errors} & SIGNED_CHECKS)
        if wrong:  # signature and key match, checked before anything leaves this provider
            raise ProviderError(f"{props.get('ca_name') or 'CA'}: the certificate just signed fails "
                                f"{', '.join(wrong)}: {checked.to_text()}")
        out = {**props, "certificate": pem(cert), "serial": format(cert.serial_number, "x")}
        return CreateResult(id_=out["serial"], outs=out)

    def delete(self, _id, _props):
        pass  # nothing to undo: the signature exists; the PKI stack decides what the CA holds


class OfflineSignedCertificate(Resource, module=TYPE_MODULE, name=SIGNED_NAME):
    """One CSR signed by the offline CA (its key is read by the provider, never an input)."""

    certificate: pulumi.Output[str]
    serial: pulumi.Output[str]

    def __init__(self, name: str, *, csr, signer_certificate: str, validity_days: int = DEFAULT_VALIDITY_DAYS["SUBORDINATE"],
                 path_length: Optional[int] = None, renewal: int = 0, renew_before_days: Optional[int] = None,
                 opts: Optional[pulumi.ResourceOptions] = None):
        """`renew_before_days` (the PKI stack's, from its `cas` export): sign again by itself when the
        certificate it signed ends within that many days; None: only when `renewal` is bumped."""
        super().__init__(OfflineSignerProvider(), name, {
            "csr": csr, "signer_certificate": signer_certificate, "validity_days": validity_days,
            "path_length": path_length, "renewal": renewal, "renew_before_days": renew_before_days,
            "ca_name": name.removesuffix("-signed"), "certificate": None, "serial": None}, with_legacy_alias(name, opts))
