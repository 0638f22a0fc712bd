"""A fast sample of the fuzz harness (benchmarks/fuzz_validate.py), and the hostile inputs issue 9 names.

A crash is any exception escaping validate_import, the CLI's `validate` or `tf-external`, any FATAL finding,
or an exit code other than 0/1/2. `make fuzz` runs 100 000 inputs; this runs ~2000 (deterministic seed).
"""
from __future__ import annotations

import json
import os
import sys

from paths import BENCHMARKS

import pytest
from cryptography.hazmat.primitives import serialization

sys.path.insert(0, str(BENCHMARKS))

import fuzz_validate as fz  # noqa: E402
from pca_import.core.x509build import make_csr  # noqa: E402
from pki_gen import build, clean, der, pem, pems, pool_key  # noqa: E402

SAMPLE = int(os.environ.get("PCA_IMPORT_FUZZ_SAMPLE", "2000"))
VALIDATE, CLI, TF = 0, 1, 2


def test_fuzz_sample_finds_no_crash(tmp_path):
    stats = fz.Stats(str(tmp_path), measure_memory=False)
    fz._remember_codes()
    summary = fz.fuzz_random(SAMPLE, seed=7, stats=stats)
    print(f"\nfuzz sample: {summary['inputs']} inputs, {summary['crashes']} crashes, worst "
          f"{summary['worst_seconds_per_input']} s/input")
    assert summary["inputs"] >= SAMPLE
    assert not summary["crashes"], json.dumps(summary["crash_kinds"], indent=2)


# ---- the hostile inputs the issue names ---------------------------------------------------------------------

H = build(clean(3))
ROOT_PEM, SUB_PEM, CHAIN_PEM = pem(H.certs[0]), pem(H.certs[2]), pems([H.certs[1], H.certs[0]])
CSR = make_csr(H.keys[2], H.certs[2].subject)
CSR_DER = CSR.public_bytes(serialization.Encoding.DER)


def _pem(label: str, data: bytes) -> bytes:
    return fz.to_pem(label.encode(), data)


def _patched(data: bytes, old: bytes, new: bytes) -> bytes:
    assert old in data, (old, data[:80])
    return data.replace(old, new, 1)


def _cert_with_version(v: int) -> bytes:
    return _pem("CERTIFICATE", _patched(der(H.certs[2]), b"\xa0\x03\x02\x01\x02", b"\xa0\x03\x02\x01" + bytes([v])))


def _cert_with_bad_ia5() -> bytes:
    from cryptography import x509
    from cryptography.x509.oid import NameOID
    key = pool_key("p256", 30)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "IA5 CA"),
                      x509.NameAttribute(NameOID.EMAIL_ADDRESS, "ca@example.com")])
    from pki_gen import NOW, DAY
    from cryptography.hazmat.primitives import hashes
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(NOW - DAY).not_valid_after(NOW + 300 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True).sign(key, hashes.SHA256()))
    return _pem("CERTIFICATE", _patched(der(cert), b"\x16\x0eca@example.com", b"\x16\x0eca@\xffxample.com"))


def _csr_point_off_curve() -> bytes:
    point = H.keys[2].public_key().public_bytes(serialization.Encoding.X962,
                                                 serialization.PublicFormat.UncompressedPoint)
    return _pem("CERTIFICATE REQUEST", _patched(CSR_DER, point, point[:-1] + bytes([point[-1] ^ 1])))


def _csr_version(v: int) -> bytes:
    return _pem("CERTIFICATE REQUEST", _patched(CSR_DER, b"\x02\x01\x00", b"\x02\x01" + bytes([v])))


