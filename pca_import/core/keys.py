"""Which AWS Private CA key algorithm a certificate's public key is, read from its DER.

Pure. A Private CA holds one of `spec.KEY_ALGORITHMS`; the certificate imported into a CA carries that CA's
public key, so a certificate whose key is none of them can never be imported. The key is read from the
SubjectPublicKeyInfo bytes, not through cryptography, so keys cryptography will not load (explicit EC
parameters, SM2, unusual curves) are still named.
"""
from __future__ import annotations

from typing import NamedTuple

from pca_import.core import der

RSA = "1.2.840.113549.1.1.1"
RSA_PSS = "1.2.840.113549.1.1.10"
EC = "1.2.840.10045.2.1"
DSA = "1.2.840.10040.4.1"
CURVES = {  # named curve OID -> (how a person names it, the Private CA key algorithm or None)
    "1.2.840.10045.3.1.7": ("P-256", "EC_prime256v1"),
    "1.3.132.0.34": ("P-384", "EC_secp384r1"),
    "1.3.132.0.35": ("P-521", "EC_secp521r1"),
    "1.2.156.10197.1.301": ("SM2", "SM2"),
    "1.2.840.10045.3.1.1": ("P-192", None),
    "1.3.132.0.33": ("P-224", None),
    "1.3.132.0.10": ("secp256k1", None),
    "1.3.36.3.3.2.8.1.1.7": ("brainpoolP256r1", None),
    "1.3.36.3.3.2.8.1.1.11": ("brainpoolP384r1", None),
    "1.3.36.3.3.2.8.1.1.13": ("brainpoolP512r1", None),
}
OTHER = {  # algorithm OID -> (name, Private CA key algorithm or None); no parameters to read
    "2.16.840.1.101.3.4.3.17": ("ML-DSA-44", "ML_DSA_44"),
    "2.16.840.1.101.3.4.3.18": ("ML-DSA-65", "ML_DSA_65"),
    "2.16.840.1.101.3.4.3.19": ("ML-DSA-87", "ML_DSA_87"),
    "1.3.101.112": ("Ed25519", None),
    "1.3.101.113": ("Ed448", None),
    "1.3.101.110": ("X25519", None),
    "1.3.101.111": ("X448", None),
}
RSA_SIZES = {2048: "RSA_2048", 3072: "RSA_3072", 4096: "RSA_4096"}


class CaKey(NamedTuple):
    """`algorithm`: the Private CA KeyAlgorithm this key is (None: no Private CA can hold it); `described`: the key
    as a person would name it (`RSA 1024-bit`, `EC P-192`, `EC with explicit curve parameters`)."""

    algorithm: str | None
    described: str


def ca_key(tbs: bytes) -> CaKey:
    """The Private CA key algorithm of a TBSCertificate's public key. Raises der.DerError on malformed DER."""
    return _named(*der.subject_public_key_info(tbs))


def ca_key_of_spki(spki: bytes) -> CaKey:
    """The same for a DER SubjectPublicKeyInfo on its own (a CSR's key)."""
    return _named(*der.spki_parts(spki))


def _named(oid: str, params: bytes | None, key: bytes) -> CaKey:
    if oid == RSA:
        modulus = der.integers(key)[0] if key else 0
        bits = modulus.bit_length()
        return CaKey(RSA_SIZES.get(bits), f"RSA {bits}-bit")
    if oid == RSA_PSS:
        return CaKey(None, "RSASSA-PSS-only (id-RSASSA-PSS) RSA")
    if oid == EC:
        if params is None or params[0] != 0x06:
            kind = ("implicit" if params is None or params[0] == 0x05 else "explicit")
            return CaKey(None, f"EC with {kind} curve parameters")
        tlv = der.read_tlv(params, 0)
        curve = der.decode_oid(params[tlv.start:tlv.end])
        name, algorithm = CURVES.get(curve, (f"curve {curve}", None))
        return CaKey(algorithm, f"EC {name}")
    if oid == DSA:
        try:
            p = der.integers(params)[0] if params else 0
        except (der.DerError, IndexError):
            p = 0
        return CaKey(None, f"DSA {p.bit_length()}-bit" if p else "DSA")
    name, algorithm = OTHER.get(oid, (f"algorithm {oid}", None))
    return CaKey(algorithm, name)
