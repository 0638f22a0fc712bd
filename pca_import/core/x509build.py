"""Building and signing CA certificates with `cryptography`.

Used by the local Private CA (IssueCertificate with CA templates), by the external signer stack, and by
tests and benchmarks. Private keys stay in memory: nothing here writes or logs one.
"""
from __future__ import annotations

import datetime as dt
from typing import Callable, Iterable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, mldsa, padding, rsa
from cryptography.x509.oid import NameOID
from pca_import.core import spec
from pca_import.core.remote_signing import is_remote, sign_builder
from pca_import.errors import InputError

_KEY_GENERATORS = {
    "RSA_2048": lambda: rsa.generate_private_key(65537, 2048),
    "RSA_3072": lambda: rsa.generate_private_key(65537, 3072),
    "RSA_4096": lambda: rsa.generate_private_key(65537, 4096),
    "EC_prime256v1": lambda: ec.generate_private_key(ec.SECP256R1()),
    "EC_secp384r1": lambda: ec.generate_private_key(ec.SECP384R1()),
    "EC_secp521r1": lambda: ec.generate_private_key(ec.SECP521R1()),
    "ML_DSA_44": mldsa.MLDSA44PrivateKey.generate,  # FIPS 204 (post-quantum): no separate hash
    "ML_DSA_65": mldsa.MLDSA65PrivateKey.generate,
    "ML_DSA_87": mldsa.MLDSA87PrivateKey.generate,
}
# Private CA's key algorithms (spec.KEY_ALGORITHMS) that cryptography can generate here: all but SM2.
KEY_ALGORITHMS = spec.LOCAL_KEY_ALGORITHMS
assert set(KEY_ALGORITHMS) <= set(_KEY_GENERATORS), "a local key algorithm without a generator"  # noqa: S101
_HASHED_KEYS = (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)
_MLDSA_TYPES = {"ML_DSA_44": (mldsa.MLDSA44PrivateKey, mldsa.MLDSA44PublicKey),
                "ML_DSA_65": (mldsa.MLDSA65PrivateKey, mldsa.MLDSA65PublicKey),
                "ML_DSA_87": (mldsa.MLDSA87PrivateKey, mldsa.MLDSA87PublicKey)}
_CURVES = {"secp256r1": "EC_prime256v1", "secp384r1": "EC_secp384r1", "secp521r1": "EC_secp521r1"}
SIGNING_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}
_NAME_KEYS = {"commonName": NameOID.COMMON_NAME, "organization": NameOID.ORGANIZATION_NAME,
              "organizationalUnit": NameOID.ORGANIZATIONAL_UNIT_NAME, "country": NameOID.COUNTRY_NAME,
              "state": NameOID.STATE_OR_PROVINCE_NAME, "locality": NameOID.LOCALITY_NAME}
AWS_SUBJECT_KEYS = spec.AWS_SUBJECT_KEYS  # boto3 Subject keys (CreateCertificateAuthority) for the same attributes


def new_key(algorithm: str = spec.DEFAULT_KEY_ALGORITHM):
    """A fresh private key for one of Private CA's key algorithms."""
    try:
        return _KEY_GENERATORS[algorithm]()
    except KeyError:
        raise InputError(f"unsupported key algorithm {algorithm!r}: use one of {', '.join(KEY_ALGORITHMS)}") from None


def name(subject: dict[str, str] | str) -> x509.Name:
    """An X.509 name from `{"commonName": ..., "organization": ...}` or a plain common name."""
    if isinstance(subject, str):
        subject = {"commonName": subject}
    attrs = []
    for key, value in subject.items():
        if key not in _NAME_KEYS:
            raise InputError(f"unknown subject attribute {key!r}: use {', '.join(_NAME_KEYS)}")
        attrs.append(x509.NameAttribute(_NAME_KEYS[key], str(value)))
    return x509.Name(attrs)


def key_algorithm_of(key) -> str | None:
    """Private CA's name for a key's algorithm (`EC_secp384r1`, `RSA_2048`), or None when it has none."""
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        name = f"RSA_{key.key_size}"
    elif isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        name = _CURVES.get(key.curve.name, "")
    else:
        name = next((n for n, types in _MLDSA_TYPES.items() if isinstance(key, types)), "")
    return name if name in spec.KEY_ALGORITHMS else None