CASES = {
    "certificate with version field 5": (VALIDATE, [b"", _cert_with_version(5), CHAIN_PEM, b""]),
    "certificate with version field 5, CLI": (CLI, [b"json=1", _cert_with_version(5), CHAIN_PEM, b""]),
    "chain certificate with version field 0xff": (VALIDATE, [b"", SUB_PEM, _cert_with_version(0xFF) + ROOT_PEM, b""]),
    "invalid IA5String in a name": (VALIDATE, [b"", _cert_with_bad_ia5(), b"", b""]),
    "invalid IA5String in a name, CLI": (CLI, [b"", _cert_with_bad_ia5(), b"", b""]),
    "invalid IA5String in a chain name": (VALIDATE, [b"", SUB_PEM, CHAIN_PEM + _cert_with_bad_ia5(), b""]),
    "EC point off the curve in --csr": (CLI, [b"", SUB_PEM, CHAIN_PEM, _csr_point_off_curve()]),
    "EC point off the curve in csr": (VALIDATE, [b"", SUB_PEM, CHAIN_PEM, _csr_point_off_curve()]),
    "CSR with version 5": (CLI, [b"", SUB_PEM, CHAIN_PEM, _csr_version(5)]),
    "CSR with version 5, engine": (VALIDATE, [b"", SUB_PEM, CHAIN_PEM, _csr_version(5)]),
    "--expiry-warning-days 1000000000": (CLI, [b"days=1000000000", SUB_PEM, CHAIN_PEM, b""]),
    "--expiry-warning-days -1": (CLI, [b"days=-1", SUB_PEM, CHAIN_PEM, b""]),
    'tf-external {"certificate": 1}': (TF, [b'{"certificate": 1}']),
    "tf-external a list": (TF, [json.dumps([{"certificate": SUB_PEM.decode()}]).encode()]),
    "tf-external NaN": (TF, [b'{"certificate": NaN}']),
    "tf-external booleans": (TF, [b'{"certificate": true, "certificate_chain": false}']),
    "tf-external 100000 nested brackets": (TF, [b"[" * 100_000 + b"]" * 100_000]),
    "tf-external 100000 nested objects": (TF, [b'{"a":' * 100_000 + b"1" + b"}" * 100_000]),
    "tf-external not UTF-8": (TF, [b'{"certificate": "\xff\xfe"}']),
    "tf-external empty": (TF, [b""]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_named_hostile_input_does_not_crash(name):
    target, fields = CASES[name]
    crash, _seconds, _peak = fz.run_one(fz.pack(target, fields), measure_memory=False)
    assert crash is None, crash


def test_hostile_inputs_get_the_right_exit_codes():
    """Malformed inputs are findings (exit 1), malformed options and queries are usage errors (exit 2)."""
    cases = {"certificate with version field 5, CLI": 1, "invalid IA5String in a name, CLI": 1,
             "--expiry-warning-days 1000000000": 2, 'tf-external {"certificate": 1}': 2,
             "tf-external 100000 nested brackets": 2, "tf-external NaN": 2, "tf-external a list": 2}
    for name, expected in cases.items():
        target, fields = CASES[name]
        if fz.TARGETS[target] == "tf_external":
            code, text = fz._cli(["tf-external"], fields[0])
        else:
            code, text = _cli_validate(fields)
        assert code == expected, (name, code, text[-400:])


def _cli_validate(fields):
    import tempfile
    d = tempfile.mkdtemp()
    argv = ["validate", "--json"]
    for name, data in (("certificate", fields[1]), ("chain", fields[2]), ("csr", fields[3])):
        if data:
            with open(os.path.join(d, name), "wb") as fh:
                fh.write(data)
            argv += [f"--{name}", os.path.join(d, name)]
    opts = fz.parse_options(fields[0])
    if "days" in opts:
        argv += ["--expiry-warning-days", opts["days"]]
    return fz._cli(argv)


def test_malformed_csr_is_named_not_a_key_mismatch():
    from pca_import.core.validate import validate_import
    for csr in (_csr_point_off_curve(), _csr_version(5)):
        report = validate_import(SUB_PEM, CHAIN_PEM, csr=csr)
        assert "FATAL" not in report.codes
        assert "KEY003" in report.codes, report.to_text()


def test_long_hostile_chains_do_not_crash():
    """A long chain given root first and many unrelated certificates (timing: benchmarks/bench_hostile_chains.py)."""
    sys.path.insert(0, str(BENCHMARKS))
    from bench_hostile_chains import long_chain, unrelated
    from pca_import.core.validate import validate_import
    certs = long_chain(120)                       # certs[0] is the root, certs[-1] the CA imported
    report = validate_import(certs[-1], b"".join(certs[:-1]))   # root first: every link reversed
    assert "FATAL" not in report.codes and not report.ok
    report = validate_import(certs[-1], b"".join(reversed(certs[:-1])) + b"".join(unrelated(300)))
    assert "FATAL" not in report.codes and not report.ok
