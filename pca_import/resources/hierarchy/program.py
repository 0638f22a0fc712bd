"""A declarative PKI hierarchy from stack config, built as Pulumi resources.

A thin reader of stack config: the schema and `parse_hierarchy` live in config.py (pure: config in, nodes or every
mistake out); the resources are the `PkiHierarchy` component (component.py), which a user's own program uses
directly. `build_pki` and `build_signer` are the two roles of the one Pulumi project: the PKI stack (the
component) and the signer stack (an offline root that signs CSRs read from the PKI stack's outputs).
"""
from __future__ import annotations

from typing import Any

from pca_import.resources.hierarchy.component import BACKENDS, PkiHierarchy, PkiHierarchyArgs, _stack_output
from pca_import.resources.hierarchy.component import refuse_keys_in_files as _file_key_problems
from pca_import.resources.hierarchy.config import (  # noqa: F401 (public)
    MAX_DEPTH, NAME, HierarchyError, Node, parse_hierarchy, parse_renew_before_days, parse_signs,
    private_key_problems, renewal_hints)


# ---- the PKI stack ----------------------------------------------------------------------------------


def refuse_keys_in_files(nodes: list[Node]) -> None:
    """A manual certificate or chain file that holds a private key stops the program before anything is
    registered: its content would otherwise become a resource input."""
    problems = _file_key_problems(nodes)
    if problems:
        raise HierarchyError(problems)


def build_pki(nodes: list[Node], *, backend: str = "boto3", signer_stack: str | None = None) -> dict[str, Any]:
    """The project's PKI stack: the hierarchy as one `PkiHierarchy` component whose children keep the names an
    earlier version gave them at the stack's top level (aliases keep existing stacks' resources); exports `cas`
    and `external_csrs`."""
    import pulumi
    pki = PkiHierarchy("pki", PkiHierarchyArgs(cas=[], backend=backend, signer_stack=signer_stack), nodes=nodes,
                       child_prefix="", adopt_stack_level_resources=True)
    pulumi.export("cas", pki.cas)
    pulumi.export("external_csrs", pki.external_csrs)
    return pki.ca_outputs


# ---- the signer stack --------------------------------------------------------------------------------


def build_signer(*, pki_stack: str, signer_certificate: str, signer_chain: str | None,
                 signs: dict[str, dict]) -> dict[str, Any]:
    """Sign each CSR the PKI stack exports that this signer is configured to sign; export the results."""
    import pulumi

    from pca_import.resources.offline_signer import OfflineSignedCertificate

    settings = parse_signs(signs)
    csrs = _stack_output("pki", pki_stack, "external_csrs")
    cas = _stack_output("pki", pki_stack, "cas")
    chain = signer_certificate if not signer_chain else signer_certificate.rstrip("\n") + "\n" + signer_chain
    out: dict[str, Any] = {}
    for name, opts in settings.items():
        csr = csrs.get(name)
        if not csr:
            pulumi.log.warn(f"{name}: no CSR in {pki_stack}'s external_csrs yet: run `pulumi up` on the PKI stack "
                            "first")
            continue
        s = OfflineSignedCertificate(f"{name}-signed", csr=csr, signer_certificate=signer_certificate,
                                     validity_days=opts.validity_days, path_length=opts.path_length,
                                     renewal=opts.renewal,
                                     renew_before_days=(cas.get(name) or {}).get("renew_before_days"))
        out[name] = {"certificate": s.certificate, "chain": chain, "serial": s.serial}
    pulumi.export("signed", out)
    return out


def _config_object(cfg, key: str):
    """A structured config value, or a HierarchyError naming the key (never a traceback)."""
    try:
        return cfg.get_object(key)
    except Exception:  # ConfigTypeError: not JSON/YAML structure
        raise HierarchyError(f"pca-import:{key} must be a YAML list or mapping in the stack file "
                             "(see README, 'Hierarchy config')") from None


def _required(cfg, key: str, how: str) -> str:
    value = cfg.get(key)
    if not value:
        raise HierarchyError(f"pca-import:{key} is not set: {how}")
    return value


def main() -> None:
    """Entry point of the Pulumi program (__main__.py): dispatch on `pca-import:role`.

    Config mistakes are shown as one error listing each of them, before any resource is registered."""
    import pulumi
    from pca_import.core import clock
    cfg = pulumi.Config("pca-import")
    try:
        try:  # a malformed PCA_IMPORT_NOW is one message here, not a traceback from the first rule that reads it
            clock.now()
        except clock.ClockError as exc:
            raise HierarchyError(str(exc)) from None
        role = cfg.get("role") or "pki"
        if role == "signer":
            certificate = _required(cfg, "signerCertificate", "`pulumi config set pca-import:signerCertificate "
                                                              "< offline-root.pem`")
            chain = cfg.get("signerChain")
            leaked = (private_key_problems("pca-import:signerCertificate", certificate)
                      + private_key_problems("pca-import:signerChain", chain))
            if leaked:
                raise HierarchyError(leaked)
            signs = _config_object(cfg, "signs")
            parse_signs(signs)
            build_signer(pki_stack=_required(cfg, "pkiStack", "the PKI stack's name, e.g. "
                                                             "organization/pca-import/pki"),
                         signer_certificate=certificate, signer_chain=chain, signs=signs or {})
            return
        if role != "pki":
            raise HierarchyError(f"pca-import:role must be pki or signer, not {role!r}")
        nodes = parse_hierarchy(_config_object(cfg, "hierarchy"),
                                parse_renew_before_days(_config_object(cfg, "renewBeforeDays")))
        backend = cfg.get("caBackend") or "boto3"
        if backend not in BACKENDS:
            raise HierarchyError(f"pca-import:caBackend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        refuse_keys_in_files(nodes)
        for hint in renewal_hints(nodes):
            pulumi.log.warn(hint)
    except HierarchyError as exc:
        import sys
        for problem in exc.problems:
            pulumi.log.error(f"pca-import: {problem}")
        sys.exit(32)  # the language host's "message already shown" code: no traceback
    from pca_import.aws.client import AwsError
    try:
        build_pki(nodes, backend=backend, signer_stack=cfg.get("signerStack"))
    except AwsError as exc:  # reading an adopted CA's CSR at program time: the message names the CA and fix
        import sys
        pulumi.log.error(f"pca-import: {exc}")
        sys.exit(32)
