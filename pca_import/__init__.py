"""pca-import: check and import CA certificates into AWS Private CA.

The core (`validate_import`, `Report`, `Finding`) is pure. Each name is loaded on first use: the CLI's
`validate` never imports pulumi or boto3, and a program or provider that runs no rule never imports
cryptography (a no-change preview).
"""
import functools

from pca_import.core.pem import canonical_pem
from pca_import.core.report import Finding, Report

__all__ = ["validate_import", "catalogue", "canonical_pem", "Finding", "Report",
           "CaCertificateImport", "CaCertificateImportArgs", "PkiHierarchy", "PkiHierarchyArgs", "CaSpec",
           "ExternalSignature"]
_COMPONENT = ("PkiHierarchy", "PkiHierarchyArgs", "CaSpec", "ExternalSignature")


@functools.cache
def _package_version() -> str:
    """One version, the package's own metadata (pyproject.toml); read on first use (importlib.metadata costs
    a few ms in every program and provider process)."""
    try:
        from importlib.metadata import version
        return version("pca-import")
    except Exception:  # noqa: BLE001 - running from a checkout that was never installed
        return "0+unknown"


def __getattr__(name: str):
    if name == "__version__":
        return _package_version()
    if name in ("validate_import", "catalogue"):  # the rule engine loads cryptography: only for those who call it
        from pca_import.core import validate
        return getattr(validate, name)
    if name in ("CaCertificateImport", "CaCertificateImportArgs"):
        from pca_import.resources import resource
        return getattr(resource, name)
    if name in _COMPONENT:
        from pca_import.resources.hierarchy import component
        return getattr(component, name)
    raise AttributeError(name)
