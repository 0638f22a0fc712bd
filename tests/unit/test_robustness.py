"""Inputs nobody wrote a test for: mangled PEM and DER never produce a traceback or a crashed rule."""
from __future__ import annotations

import random

from certfactory import ca, chain
from pca_import import validate_import

ROOT = ca("Fuzz Root")
INTER = ca("Fuzz Intermediate", ROOT)
SUB = ca("Fuzz Issuing", INTER)


def _mutations(rng: random.Random, data: bytes):
    yield data[: rng.randrange(len(data))]                                   # truncated
    b = bytearray(data)
    for _ in range(rng.randrange(1, 6)):
        b[rng.randrange(len(b))] = rng.randrange(256)                      # flipped bytes
    yield bytes(b)
    i = rng.randrange(len(data))
    yield data[:i] + data[i + rng.randrange(1, 40):]                       # deleted span
    yield data.replace(b"\n", b"\r\n", rng.randrange(1, 10))               # partial CRLF
    yield data.replace(b"CERTIFICATE", rng.choice([b"CERT", b"X509 CRL", b"PRIVATE KEY", b""]), 1)


def test_mangled_inputs_never_crash_a_rule():
    rng = random.Random(20261129)
    cert, full_chain = SUB.pem.encode(), chain(INTER, ROOT).encode()
    seen_codes = set()
    for _ in range(60):
        for bad_cert in _mutations(rng, cert):
            for bad_chain in (full_chain, next(_mutations(rng, full_chain))):
                report = validate_import(bad_cert, bad_chain)
                assert "FATAL" not in report.codes, report.to_text()
                seen_codes |= report.codes
                report.to_text(), report.to_json()
    # the mutations really exercise the rules (not just one error path)
    assert {"ENC003", "ENC007"} <= seen_codes and len(seen_codes) >= 6, seen_codes


def test_der_of_a_whole_chain_and_binary_noise_are_named():
    assert validate_import(SUB.der + INTER.der).codes == {"ENC002"}
    noise = bytes(random.Random(1).randrange(256) for _ in range(500))
    report = validate_import(noise)
    assert not report.ok and "FATAL" not in report.codes
