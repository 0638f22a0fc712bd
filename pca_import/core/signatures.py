"""Signature checks with the issuer's public key, for every algorithm a real chain carries.

cryptography's `verify_directly_issued_by` refuses SHA-1 (and compares names byte for byte), which would make
every SHA-1-signed root "not self-signed". Path building needs the plain question "does this key verify this
signature?", so it is asked here directly; how strong the algorithm is is a separate finding (SIG001).
"""
from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

VALID, INVALID, UNSUPPORTED = "valid", "invalid", "unsupported"

# Signature algorithms whose hash no longer resists collisions (RFC 6194, RFC 6151).
WEAK_SIGNATURES = {
    "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
    "1.3.14.3.2.29": "sha1WithRSASignature (OIW)",
    "1.2.840.10045.4.1": "ecdsa-with-SHA1",
    "1.2.840.10040.4.3": "dsa-with-sha1",
    "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
    "1.2.840.113549.1.1.2": "md2WithRSAEncryption",
}

try:  # ML-DSA (cryptography >= 47)
    from cryptography.hazmat.primitives.asymmetric import mldsa as _mldsa
    _PURE: tuple[type, ...] = (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey, _mldsa.MLDSA44PublicKey, _mldsa.MLDSA65PublicKey,
             _mldsa.MLDSA87PublicKey)
except ImportError:  # pragma: no cover
    _PURE = (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)


def algorithm_name(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    return WEAK_SIGNATURES.get(oid.dotted_string) or getattr(oid, "_name", None) or oid.dotted_string


def verify(cert: x509.Certificate, issuer_key) -> str:
    """VALID, INVALID (the key does not verify the signature, or is of another family), or UNSUPPORTED
    (an algorithm or key type this machine's cryptography cannot check)."""
    if issuer_key is None:
        return UNSUPPORTED
    try:
        params = cert.signature_algorithm_parameters
        digest = cert.signature_hash_algorithm
    except (UnsupportedAlgorithm, ValueError):
        return UNSUPPORTED
    sig, tbs = cert.signature, cert.tbs_certificate_bytes
    try:
        if isinstance(issuer_key, rsa.RSAPublicKey):
            if not isinstance(params, (padding.PKCS1v15, padding.PSS)) or digest is None:
                return INVALID
            issuer_key.verify(sig, tbs, params, digest)
        elif isinstance(issuer_key, ec.EllipticCurvePublicKey):
            if params is None and digest is not None:  # ecdsa-with-SHA1: cryptography gives no parameters
                params = ec.ECDSA(digest)
            if not isinstance(params, ec.ECDSA):
                return INVALID
            issuer_key.verify(sig, tbs, params)
        elif isinstance(issuer_key, dsa.DSAPublicKey):
            if digest is None:
                return INVALID
            issuer_key.verify(sig, tbs, digest)
        elif isinstance(issuer_key, _PURE):
            if params is not None or digest is not None:
                return INVALID
            issuer_key.verify(sig, tbs)  # type: ignore[attr-defined]  # Ed25519/Ed448/ML-DSA: verify(sig, data)
        else:
            return UNSUPPORTED
    except InvalidSignature:
        return INVALID
    except UnsupportedAlgorithm:
        return UNSUPPORTED
    except (ValueError, TypeError):
        return INVALID
    return VALID
