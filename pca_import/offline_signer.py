"""The external signer step: an offline CA signs Private CA CSRs.

`OfflineSignedCertificate` signs one CSR once and keeps the result (a stable serial and validity, so the
PKI stack sees no change on every run). The signing key is **not an input**: the provider reads it from
the stack's secret config (`pca-import:signerKey`) inside the provider process, so it never reaches state,
outputs or logs. Changing `renewal` (or the CSR) signs again: same key, new certificate — the PKI stack
then renews in place.
"""
from __future__ import annotations

from typing import Optional

import pulumi
from cryptography import x509
from pulumi.dynamic import CreateResult, DiffResult, Resource, ResourceProvider

from .facts import spki_der
from .signing import load_private_key, pem, sign_csr
from .provider_errors import ProviderError

KEY_CONFIG = "pca-import:signerKey"


class OfflineSignerProvider(ResourceProvider):
    serialize_as_secret_always = False

    def __init__(self) -> None:
        self._key_pem: str | None = None

    def configure(self, req) -> None:
        self._key_pem = req.config.get(KEY_CONFIG)  # plaintext only in this process's memory

    def __getstate__(self):
        return {}

    def __setstate__(self, state):
        self._key_pem = None

    def check(self, _olds, news):
        from pulumi.dynamic import CheckFailure, CheckResult
        failures = []
        csr = news.get("csr")
        if isinstance(csr, str) and csr:
            try:
                x509.load_pem_x509_csr(csr.encode())
            except ValueError:
                failures.append(CheckFailure("csr", "csr is not a PEM certificate signing request"))
        return CheckResult(news, failures)

    def diff(self, _id, olds, news):
        keys = ("csr", "signer_certificate", "validity_days", "path_length", "renewal")
        changed = [k for k in keys if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=changed, delete_before_replace=False)

    def create(self, props):
        if not self._key_pem:
            raise ProviderError(f"the signer key is missing: set it with `pulumi config set --secret {KEY_CONFIG} "
                            "< offline-root.key` on the signer stack")
        key = load_private_key(self._key_pem)
        issuer = x509.load_pem_x509_certificate(props["signer_certificate"].encode())
        if spki_der(key.public_key()) != spki_der(issuer.public_key()):
            raise ProviderError(f"{KEY_CONFIG} is not the key of pca-import:signerCertificate "
                            f"({issuer.subject.rfc4514_string()}): set the matching pair")
        csr = x509.load_pem_x509_csr(props["csr"].encode())
        path_length = props.get("path_length")
        cert = sign_csr(csr, issuer, key, path_length=None if path_length is None else int(path_length),
                        days=int(props["validity_days"]))
        out = {**props, "certificate": pem(cert), "serial": format(cert.serial_number, "x")}
        return CreateResult(id_=out["serial"], outs=out)

    def delete(self, _id, _props):
        pass  # nothing to undo: the signature exists; the PKI stack decides what the CA holds


class OfflineSignedCertificate(Resource):
    """One CSR signed by the offline CA whose key is in the stack's secret config."""

    certificate: pulumi.Output[str]
    serial: pulumi.Output[str]

    def __init__(self, name: str, *, csr, signer_certificate: str, validity_days: int = 1825,
                 path_length: Optional[int] = None, renewal: int = 0,
                 opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(OfflineSignerProvider(), name, {
            "csr": csr, "signer_certificate": signer_certificate, "validity_days": validity_days,
            "path_length": path_length, "renewal": renewal, "certificate": None, "serial": None}, opts)
