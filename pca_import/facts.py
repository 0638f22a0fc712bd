"""Parsed facts about one import request, computed once and shared by every rule.

Every expensive step (DER parsing, extension decoding, signature checks) is cached here, so the
engine does each of them at most once however many rules look at the result.
"""
from __future__ import annotations

import datetime as dt
import warnings

from cryptography import x509

from . import clock, der
from .names import name_key
from .pem import PemDocument, split_pem
from .private_ca import MAX_CHAIN_BYTES
from .signatures import INVALID, WEAK_SIGNATURES, verify

ROOT, SUBORDINATE = "ROOT", "SUBORDINATE"

# cryptography warns (a non-positive serial, an attribute of odd length) about certificates real PKIs hold; the
# rules judge them, so its warnings raised on parsing from this module are not shown. One filter at import costs
# nothing per certificate, unlike catch_warnings() around every parse.
warnings.filterwarnings("ignore", module=r"pca_import\.facts")


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
    """One certificate of the request (the imported one or a chain entry) and its facts, parsed eagerly.

    Parsing is defensive: whatever part of a hostile certificate cryptography refuses (the version, a name with
    an invalid string, the extensions, the public key) becomes a recorded error the rules report, never an
    exception in a rule."""

    def __init__(self, location: str, der: bytes | None, pem: bytes | None = None):
        self.location = location
        self.der = der
        self.pem = pem
        self.parse_error: str | None = None
        self.extension_error: str | None = None
        self.key_error: str | None = None
        self.cert: x509.Certificate | None = None
        self.extensions: x509.Extensions | None = None
        self._ext_by_type: dict = {}
        if der is None:
            self.parse_error = "its base64 body is not valid base64"
            return
        try:
            cert = x509.load_der_x509_certificate(der)
            self.subject, self.issuer = cert.subject, cert.issuer
            self.subject_key, self.issuer_key = name_key(self.subject), name_key(self.issuer)
            self._validity = (cert.not_valid_before_utc, cert.not_valid_after_utc)
        except Exception as exc:  # noqa: BLE001 - InvalidVersion, bad strings in names, ...: all "unreadable"
            self.parse_error = _why(exc) or "not an X.509 certificate"
            return
        self.cert = cert
        try:
            self.extensions = cert.extensions
            self._ext_by_type = {type(e.value): e for e in self.extensions}
        except Exception as exc:  # noqa: BLE001 - duplicate or malformed extensions, unsupported name forms
            self.extension_error = _why(exc) or "unreadable extensions"
        try:
            self.public_key = cert.public_key()
        except Exception as exc:  # noqa: BLE001 - unsupported algorithm, point off the curve, ...
            self.public_key = None
            self.key_error = _why(exc) or "unreadable public key"

    @property
    def label(self) -> str:
        """`chain[1] (CN=Ext Intermediate)`: position and subject, as a person would say it."""
        if self.cert is None:
            return self.location
        return f"{self.location} ({short_name(self.subject)})"

    def ext(self, ext_type):
        """The extension of this class, or None (one dict lookup: rules ask for the same ones repeatedly)."""
        return self._ext_by_type.get(ext_type)

    @cached_property
    def raw_extensions(self) -> list[tuple[str, bool, bytes]] | None:
        """(OID, critical, value) read from the DER directly, for what cryptography cannot represent."""
        try:
            return der.extensions(self.cert.tbs_certificate_bytes)
        except Exception:  # noqa: BLE001 - malformed DER is ENC007's business
            return None

    @cached_property
    def self_issued(self) -> bool:
        """Issuer and subject are the same name under RFC 5280 §7.1 (RFC 5280 §6.1: "self-issued")."""
        return self.cert is not None and self.issuer_key == self.subject_key

    @cached_property
    def self_signed(self) -> bool:
        """Self-issued *and* its own public key verifies its signature."""
        return signed_by(self, self)

    @cached_property
    def spki(self) -> bytes | None:
        return None if self.public_key is None else spki_der(self.public_key)

    @cached_property
    def weak_signature(self) -> str | None:
        """The name of a collision-weak signature algorithm (SHA-1, MD5, MD2), or None."""
        return WEAK_SIGNATURES.get(self.cert.signature_algorithm_oid.dotted_string)

    def not_before(self) -> dt.datetime:
        return self._validity[0]

    def not_after(self) -> dt.datetime:
        return self._validity[1]


def _why(exc: Exception) -> str:
    text = str(exc).strip()
    return text if text else type(exc).__name__


_SIG_CACHE_ATTR = "_signature_cache"