def _hash_for(signing_key, signing_hash: str | None):
    """The digest for a signature by `signing_key` (a private key or a RemoteSigner): the one asked for, else the
    signer's own (`default_hash`: a KMS ECC key signs with its curve's hash only), else the one pca-import asks
    Private CA for with such a key (`spec.default_signing_algorithm`); None for ML-DSA, which signs the message
    itself."""
    if is_remote(signing_key):
        if not signing_hash and getattr(signing_key, "default_hash", None):
            return SIGNING_HASHES[signing_key.default_hash]()
        key = signing_key.public_key()
    elif isinstance(signing_key, _HASHED_KEYS):
        key = signing_key
    else:
        return None
    if not signing_hash:
        algorithm = key_algorithm_of(key)
        signing_hash = spec.signing_hash_name(spec.default_signing_algorithm(algorithm)) if algorithm else "SHA256"
    return SIGNING_HASHES[signing_hash or "SHA256"]()


def build_certificate(public_key, subject: x509.Name, issuer: x509.Name, signing_key, *,
                      ca: bool | None = True, path_length: int | None = None, bc_critical: bool = True,
                      key_usage: bool | None = True, key_usage_critical: bool = True,
                      not_before: dt.datetime | None = None, not_after: dt.datetime | None = None,
                      days: int = spec.DEFAULT_VALIDITY_DAYS["ROOT"], serial: int | None = None, signing_hash: str | None = None,
                      rsa_pss: bool = False, issuer_public_key=None, ski_critical: bool = False,
                      aki_critical: bool = False,
                      extra_extensions: Iterable[tuple[x509.ExtensionType, bool]] = ()) -> x509.Certificate:
    """Sign a certificate with `signing_key`, a private key or a `RemoteSigner` (KMS, HSM: remote_signing.py).
    `ca=None` omits basic constraints; `key_usage=None` omits key usage and `key_usage=False` writes one without
    keyCertSign. Key identifiers are always added (non-critical, as RFC 5280 requires, unless
    `ski_critical`/`aki_critical` ask otherwise). `rsa_pss` signs
    with RSASSA-PSS (salt = digest length, as AWS's *WITHRSA_PSS) instead of PKCS#1 v1.5."""
    now = dt.datetime.now(dt.timezone.utc)
    not_before = not_before or now - dt.timedelta(minutes=5)
    not_after = not_after or not_before + dt.timedelta(days=days)
    b = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(public_key)
         .serial_number(serial or x509.random_serial_number()).not_valid_before(not_before)
         .not_valid_after(not_after))
    if ca is not None:
        b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=path_length if ca else None), bc_critical)
    if key_usage is not None:
        b = b.add_extension(x509.KeyUsage(
            digital_signature=not key_usage, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=bool(key_usage),
            crl_sign=bool(key_usage), encipher_only=False, decipher_only=False), key_usage_critical)
    b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), ski_critical)
    b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
        issuer_public_key or signing_key.public_key()), aki_critical)
    for ext, critical in extra_extensions:
        b = b.add_extension(ext, critical)
    digest = _hash_for(signing_key, signing_hash)
    if is_remote(signing_key):  # a KMS or HSM key: the TBS is signed there (remote_signing.py)
        if rsa_pss:
            raise InputError("RSASSA-PSS is not offered for a remote signer key: sign with PKCS#1 v1.5")
        return sign_builder(b, signing_key, digest.name.upper())
    if rsa_pss and isinstance(signing_key, rsa.RSAPrivateKey):
        pss = padding.PSS(mgf=padding.MGF1(digest), salt_length=padding.PSS.DIGEST_LENGTH)
        return b.sign(signing_key, digest, rsa_padding=pss)
    return b.sign(signing_key, digest)


def sign_csr(csr: x509.CertificateSigningRequest, issuer_cert: x509.Certificate | None, issuer_key, *,
             path_length: int | None = None, days: int = spec.DEFAULT_VALIDITY_DAYS["ROOT"], not_after: dt.datetime | None = None,
             signing_hash: str | None = None) -> x509.Certificate:
    """Sign a CA's CSR as a CA certificate (self-signed when `issuer_cert` is None)."""
    issuer_name = issuer_cert.subject if issuer_cert is not None else csr.subject
    return build_certificate(csr.public_key(), csr.subject, issuer_name, issuer_key, path_length=path_length,
                             days=days, not_after=not_after, signing_hash=signing_hash)


def make_csr(key, subject: x509.Name) -> x509.CertificateSigningRequest:
    return (x509.CertificateSigningRequestBuilder().subject_name(subject)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, _hash_for(key, None)))


def pem(obj) -> str:
    """PEM text of a certificate or CSR (never of a private key: use `private_key_pem`)."""
    return obj.public_bytes(serialization.Encoding.PEM).decode()


def private_key_pem(key) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def load_private_key(pem_text: str | bytes):
    data = pem_text.encode() if isinstance(pem_text, str) else pem_text
    return serialization.load_pem_private_key(data, password=None)
