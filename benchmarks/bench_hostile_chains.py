"""Chain analysis on hostile chains: a 2 MB chain of 4000 certificates given root first (every link reversed),
and the same chain with 10 000 unrelated certificates mixed in. Prints seconds and peak memory; no asserts.

    python benchmarks/bench_hostile_chains.py [--depth 4000] [--unrelated 10000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402

NOW = dt.datetime.now(dt.timezone.utc)


def _cert(subject: str, issuer: str, key, signer) -> bytes:
    """A small CA certificate (~500 bytes of PEM): names, key, critical basic constraints."""
    c = (x509.CertificateBuilder()
         .subject_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, subject)]))
         .issuer_name(x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, issuer)]))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(NOW - dt.timedelta(days=1)).not_valid_after(NOW + dt.timedelta(days=3650))
         .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
         .sign(signer, hashes.SHA256()))
    return c.public_bytes(serialization.Encoding.PEM)


def long_chain(n: int) -> list[bytes]:
    """n certificates, certs[0] the self-signed root, each signing the next."""
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(n)]
    return [_cert(f"L{i}", f"L{max(i - 1, 0)}", keys[i], keys[max(i - 1, 0)]) for i in range(n)]


def unrelated(n: int) -> list[bytes]:
    out = []
    for i in range(n):
        k = ec.generate_private_key(ec.SECP256R1())
        out.append(_cert(f"Unrelated {i}", f"Unrelated {i}", k, k))
    return out


def measure(label: str, certificate: bytes, chain: bytes) -> None:
    from pca_import.core.validate import validate_import
    tracemalloc.start()
    t0 = time.perf_counter()
    report = validate_import(certificate, chain)
    seconds = time.perf_counter() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    codes = sorted(report.codes)
    print(f"{label:58} {len(chain) / 1e6:5.2f} MB  {seconds:7.3f} s  peak {peak / 1e6:6.1f} MB  {codes}")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--depth", type=int, default=4000)
    p.add_argument("--unrelated", type=int, default=10000)
    a = p.parse_args()
    t0 = time.perf_counter()
    chain = long_chain(a.depth)
    noise = unrelated(a.unrelated)
    print(f"generated {a.depth} + {a.unrelated} certificates in {time.perf_counter() - t0:.1f} s")
    imported, issuers = chain[-1], chain[:-1]
    measure(f"{a.depth}-certificate chain, in order", imported, b"".join(reversed(issuers)))
    measure(f"{a.depth}-certificate chain, reversed (root first)", imported, b"".join(issuers))
    measure(f"{a.unrelated} unrelated certificates", imported, b"".join(noise))
    fit = noise[: max(0, (2_000_000 - len(chain[-6]) * 5) // len(noise[0]))]
    measure(f"5-level chain + {len(fit)} unrelated (under 2 MB)", chain[4], b"".join(reversed(chain[:4])) + b"".join(fit))
    measure(f"reversed chain + {a.unrelated} unrelated", imported, b"".join(issuers) + b"".join(noise))


if __name__ == "__main__":
    main()