def signature_status(child: CertInfo, issuer: CertInfo) -> str:
    """VALID / INVALID / UNSUPPORTED: does `issuer`'s key verify `child`'s signature (cached per pair)."""
    cache = child.__dict__.setdefault(_SIG_CACHE_ATTR, {})
    key = id(issuer)
    if key not in cache:
        if child.cert is None or issuer.cert is None:
            cache[key] = INVALID
        else:
            cache[key] = verify(child.cert, issuer.public_key)
    return cache[key]


def names_chain(child: CertInfo, issuer: CertInfo) -> bool:
    """`child` names `issuer` as its issuer (RFC 5280 §7.1 comparison)."""
    return child.cert is not None and issuer.cert is not None and child.issuer_key == issuer.subject_key


def signed_by(child: CertInfo, issuer: CertInfo) -> bool:
    """The names chain and `issuer`'s key verifies `child`'s signature — with any algorithm, SHA-1 included.

    An algorithm this machine cannot check counts as signed (SIG002 says the link is chained by name only)."""
    return names_chain(child, issuer) and signature_status(child, issuer) != INVALID


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
        self.canonical_chain: bytes | None = None    # the chain's canonical PEM, as it would be sent
        self.chain_over_limit = False

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
            profile=profile, now=now or clock.now(),
            expiry_warning_days=expiry_warning_days,
        )
        cert_blocks = cert_doc.certificate_blocks
        if len(cert_blocks) == 1:
            facts.certificate = CertInfo("certificate", cert_blocks[0].der, cert_blocks[0].pem)
        chain_blocks = chain_doc.certificate_blocks
        pems = [b.pem for b in chain_blocks if b.pem is not None]
        facts.canonical_chain = b"".join(pems) if pems else None
        # Over AWS's 2 MB, SIZE002 is certain and the chain must be cut anyway: its certificates are not parsed
        # or analysed (thousands of them would cost seconds), and the engine says which rules waited.
        facts.chain_over_limit = facts.canonical_chain is not None and len(facts.canonical_chain) > MAX_CHAIN_BYTES
        if not facts.chain_over_limit:
            facts.chain = [CertInfo(f"chain[{i}]", b.der, b.pem) for i, b in enumerate(chain_blocks)]
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
    def _csr_parsed(self) -> tuple:
        """(csr, its SPKI, its subject key, error): parsed once, defensively (a CSR may come from anywhere)."""
        data = self.csr_bytes
        if not data:
            return None, None, None, None
        try:
            csr = x509.load_pem_x509_csr(data) if b"-----BEGIN" in data else x509.load_der_x509_csr(data)
            subject = csr.subject
            return csr, spki_der(csr.public_key()), name_key(subject), None
        except Exception as exc:  # noqa: BLE001 - bad version, off-curve point, unsupported key, bad names
            return None, None, None, _why(exc)

    @property
    def csr(self) -> x509.CertificateSigningRequest | None:
        return self._csr_parsed[0]

    @property
    def csr_spki(self) -> bytes | None:
        return self._csr_parsed[1]

    @property
    def csr_subject_key(self):
        return self._csr_parsed[2]

    @property
    def csr_error(self) -> str | None:
        return self._csr_parsed[3]

    # ---- the chain's order (chain.py) ------------------------------------------------------------

    @cached_property
    def order(self):
        """The chain analysed: broken links, and an order that works when there is one (chain.ChainOrder)."""
        from .chain import ChainOrder
        return ChainOrder(self)

    @property
    def issuer_path(self) -> list[CertInfo] | None:
        """The certificate followed by its issuers in a working order, or None when no order works.

        What every rule about the path (path length, depth, validity nesting, name constraints) walks."""
        if self.certificate is None or self.certificate.cert is None:
            return None
        if not self.chain:
            return [self.certificate]
        if not self.chain_parsed:
            return None
        return self.order.issuer_path


def spki_der(public_key) -> bytes:
    """The DER SubjectPublicKeyInfo: what "the same key" means when comparing a certificate and a CSR."""
    from cryptography.hazmat.primitives import serialization  # lazy: only the key-match rules need it
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def certificate_facts(cert: x509.Certificate) -> dict[str, str]:
    """Subject, issuer, serial, validity and SHA-256 fingerprint: what reports, outputs and `status` show."""
    from cryptography.hazmat.primitives import hashes
    serial = cert.serial_number
    return {"subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
            "serial": format(serial, "x"), "not_before": cert.not_valid_before_utc.isoformat(),
            "not_after": cert.not_valid_after_utc.isoformat(),
            "sha256_fingerprint": cert.fingerprint(hashes.SHA256()).hex(":").upper()}
