"""The layout is the architecture: the pure core imports no adapter, and rule metadata is data."""
from __future__ import annotations

import ast
import pathlib

from paths import REPO

from pca_import import catalogue
from pca_import.core.spec import CRITICAL_EXTENSIONS
from pca_import.core.rules import RULES

PKG = REPO / "pca_import"
FORBIDDEN_THIRD_PARTY = {"boto3", "botocore", "pulumi", "pulumi_aws", "moto", "werkzeug"}
# Layers, lowest first: a module may import its own layer and those below it, never one above.
LAYERS = ["errors", "diagnostics", "core", "aws", "resources", "integrations", "devtools"]
# The stable pickle paths and the package's front door re-export from above by design.
FRONT = {"__init__", "__main__", "provider", "ca_resources", "offline_signer"}


def _module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: pathlib.Path) -> set[str]:
    """Absolute names of what a module imports (relative imports resolved)."""
    out = set()
    me = _module_name(path).split(".")
    pkg = me if path.name == "__init__.py" else me[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(pkg[:len(pkg) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


def _layer(module: str) -> str | None:
    parts = module.split(".")
    if parts[0] != "pca_import" or len(parts) < 2 or parts[1] in FRONT:
        return None
    return parts[1] if parts[1] in LAYERS else "?"


def _package_modules() -> dict[str, pathlib.Path]:
    return {_module_name(f): f for f in PKG.rglob("*.py")}


def test_every_module_sits_in_a_layer_folder():
    for name in _package_modules():
        layer = _layer(name)
        assert layer != "?", f"{name} is not in a layer folder ({', '.join(LAYERS)})"


def test_core_modules_import_no_adapter_and_no_io_library():
    for name, f in _package_modules().items():
        if _layer(name) != "core":
            continue
        for imp in _imports(f):
            assert imp.split(".")[0] not in FORBIDDEN_THIRD_PARTY, f"{name} imports {imp}"
            assert _layer(imp) in (None, "core", "errors") or not imp.startswith("pca_import."), \
                f"{name} (core) imports the adapter {imp}"


def test_imports_only_point_down_the_layers():
    for name, f in _package_modules().items():
        mine = _layer(name)
        if mine is None:
            continue
        for imp in _imports(f):
            theirs = _layer(imp)
            if theirs in (None, "?") or not imp.startswith("pca_import."):
                continue
            assert LAYERS.index(theirs) <= LAYERS.index(mine), f"{name} ({mine}) imports {imp} ({theirs}) upward"


def test_no_import_circle_between_modules():
    """Module-level imports only (a function-level import is a deliberate lazy load): the graph is acyclic."""
    modules = _package_modules()
    graph: dict[str, set[str]] = {}
    for name, f in modules.items():
        tree = ast.parse(f.read_text())
        deps = set()
        for node in tree.body:
            names = []
            if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").startswith("pca_import"):
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            deps |= {n for n in names if n in modules and n != name}
        graph[name] = deps
    state: dict[str, int] = {}

    def visit(n: str, path: list[str]) -> None:
        state[n] = 1
        for d in graph[n]:
            if state.get(d) == 1 and not n.startswith(d + ".") and not d.startswith(n + "."):
                # a package importing its own submodules (or the reverse) is how packages work, not a circle
                raise AssertionError("import circle: " + " -> ".join(path + [n, d]))
            if d not in state:
                visit(d, path + [n])
        state[n] = 2

    for n in graph:
        if n not in state:
            visit(n, [])


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
    from pca_import.core import spec as private_ca
    from pca_import import validate_import
    root = ca("Table Root")
    aia = x509.AuthorityInformationAccess([x509.AccessDescription(
        AuthorityInformationAccessOID.CA_ISSUERS, x509.UniformResourceIdentifier("http://example.test/ca.crt"))])
    sub = ca("Table Sub", root, extra_extensions=[(aia, True)])
    assert "EXT001" in validate_import(sub.pem, chain(root)).codes
    table = dict(CRITICAL_EXTENSIONS)
    table[ExtensionOID.AUTHORITY_INFORMATION_ACCESS.dotted_string] = ("authority information access", private_ca.ALLOWED)
    monkeypatch.setattr(private_ca, "CRITICAL_EXTENSIONS", table)
    assert "EXT001" not in validate_import(sub.pem, chain(root)).codes


def test_every_aws_call_goes_through_the_aws_adapter():
    """Only aws/client.py (and the emulator, which *is* the local AWS) talks to AWS Private CA; every other adapter calls
    its methods, so time budgets, retries, idempotency and error translation live in one place."""
    import re
    talks = re.compile(r"^\s*(import|from) boto3|boto3\.(client|session|Session|resource)\(|get_waiter\(|"
                       r"\bclient\.[a-z_]+\(")
    for f in sorted(PKG.rglob("*.py")):
        if f.parent.name in ("aws", "emulator"):
            continue
        hits = [ln for ln in f.read_text().splitlines() if talks.search(ln) and not ln.lstrip().startswith("#")]
        assert not hits, f"{f.name} talks to AWS directly: {hits[:2]}"


def test_the_rules_reference_is_generated_from_the_catalogue():
    """docs/rules-reference.md is `pca-import rules --markdown`: regenerate it when a rule changes."""
    from pca_import.integrations.cli import rules_markdown
    assert (REPO / "docs" / "rules-reference.md").read_text() == rules_markdown(), \
        "docs/rules-reference.md is stale: run `pca-import rules --markdown > docs/rules-reference.md`"


def test_the_package_imports_no_validation_framework():
    """The hierarchy schema is core/schema.py (the standard library): a program declaring a PkiHierarchy pays no
    pydantic import (~0.13 s of every preview) and the `pulumi` extra does not install it."""
    for name, f in _package_modules().items():
        assert not any(imp.split(".")[0] == "pydantic" for imp in _imports(f)), f"{name} imports pydantic"


# Facts that are stated once; a literal copy elsewhere in the package is the drift issue 14 removed. Where a
# module translates between a fact and another vocabulary (an OID or curve to a key-algorithm name, a name to a
# key generator), that table is the one allowed second place, named here.
STATED_ONCE = {
    5055: {"pca_import.aws.emulator"},                                       # the emulator's default port
    36500: {"pca_import.core.spec"},                                         # the longest validity / warning
    "arn:aws:acm-pca:::template/": {"pca_import.core.spec"},                 # the template ARN prefix
    **{name: {"pca_import.core.spec"} for name in
       ("SHA256WITHRSA", "SHA384WITHRSA", "SHA512WITHRSA", "SHA256WITHECDSA", "SHA384WITHECDSA",
        "SHA512WITHECDSA", "SHA256WITHRSA_PSS")},                            # signing algorithms
    **{name: {"pca_import.core.spec", "pca_import.core.keys", "pca_import.core.x509build"} for name in
       ("EC_prime256v1", "EC_secp384r1", "EC_secp521r1")},                  # key algorithms
    # RSA names are also KMS KeySpec values (aws/kms.py: which KMS keys can sign, KMS's own vocabulary)
    **{name: {"pca_import.core.spec", "pca_import.core.keys", "pca_import.core.x509build", "pca_import.aws.kms"}
       for name in ("RSA_2048", "RSA_3072", "RSA_4096")},
}


def test_facts_are_not_restated_as_literals():
    found: dict[object, set[str]] = {fact: set() for fact in STATED_ONCE}
    for name, f in _package_modules().items():
        tree = ast.parse(f.read_text())
        docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                      if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef))
                      and n.body and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and id(node) not in docstrings and not isinstance(node.value, bool):
                if node.value in found:
                    found[node.value].add(name)
    restated = {fact: sorted(where - STATED_ONCE[fact]) for fact, where in found.items() if where - STATED_ONCE[fact]}
    assert not restated, f"restated outside their one place (read them from there): {restated}"
    assert all(found[fact] for fact in STATED_ONCE), "a fact this test guards is no longer stated at all"
