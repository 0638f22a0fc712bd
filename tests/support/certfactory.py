"""Real certificates for tests, built with cryptography (no committed PEMs)."""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from pca_import.core import x509build as signing
from pca_import.core.x509build import build_certificate, make_csr, name, new_key, pem

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


def openssl_sha1_chain(kind: str = "rsa") -> tuple[str, str]:
    """A SHA-1 root and a SHA-1-signed subordinate CA made by the openssl binary (cryptography refuses to sign
    SHA-1, and long-lived real roots still are): sha1WithRSAEncryption or ecdsa-with-SHA1. Made once per session."""
    return _openssl_sha1_chain(kind)


@lru_cache(maxsize=None)
def _openssl_sha1_chain(kind: str) -> tuple[str, str]:
    import pathlib
    import shutil
    import subprocess
    import tempfile
    if not shutil.which("openssl"):
        import pytest
        pytest.skip("openssl not installed")
    d = pathlib.Path(tempfile.mkdtemp(prefix="pca-sha1-"))

    def run(*a):
        subprocess.run(["openssl", *a], cwd=d, check=True, capture_output=True)
    (d / "ca.cnf").write_text("[v3_ca]\nbasicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
                              "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n")
    newkey = ["-newkey", "rsa:2048"] if kind == "rsa" else ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    run("req", "-x509", "-sha1", *newkey, "-nodes", "-keyout", "root.key", "-out", "root.pem",
        "-subj", "/O=Example/CN=SHA1 Root", "-days", "30", "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-new", *newkey, "-nodes", "-keyout", "sub.key", "-out", "sub.csr", "-subj", "/CN=SHA1 Sub")
    run("x509", "-req", "-sha1", "-in", "sub.csr", "-CA", "root.pem", "-CAkey", "root.key", "-CAcreateserial",
        "-out", "sub.pem", "-days", "20", "-extfile", "ca.cnf", "-extensions", "v3_ca")
    return (d / "root.pem").read_text(), (d / "sub.pem").read_text()


def with_unknown_signature_algorithm(c: "CA") -> str:
    """The certificate with its (ECDSA-SHA256) signature algorithm OID swapped for one nobody implements, in
    both places it appears: still parsable and chained by name, but no signature check can run."""
    from pca_import.core.pem import der_to_pem
    known, unknown = bytes.fromhex("2a8648ce3d040302"), bytes.fromhex("2a8648ce3d040309")
    der = c.der
    assert der.count(known) == 2
    return der_to_pem(der.replace(known, unknown)).decode()
