"""One certificate and its facts, parsed once and defensively; whether one certificate signs another.

Pure: bytes in, parsed facts out. The request-level view (`facts.Facts`) and the chain-order analysis
(`chain_order.ChainOrder`) both build on this module, and neither imports the other's internals.
"""
from __future__ import annotations

import datetime as dt
import warnings

from cryptography import x509

from pca_import.core import der
from pca_import.core.names import name_key
from pca_import.core.signatures import INVALID, WEAK_SIGNATURES, verify

# cryptography warns (a non-positive serial, an attribute of odd length) about certificates real PKIs hold; the
# rules judge them, so its warnings raised on parsing from this module are not shown. One filter at import costs
# nothing per certificate, unlike catch_warnings() around every parse.
warnings.filterwarnings("ignore", module=r"pca_import\.core\.(certinfo|facts)")

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
        value = cns[0].value
        return f"CN={value if isinstance(value, str) else value.decode('utf-8', 'replace')}"
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
            self.parse_error = why(exc) or "not an X.509 certificate"
            return
        self.cert = cert
        try:
            self.extensions = cert.extensions
            self._ext_by_type = {type(e.value): e for e in self.extensions}
        except Exception as exc:  # noqa: BLE001 - duplicate or malformed extensions, unsupported name forms
            self.extension_error = why(exc) or "unreadable extensions"
        try:
            self.public_key = cert.public_key()
        except Exception as exc:  # noqa: BLE001 - unsupported algorithm, point off the curve, ...
            self.public_key = None
            self.key_error = why(exc) or "unreadable public key"

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
    def ca_key(self):
        """The Private CA key algorithm of this certificate's public key (`keys.CaKey`), None when unreadable."""
        from pca_import.core.keys import ca_key
        try:
            return ca_key(self.cert.tbs_certificate_bytes)
        except (der.DerError, IndexError, ValueError):
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


def why(exc: Exception) -> str:
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
