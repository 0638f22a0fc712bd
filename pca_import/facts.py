"""Parsed facts about one import request, computed once and shared by every rule.

Every expensive step (DER parsing, extension decoding, signature checks) is cached here, so the
engine does each of them at most once however many rules look at the result.
"""
from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm

from .pem import PemDocument, split_pem

ROOT, SUBORDINATE = "ROOT", "SUBORDINATE"


class cached_property:  # noqa: N801 - same role as functools.cached_property, without its per-call lock
    """Compute once per instance, then serve from the instance dict (the engine is single-threaded per call)."""

    def __init__(self, fn):
        self.fn, self.name = fn, fn.__name__

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.fn(obj)
        return value


def short_name(name: x509.Name) -> str:
    """`CN=Ext Root` when there is a common name, else the whole RFC 4514 string."""
    cns = name.get_attributes_for_oid(x509.NameOID.COMMON_NAME)
    if cns:
        return f"CN={cns[0].value}"
    return name.rfc4514_string() or "<empty subject>"


class CertInfo:
    """One certificate of the request (the imported one or a chain entry) and its cached facts."""

    def __init__(self, location: str, der: bytes | None, pem: bytes | None = None):
        self.location = location
        self.der = der
        self.pem = pem
        self.parse_error: str | None = None
        self.cert: x509.Certificate | None = None
        if der is None:
            self.parse_error = "its base64 body is not valid base64"
            return
        try:
            self.cert = x509.load_der_x509_certificate(der)
        except ValueError as exc:
            self.parse_error = str(exc) or "not an X.509 certificate"

    @cached_property
    def subject(self) -> x509.Name:
        return self.cert.subject

    @cached_property
    def issuer(self) -> x509.Name:
        return self.cert.issuer

    @property
    def label(self) -> str:
        """`chain[1] (CN=Ext Intermediate)`: position and subject, as a person would say it."""
        if self.cert is None:
            return self.location
        return f"{self.location} ({short_name(self.subject)})"

    @cached_property
    def extensions(self) -> x509.Extensions | None:
        try:
            return self.cert.extensions if self.cert is not None else None
        except (ValueError, x509.DuplicateExtension) as exc:
            self.extension_error = str(exc)
            return None

    extension_error: str | None = None

    @cached_property
    def _ext_by_type(self) -> dict:
        exts = self.extensions
        return {} if exts is None else {type(e.value): e for e in exts}

    def ext(self, ext_type):
        """The extension of this class, or None (one dict lookup: rules ask for the same ones repeatedly)."""
        return self._ext_by_type.get(ext_type)

    @cached_property
    def self_issued(self) -> bool:
        return self.cert is not None and self.issuer == self.subject

    @cached_property
    def self_signed(self) -> bool:
        """Issuer equals subject *and* the certificate's own key verifies its signature.

        verify_directly_issued_by compares the raw names itself, so no Python Name objects are built."""
        return signed_by(self, self)

    @cached_property
    def spki(self) -> bytes | None:
        return None if self.cert is None else spki_der(self.cert.public_key())

    def not_before(self) -> dt.datetime:
        return self._validity[0]

    def not_after(self) -> dt.datetime:
        return self._validity[1]

    @cached_property
    def _validity(self) -> tuple[dt.datetime, dt.datetime]:
        return self.cert.not_valid_before_utc, self.cert.not_valid_after_utc


_SIG_CACHE_ATTR = "_signed_by_cache"


def signed_by(child: CertInfo, issuer: CertInfo) -> bool:
    """True when `issuer`'s name matches and its key verifies `child`'s signature (cached per pair)."""
    cache = child.__dict__.setdefault(_SIG_CACHE_ATTR, {})
    key = id(issuer)
    if key not in cache:
        ok = False
        if child.cert is not None and issuer.cert is not None:
            try:
                child.cert.verify_directly_issued_by(issuer.cert)
                ok = True
            except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
                ok = False
        cache[key] = ok
    return cache[key]


