"""NIST PKITS (the copy Go ships in its standard library test data) as SUBORDINATE imports.

Each PKITS path is trust anchor -> CA ... -> end entity. The import: the end entity's issuer is the imported CA,
its issuers up to the trust anchor are the chain (issuer first, root last); certificates a path lists only for
its CRLs (CRL-signing certificates, indirect CRL issuers) are left out. A path with no CA below the trust
anchor is a ROOT import of the trust anchor. Time is fixed inside PKITS's validity (2010-2030).

pca-import's verdict must equal PKITS's expected result, except for the tests in DIFFERENCES, each with the
verdict pca-import must give instead and why. For "end-entity only" tests openssl (when present) confirms
that the whole path fails but the path up to the imported CA validates; for revocation tests, that the
path validates when no CRL is consulted.
"""
from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import shutil
import subprocess
import tempfile
import textwrap
from collections import Counter

import pytest
from cryptography import x509

from pca_import.core.validate import validate_import

PKITS = os.environ.get("PCA_IMPORT_PKITS", "/usr/local/go/src/crypto/x509/testdata/nist-pkits")
NOW = dt.datetime(2020, 6, 1, tzinfo=dt.timezone.utc)
OPENSSL = shutil.which("openssl")

if not os.path.exists(os.path.join(PKITS, "vectors.json")):
    _MISSING = f"NIST PKITS vectors not found at {PKITS} (they ship with Go's source; PCA_IMPORT_PKITS points elsewhere)"
    if os.environ.get("CI"):  # in CI the claim "compared with NIST PKITS" must be tested, never skipped
        pytest.fail(_MISSING, pytrace=False)
    pytest.skip(_MISSING, allow_module_level=True)


