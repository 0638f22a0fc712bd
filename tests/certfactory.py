"""Real certificates for tests, built with cryptography (no committed PEMs)."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pca_import import signing
from pca_import.signing import build_certificate, make_csr, name, new_key, pem

NOW = dt.datetime.now(dt.timezone.utc)


@lru_cache(maxsize=None)
def key(tag: str, algorithm: str = "EC_prime256v1"):
    """A private key per tag, made once per test session (key generation is the slow part)."""
    return new_key(algorithm)


class CA:
    """A certificate and the key that goes with it."""

    def __init__(self, cert: x509.Certificate, key):
        self.cert, self.key = cert, key

    @property
    def pem(self) -> str:
        return pem(self.cert)

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)


def ca(cn: str, issuer: CA | None = None, *, key_tag: str | None = None, **kw) -> CA:
    """A CA certificate for `cn`, self-signed unless `issuer` is given; `kw` goes to build_certificate."""
    k = key(key_tag or cn)
    issuer_name = issuer.cert.subject if issuer else name(cn)
    signing_key = issuer.key if issuer else k
    cert = build_certificate(k.public_key(), name(cn), issuer_name, signing_key, **kw)
    return CA(cert, k)


def csr_for(tag: str, cn: str) -> str:
    return pem(make_csr(key(tag), name(cn)))


def chain(*cas: CA) -> str:
    return "".join(c.pem for c in cas)


def private_key_pem(tag: str) -> str:
    return signing.private_key_pem(key(tag))
