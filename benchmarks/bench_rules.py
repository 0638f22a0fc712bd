"""How close is the rule engine to the irreducible work? Prints figures and ratios (target <= 1.5x).

Floor, measured in the same run: parse every certificate with cryptography, read its extensions, verify
each link's signature (including the root's self-signature) and compare the CSR key. Engine: the whole
`validate_import` (PEM splitting, canonical form, every rule, the report).
Also: wall time of `pca-import validate` on the 3-tier chain against `python -c "import cryptography.x509"`.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import ObjectIdentifier

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
from pca_import import validate_import  # noqa: E402
from pca_import.core.x509build import build_certificate, make_csr, name, new_key, pem  # noqa: E402


def floor(cert_pem: bytes, chain_pem: bytes, csr_pem: bytes) -> None:
    cert = x509.load_pem_x509_certificate(cert_pem)
    chain = x509.load_pem_x509_certificates(chain_pem)
    path = [cert] + chain
    for c in path:
        list(c.extensions)
    for child, parent in zip(path, path[1:] + [path[-1]]):
        child.verify_directly_issued_by(parent)
    csr = x509.load_pem_x509_csr(csr_pem)
    spki = serialization.PublicFormat.SubjectPublicKeyInfo
    assert cert.public_key().public_bytes(serialization.Encoding.DER, spki) == \
        csr.public_key().public_bytes(serialization.Encoding.DER, spki)


def hierarchy(levels: int, algorithm: str, padding: int = 0):
    """A linear hierarchy root -> ... -> leaf CA; returns (certificate, chain, csr) as PEM bytes."""
    extra = [(x509.UnrecognizedExtension(ObjectIdentifier("1.3.6.1.4.1.55555.1"), b"\x04\x82" + padding.to_bytes(2, "big") + b"p" * padding), False)] if padding else []
    keys = [new_key(algorithm) for _ in range(levels)]
    certs = []
    for i, k in enumerate(keys):
        issuer_cert = certs[-1] if certs else None
        signer = keys[i - 1] if i else k
        certs.append(build_certificate(k.public_key(), name(f"Level {i}"), issuer_cert.subject if issuer_cert else name("Level 0"),
                                       signer, issuer_public_key=signer.public_key(), extra_extensions=extra))
    leaf = certs[-1]
    chain = "".join(pem(c) for c in reversed(certs[:-1]))
    return pem(leaf).encode(), chain.encode(), pem(make_csr(keys[-1], leaf.subject)).encode()


def best_interleaved(fns, repeat: int) -> list[float]:
    """Best time of each function, measured alternately so machine noise hits both alike."""
    best = [float("inf")] * len(fns)
    for _ in range(repeat):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return best


def compare(label: str, cert: bytes, chain: bytes, csr: bytes, repeat: int) -> float:
    fl, en = best_interleaved([lambda: floor(cert, chain, csr), lambda: validate_import(cert, chain, csr=csr)],
                              repeat)
    ratio = en / fl
    n = chain.count(b"BEGIN CERTIFICATE") + 1
    print(f"{label:34} certs={n:3} chain={len(chain):8d} B  floor={fl * 1e3:8.2f} ms  engine={en * 1e3:8.2f} ms  "
          f"ratio={ratio:.2f}x  (target <= 1.5x)")
    return ratio


def cli_wall(cert: bytes, chain: bytes, runs: int = 30) -> None:
    with tempfile.TemporaryDirectory() as d:
        cp, chp = os.path.join(d, "c.pem"), os.path.join(d, "chain.pem")
        open(cp, "wb").write(cert)
        open(chp, "wb").write(chain)

        def wall(argv):
            return lambda: subprocess.run(argv, check=False, capture_output=True)

        base, cli = best_interleaved([
            wall([sys.executable, "-c", "import cryptography.x509"]),
            wall([sys.executable, "-m", "pca_import", "validate", "--certificate", cp, "--chain", chp])], runs)
    print(f"{'pca-import validate (3-tier), wall':34} cli={cli * 1e3:7.1f} ms  "
          f"`import cryptography.x509`={base * 1e3:7.1f} ms  ratio={cli / base:.2f}x  (target <= 1.5x)")


def main() -> None:
    three = hierarchy(3, "RSA_2048")
    big = hierarchy(75, "EC_prime256v1", padding=20200)
    assert validate_import(three[0], three[1], csr=three[2]).ok
    compare("3-tier chain (RSA-2048)", *three, repeat=2000)
    compare("~2 MB chain of 75 certificates", *big, repeat=40)
    cli_wall(three[0], three[1])


if __name__ == "__main__":
    main()