def _ids(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# category -> (pca-import's verdict instead of PKITS's, the error codes it gives (None: any), why, tests)
DIFFERENCES: dict[str, tuple[bool, frozenset[str] | None, str, tuple[str, ...]]] = {
    "end-entity only": (True, None,
        "the path fails on the end-entity certificate (its signature, dates, issuer name, names under the "
        "CAs' name constraints, its own critical extension); the CA certificates imported are valid",
        _ids("4.1.3 4.2.2 4.2.6 4.2.7 4.3.1 4.3.2 4.13.2 4.13.3 4.13.7 4.13.8 4.13.9 4.13.10 4.13.12 "
             "4.13.13 4.13.15 4.13.16 4.13.17 4.13.20 4.13.22 4.13.24 4.13.26 4.13.28 4.13.29 4.13.31 4.13.33 "
             "4.13.35 4.13.37 4.13.38 4.16.2")),
    "revocation": (True, None,
        "the path fails on a CRL (missing, revoked, badly signed, wrong scope, delta CRLs, a CA without "
        "cRLSign); an import checks no revocation status",
        _ids("4.4.1 4.4.2 4.4.3 4.4.4 4.4.5 4.4.6 4.4.8 4.4.9 4.4.10 4.4.11 4.4.12 4.4.15 4.4.18 4.4.20 4.4.21 "
             "4.5.2 4.5.5 4.5.7 4.7.4 4.7.5 4.14.2 4.14.3 4.14.6 4.14.8 4.14.9 4.14.11 4.14.12 4.14.14 4.14.15 "
             "4.14.16 4.14.17 4.14.20 4.14.21 4.14.23 4.14.26 4.14.27 4.14.31 4.14.32 4.14.34 4.14.35 4.15.1 "
             "4.15.3 4.15.4 4.15.6 4.15.9 4.15.10")),
    "certificate policies": (True, None,
        "the path fails certificate-policy processing (user-initial-policy-set, explicit policy, mappings, "
        "inhibitAnyPolicy); an import does no policy processing",
        _ids("4.8.1/3 4.8.2/2 4.8.3/2 4.8.3/3 4.8.4 4.8.5 4.8.6/3 4.8.7 4.8.8 4.8.9 4.8.12 4.8.14/2 4.10.1.2/2 "
             "4.10.1.3/3 4.10.2/1 4.10.2/2 4.10.3/1 4.10.4 4.10.5/2 4.10.6/2 4.10.10 4.10.13/3 4.12.1 4.12.3/2 "
             "4.12.4 4.12.5 4.12.6 4.12.8 4.12.10")),
    "critical policy constraints": (False, frozenset({"EXT001"}),
        "a CA marks policy constraints critical (as RFC 5280 requires), which AWS Private CA rejects; for the "
        "invalid ones the verdict agrees with PKITS for this reason, not for the policy failure",
        _ids("4.9.1 4.9.2 4.9.4 4.9.6 4.11.2 4.11.4 4.11.7 "
             "4.9.3 4.9.5 4.9.7 4.9.8 4.10.7 4.10.8 4.11.1 4.11.3 4.11.5 4.11.6 4.11.8 4.11.9 4.11.10 4.11.11")),
    "a key no Private CA holds": (False, frozenset({"KEY004"}),
        "the imported CA has a DSA-1024 key (DSACACert); a Private CA's key is RSA 2048/3072/4096, EC "
        "P-256/384/521, ML-DSA or SM2, and the imported certificate carries the CA's own key (4.1.6's end-entity "
        "signature failure comes after that)",
        _ids("4.1.4 4.1.6")),
    "basic constraints not critical": (False, frozenset({"BC002"}),
        "AWS Private CA requires basic constraints marked critical; RFC 5280 path validation does not",
        _ids("4.6.4")),
    "DSA parameter inheritance": (False, frozenset({"ENC007"}),
        "the CA's DSA key inherits its parameters from the issuer (RFC 3279 2.3.2); cryptography cannot parse "
        "such a key and AWS Private CA has no DSA key algorithm",
        _ids("4.1.5")),
}


def test_id(name: str) -> str:
    """`4.8.1/3` for "4.8.1 All Certificates Same Policy Test1 (Subpart 3)"."""
    m = re.match(r"(\S+) .*?(?:\(Subpart (\d+)\))?$", name)
    return m.group(1) + (f"/{m.group(2)}" if m.group(2) else "")


test_id.__test__ = False  # not a pytest test


def _load(name: str) -> tuple[bytes, x509.Certificate | None]:
    with open(os.path.join(PKITS, "certs", name), "rb") as fh:
        data = fh.read()
    try:
        return data, x509.load_der_x509_certificate(data)
    except ValueError:
        return data, None


def _pem(data: bytes) -> bytes:
    body = "\n".join(textwrap.wrap(base64.b64encode(data).decode(), 64))
    return f"-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----\n".encode()


def _key_id(cert: x509.Certificate, ext_type):
    try:
        v = cert.extensions.get_extension_for_class(ext_type).value
    except (x509.ExtensionNotFound, ValueError):
        return None
    return getattr(v, "digest", None) or getattr(v, "key_identifier", None)


def _issuer(child: x509.Certificate, pool):
    """The pool entry that issued `child`: same name and its key verifies, else name and key identifier."""
    named = [p for p in pool if p[2] is not None and p[2].subject == child.issuer]
    for p in named:
        try:
            child.verify_directly_issued_by(p[2])
            return p
        except Exception:
            pass
    aki = _key_id(child, x509.AuthorityKeyIdentifier)
    keyed = [p for p in pool if p[2] is not None and aki and _key_id(p[2], x509.SubjectKeyIdentifier) == aki]
    both = [p for p in named if p in keyed]
    return (both or keyed or named or [None])[0]


def import_for(vector: dict):
    """(ca_type, imported (name, der), chain [(name, der)], left out [names]) for one PKITS path."""
    certs = [(n, *_load(n)) for n in vector["CertPath"]]
    anchor, pool = certs[0], certs[:-1]
    path, cur = [], certs[-1]
    while cur is not anchor:
        if cur[2] is None:  # an unparsable certificate: keep PKITS's order for the rest
            path += [p for p in reversed(pool) if p not in path]
            break
        nxt = _issuer(cur[2], [p for p in pool if p not in path])
        if nxt is None:
            break
        path.append(nxt)
        cur = nxt
    left_out = [p[0] for p in pool if p not in path]
    ca_type = "ROOT" if len(path) == 1 else "SUBORDINATE"
    return ca_type, path[0][:2], [p[:2] for p in path[1:]], left_out


def _openssl_ok(anchor: bytes, untrusted: list[bytes], target: bytes) -> bool:
    with tempfile.TemporaryDirectory(prefix="pca-import-pkits-") as d:
        files = {}
        for name, data in (("ta", _pem(anchor)), ("untrusted", b"".join(_pem(u) for u in untrusted)),
                           ("target", _pem(target))):
            files[name] = os.path.join(d, name + ".pem")
            with open(files[name], "wb") as fh:
                fh.write(data)
        cmd = [OPENSSL, "verify", "-no-CApath", "-no-CAstore", "-attime", str(int(NOW.timestamp())),
               "-CAfile", files["ta"]]
        if untrusted:
            cmd += ["-untrusted", files["untrusted"]]
        p = subprocess.run(cmd + [files["target"]], capture_output=True, text=True, timeout=60)
        return p.returncode == 0


def _vectors() -> list[dict]:
    with open(os.path.join(PKITS, "vectors.json")) as fh:
        return json.load(fh)


def test_difference_table_is_well_formed():
    ids = {test_id(v["Name"]) for v in _vectors()}
    seen: dict[str, str] = {}
    for category, (_ok, _codes, _why, tests) in DIFFERENCES.items():
        for t in tests:
            assert t in ids, f"{category}: no PKITS test {t}"
            assert t not in seen, f"{t} is in both {seen[t]} and {category}"
            seen[t] = category


@pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")  # negative serials
def test_pkits_paths_as_imports():
    by_test = {t: c for c, (_ok, _codes, _why, tests) in DIFFERENCES.items() for t in tests}
    counts: Counter = Counter()
    wrong, unconfirmed = [], []
    for v in _vectors():
        tid = test_id(v["Name"])
        ca_type, (imported_name, imported), chain, left_out = import_for(v)
        report = validate_import(_pem(imported), b"".join(_pem(d) for _n, d in chain) or None, ca_type=ca_type,
                                 now=NOW)
        codes = {f.code for f in report.errors}
        category = by_test.get(tid)
        if category is None:
            expected_ok, expected_codes = v["ShouldValidate"], None
            counts["same verdict as PKITS (valid)" if expected_ok else "same verdict as PKITS (invalid)"] += 1
        else:
            expected_ok, expected_codes, _why, _tests = DIFFERENCES[category]
            counts[f"difference: {category}"] += 1
        if report.ok != expected_ok or (expected_codes is not None and codes != expected_codes):
            wrong.append(f"{v['Name']} ({category or 'PKITS verdict'}): PKITS {v['ShouldValidate']}, expected "
                         f"{expected_ok}{' ' + str(sorted(expected_codes)) if expected_codes else ''}, pca-import "
                         f"{report.ok} {sorted(codes)} — import of {imported_name} with chain "
                         f"{[n for n, _ in chain]}: " + "; ".join(f"{f.code} {f.message}" for f in report.errors))
        if OPENSSL and category in ("end-entity only", "revocation"):
            anchor = _load(v["CertPath"][0])[0]
            ee = _load(v["CertPath"][-1])[0]
            others = [_load(n)[0] for n in v["CertPath"][1:-1]]
            full = _openssl_ok(anchor, others, ee)
            ca_part = ca_type == "ROOT" or _openssl_ok(anchor, [d for _n, d in chain[:-1]], imported)
            if category == "end-entity only" and not (ca_part and not full):
                unconfirmed.append(f"{v['Name']}: openssl full path {full}, up to the imported CA {ca_part}")
            if category == "revocation" and not full:
                unconfirmed.append(f"{v['Name']}: openssl (no CRLs) rejects the path")
    print("\nPKITS as imports:", dict(sorted(counts.items())), f"({sum(counts.values())} paths)")
    assert not unconfirmed, "openssl does not confirm the category:\n" + "\n".join(unconfirmed)
    assert not wrong, f"{len(wrong)} PKITS paths disagree:\n" + "\n".join(wrong)