class Facts:
    """Everything the rules may look at for one request."""

    def __init__(self, certificate_doc: PemDocument, chain_doc: PemDocument, chain_given: bool,
                 csr_bytes: bytes | None, requested_type: str | None, ca_status: str | None, profile: str,
                 now: dt.datetime, expiry_warning_days: int) -> None:
        self.certificate_doc, self.chain_doc, self.chain_given = certificate_doc, chain_doc, chain_given
        self.csr_bytes, self.requested_type, self.ca_status = csr_bytes, requested_type, ca_status
        self.profile, self.now, self.expiry_warning_days = profile, now, expiry_warning_days
        self.certificate: CertInfo | None = None
        self.chain: list[CertInfo] = []
        self.cert: x509.Certificate | None = None  # the imported certificate, parsed

    @classmethod
    def build(cls, certificate, chain, *, csr, ca_type, ca_status, profile, now, expiry_warning_days) -> "Facts":
        cert_doc = split_pem(certificate)
        chain_doc = split_pem(chain)
        facts = cls(
            certificate_doc=cert_doc, chain_doc=chain_doc,
            chain_given=not chain_doc.empty,
            csr_bytes=csr if not isinstance(csr, str) else csr.encode(),
            requested_type=ca_type.upper() if ca_type else None,
            ca_status=ca_status.upper() if ca_status else None,
            profile=profile, now=now or dt.datetime.now(dt.timezone.utc),
            expiry_warning_days=expiry_warning_days,
        )
        cert_blocks = cert_doc.certificate_blocks
        if len(cert_blocks) == 1:
            facts.certificate = CertInfo("certificate", cert_blocks[0].der, cert_blocks[0].pem)
        facts.chain = [CertInfo(f"chain[{i}]", b.der, b.pem) for i, b in enumerate(chain_doc.certificate_blocks)]
        facts.cert = facts.certificate.cert if facts.certificate else None
        return facts

    # ---- derived facts -------------------------------------------------------------------------

    @cached_property
    def chain_parsed(self) -> bool:
        return all(c.cert is not None for c in self.chain)

    @cached_property
    def parsed_path(self) -> list[CertInfo]:
        """The certificate and chain entries that parsed, in the order given."""
        return [c for c in self.path if c.cert is not None]

    @cached_property
    def with_extensions(self) -> list[CertInfo]:
        """Parsed certificates whose extensions could be read too."""
        return [c for c in self.parsed_path if c.extensions is not None]

    @cached_property
    def ca_type(self) -> str | None:
        """ROOT or SUBORDINATE: as requested, else inferred (self-signed means root)."""
        if self.requested_type:
            return self.requested_type
        if self.cert is None:
            return None
        return ROOT if self.certificate.self_signed else SUBORDINATE

    @cached_property
    def path(self) -> list[CertInfo]:
        """The certificate followed by the chain, in the order given."""
        return ([self.certificate] if self.certificate else []) + self.chain

    @cached_property
    def canonical_certificate(self) -> bytes | None:
        if self.certificate is None or self.certificate.pem is None:
            return None
        return self.certificate.pem

    @cached_property
    def canonical_chain(self) -> bytes | None:
        pems = [c.pem for c in self.chain if c.pem is not None]
        return b"".join(pems) if pems else None

    @cached_property
    def csr(self) -> x509.CertificateSigningRequest | None:
        data = self.csr_bytes
        if not data:
            return None
        try:
            if b"-----BEGIN" in data:
                return x509.load_pem_x509_csr(data)
            return x509.load_der_x509_csr(data)
        except ValueError:
            return None

    @cached_property
    def csr_spki(self) -> bytes | None:
        return None if self.csr is None else spki_der(self.csr.public_key())


def spki_der(public_key) -> bytes:
    """The DER SubjectPublicKeyInfo: what "the same key" means when comparing a certificate and a CSR."""
    from cryptography.hazmat.primitives import serialization  # lazy: only the key-match rules need it
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def certificate_facts(cert: x509.Certificate) -> dict[str, str]:
    """Subject, issuer, serial, validity and SHA-256 fingerprint: what reports, outputs and `status` show."""
    from cryptography.hazmat.primitives import hashes
    return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
            "serial": format(cert.serial_number, "x"), "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat(),
            "sha256_fingerprint": cert.fingerprint(hashes.SHA256()).hex(":").upper()}
