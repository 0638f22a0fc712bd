"""Certificates signed by a key that is not in this process (a KMS key, an HSM): the TBS is built here, the
signature is made there.

`cryptography` signs a certificate only with a private key object of its own. So the certificate is built
and signed once with a throwaway key of the same family (RSA or EC) and the same hash: the to-be-signed part
(TBSCertificate) and the signature algorithm identifier then are exactly those the real key's certificate
needs (the algorithm identifier names only family and hash, never the key; the authority key identifier
comes from the issuer's *public* key, given explicitly). The throwaway signature is then replaced by the
remote key's signature over the TBS digest, and the result is checked against the remote public key before
it is returned: a signer that answers with a wrong signature is an error, never a certificate.

Pure apart from the signer's own `sign_digest` (which the caller provides): no I/O here.
"""
from __future__ import annotations

import threading
from typing import Callable, Protocol, runtime_checkable

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from pca_import.core.der import DerError, read_tlv
from pca_import.errors import SignerKeyError

HASHES: dict[str, Callable[[], hashes.SHA256 | hashes.SHA384 | hashes.SHA512]] = {
    "SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512}


@runtime_checkable
class RemoteSigner(Protocol):
    """A signing key held elsewhere. `name` says where (for messages: never a secret);
    `sign_digest(digest, hash_name)` returns the X.509 signature value over a TBS whose `hash_name` digest
    (SHA256/SHA384/SHA512) is `digest`: PKCS#1 v1.5 for RSA, a DER ECDSA-Sig-Value for EC. A signer may also
    have `default_hash` (a KMS ECC key signs with one hash only)."""

    name: str

    def public_key(self): ...

    def sign_digest(self, digest: bytes, hash_name: str) -> bytes: ...


class RemoteSignatureError(SignerKeyError):
    """The remote key's answer is not a valid signature over the certificate."""


_THROWAWAY: dict[str, object] = {}
_THROWAWAY_LOCK = threading.Lock()


def _throwaway(public_key):
    """A process-wide throwaway private key of the same family as `public_key` (never used to sign anything
    that leaves this module)."""
    family = "rsa" if isinstance(public_key, rsa.RSAPublicKey) else "ec"
    with _THROWAWAY_LOCK:
        key = _THROWAWAY.get(family)
        if key is None:
            # 1024 bits: its signature is discarded and the algorithm identifier does not name a key size;
            # generating it costs ~16 ms once per process, a 2048-bit one ~75 ms (measured)
            key = _THROWAWAY[family] = (rsa.generate_private_key(65537, 1024) if family == "rsa"
                                        else ec.generate_private_key(ec.SECP256R1()))
    return key


def is_remote(signing_key) -> bool:
    return not isinstance(signing_key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)) and \
        isinstance(signing_key, RemoteSigner)


def _der_length(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _sequence(*parts: bytes) -> bytes:
    body = b"".join(parts)
    return b"\x30" + _der_length(len(body)) + body


def _algorithm_identifier(cert_der: bytes) -> bytes:
    """The signatureAlgorithm element of a certificate: the DER element after the TBSCertificate."""
    outer = read_tlv(cert_der, 0)
    tbs = read_tlv(cert_der, outer.start)
    alg = read_tlv(cert_der, tbs.end)
    return cert_der[tbs.end:alg.end]


def verify(public_key, signature: bytes, tbs: bytes, hash_name: str) -> bool:
    algorithm = HASHES[hash_name]()
    try:
        if isinstance(public_key, rsa.RSAPublicKey):
            public_key.verify(signature, tbs, padding.PKCS1v15(), algorithm)
        else:
            public_key.verify(signature, tbs, ec.ECDSA(algorithm))
    except InvalidSignature:
        return False
    return True


def sign_builder(builder: x509.CertificateBuilder, signer: RemoteSigner, hash_name: str) -> x509.Certificate:
    """`builder` signed by `signer` (RSA PKCS#1 v1.5 or ECDSA with `hash_name`), checked before it is returned."""
    public_key = signer.public_key()
    if not isinstance(public_key, (rsa.RSAPublicKey, ec.EllipticCurvePublicKey)):
        raise RemoteSignatureError(f"{signer.name} is not an RSA or EC key: a remote signer signs with RSA or EC")
    draft = builder.sign(_throwaway(public_key), HASHES[hash_name]())
    tbs = draft.tbs_certificate_bytes
    digest = hashes.Hash(HASHES[hash_name]())
    digest.update(tbs)
    signature = signer.sign_digest(digest.finalize(), hash_name)
    if not verify(public_key, signature, tbs, hash_name):
        raise RemoteSignatureError(f"{signer.name} returned a signature that does not verify with its own public "
                                   "key: the key service signed something else (a message instead of a digest?); "
                                   "nothing was written")
    try:
        alg = _algorithm_identifier(draft.public_bytes(serialization.Encoding.DER))
    except DerError as exc:  # cannot happen for a certificate cryptography just wrote
        raise RemoteSignatureError(f"cannot assemble the certificate: {exc}") from None
    bit_string = b"\x03" + _der_length(len(signature) + 1) + b"\x00" + signature
    return x509.load_der_x509_certificate(_sequence(tbs, alg, bit_string))
