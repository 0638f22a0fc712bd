"""The layout is the architecture: the pure core imports no adapter, and rule metadata is data."""
from __future__ import annotations

import ast
import pathlib

from pca_import import catalogue
from pca_import.private_ca import CRITICAL_EXTENSIONS
from pca_import.rules import RULES

PKG = pathlib.Path(__file__).resolve().parent.parent / "pca_import"
CORE = ["pem", "der", "names", "signatures", "facts", "chain", "engine", "report", "private_ca", "renewal"]
ADAPTERS = {"aws", "provider", "resource", "ca_resources", "offline_signer", "hierarchy", "cli", "emulator",
            "local_pulumi", "provider_errors", "signing", "crossguard"}
FORBIDDEN_THIRD_PARTY = {"boto3", "botocore", "pulumi", "pulumi_aws", "moto", "werkzeug"}


def _imports(path: pathlib.Path) -> set[str]:
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ("." * node.level) + (node.module or "")
            out.add(base)
            if node.level and not node.module:
                out |= {"." + a.name for a in node.names}
    return out


def test_core_modules_import_no_adapter_and_no_io_library():
    files = [PKG / f"{m}.py" for m in CORE] + sorted((PKG / "rules").glob("*.py"))
    for f in files:
        for imp in _imports(f):
            top = imp.lstrip(".").split(".")[0]
            assert top not in FORBIDDEN_THIRD_PARTY, f"{f.name} imports {imp}"
            if imp.startswith("."):
                assert top not in ADAPTERS, f"{f.name} (core) imports the adapter {imp}"


def test_every_rule_declares_source_and_exception_and_errors_map_to_an_aws_exception():
    for r in RULES:
        assert r.source in ("aws-api", "aws-guide", "rfc5280", "operational"), r.code
        if r.severity == "error" and r.source != "operational" and r.code != "KEY003":
            assert r.aws_exception, f"{r.code} is an error AWS would raise: which exception?"
        if r.severity != "error":
            assert r.aws_exception is None or r.profile_severity, r.code
    assert all("source" in e and "aws_exception" in e for e in catalogue())


def test_the_critical_extension_table_drives_the_decision(monkeypatch):
    """Changing the table changes the verdict: nothing else hard-codes which critical extension AWS refuses."""
    from cryptography import x509
    from cryptography.x509.oid import AuthorityInformationAccessOID, ExtensionOID

    from certfactory import ca, chain
    from pca_import import private_ca, validate_import
    root = ca("Table Root")
    aia = x509.AuthorityInformationAccess([x509.AccessDescription(
        AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier("http://example.test/ca.crt"))])
    sub = ca("Table Sub", root, extra_extensions=[(aia, True)])
    assert "EXT001" in validate_import(sub.pem, chain(root)).codes
    table = dict(CRITICAL_EXTENSIONS)
    table[ExtensionOID.AUTHORITY_INFORMATION_ACCESS] = ("authority information access", private_ca.ALLOWED)
    monkeypatch.setattr(private_ca, "CRITICAL_EXTENSIONS", table)
    assert "EXT001" not in validate_import(sub.pem, chain(root)).codes


def test_every_aws_call_goes_through_the_aws_adapter():
    """Only aws.py (and the emulator, which *is* the local AWS) talks to AWS Private CA; every other adapter calls
    its methods, so time budgets, retries, idempotency and error translation live in one place."""
    import re
    talks = re.compile(r"^\s*(import|from) boto3|boto3\.(client|session|Session|resource)\(|get_waiter\(|"
                       r"\bclient\.[a-z_]+\(")
    for f in sorted(PKG.glob("*.py")):
        if f.name in ("aws.py", "emulator.py", "emulator_validation.py"):
            continue
        hits = [ln for ln in f.read_text().splitlines() if talks.search(ln) and not ln.lstrip().startswith("#")]
        assert not hits, f"{f.name} talks to AWS directly: {hits[:2]}"
