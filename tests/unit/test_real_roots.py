"""Real roots nobody here made: every root of the machine's trust store and of certifi's bundle, as a ROOT import.

A real, trusted root may only be refused for a reason the README documents for real roots (ALLOWED below);
anything else (ROOT001 on a SHA-1 root, a crashed rule, ...) is a pca-import bug. `pytest -s` prints the
counts per finding code.
"""
from __future__ import annotations

import glob
import os
from collections import Counter

import pytest

from pca_import.core.validate import validate_import
from pca_import.core.pem import split_pem

# The only reasons a root from a public trust store may be refused, each documented in the README's Rules:
ALLOWED = {
    "VAL001": "expired (trust stores keep roots past their notAfter)",
    "BC001": "no basic constraints (old v1/v3 roots)",
    "BC002": "basic constraints not marked critical (AWS requires critical)",
}
TRUST_STORE_BUNDLES = ("/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem")


def _trust_store() -> tuple[str, list[bytes]] | None:
    for path in TRUST_STORE_BUNDLES:
        if os.path.exists(path):
            with open(path, "rb") as fh:
                return path, [b.pem for b in split_pem(fh.read()).certificate_blocks]
    files = sorted(glob.glob("/etc/ssl/certs/*.pem"))
    if files:
        pems = []
        for f in files:
            with open(f, "rb") as fh:
                pems += [b.pem for b in split_pem(fh.read()).certificate_blocks]
        return "/etc/ssl/certs/*.pem", pems
    return None


def _certifi() -> tuple[str, list[bytes]] | None:
    try:
        import certifi
    except ImportError:
        return None
    with open(certifi.where(), "rb") as fh:
        return "certifi " + certifi.__version__, [b.pem for b in split_pem(fh.read()).certificate_blocks]


SOURCES = {"trust-store": _trust_store, "certifi": _certifi}


@pytest.mark.parametrize("source", sorted(SOURCES))
@pytest.mark.filterwarnings("ignore::cryptography.utils.CryptographyDeprecationWarning")  # negative serials
def test_real_roots_are_importable_as_roots(source):
    found = SOURCES[source]()
    if not found:
        pytest.skip(f"no {source} bundle on this machine")
    where, roots = found
    assert roots, f"{where} holds no certificate"
    counts: Counter = Counter()
    refused, wrong = Counter(), []
    for pem in roots:
        report = validate_import(pem, None, ca_type="ROOT")
        counts.update(f"{f.code}({f.severity})" for f in report.findings)
        if report.ok:
            continue
        codes = {f.code for f in report.errors}
        refused[" ".join(sorted(codes))] += 1
        if not codes <= set(ALLOWED):
            wrong.append(f"{report.facts.get('subject', '?')}: " + "; ".join(
                f"{f.code} {f.message}" for f in report.errors if f.code not in ALLOWED))
    print(f"\n{where}: {len(roots)} roots, {len(roots) - sum(refused.values())} importable, refused: "
          f"{dict(refused) or 'none'}; findings per code: {dict(sorted(counts.items())) or 'none'}")
    assert not wrong, "\n".join(wrong)
