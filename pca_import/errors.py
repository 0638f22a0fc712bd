"""pca-import's errors: each one a failure a person can act on, its message the whole story.

Pulumi-free and boto3-free, so the CLI, the AWS adapter and the dynamic providers share them. The
providers' traceback shim (`provider_errors`) shows any `ActionableError` as its message alone, and the
CLI prints it and exits 1; any other exception is a bug and keeps its traceback.
"""
from __future__ import annotations

from typing import Any


class ActionableError(Exception):
    """A failure whose message names the problem, the place and the fix. `code` is a short machine tag."""

    code: str = "Error"

    def __init__(self, message: str, code: str | None = None):
        super().__init__(message)
        if code is not None:
            self.code = code


class AwsError(ActionableError):
    """An AWS call failed (or the environment does not allow making one): the CA, the step and the fix.

    `step` names the step that gave up; `imported` says what is known about the import: True (the CA
    holds it), False (nothing was imported) or None (not an import, or unknown). `server_error`: AWS (or what
    answered) failed with a 5xx, so a write may or may not have happened."""

    def __init__(self, message: str, code: str = "Aws", *, step: str = "", imported: bool | None = None,
                 server_error: bool = False):
        super().__init__(message, code)
        self.step = step
        self.imported = imported
        self.server_error = server_error


class MissingExtra(ActionableError):
    """An optional dependency is not installed: name the pip extra that brings it."""

    code = "MissingExtra"

    def __init__(self, extra: str, module: str, what: str):
        super().__init__(f"{what} needs `{module}`, which is not installed: install `pca-import[{extra}]` "
                         f"(pip install 'pca-import[{extra}]')")
        self.extra = extra


class RulesRejected(ActionableError):
    """The certificate is not importable into this CA: nothing was sent. `report` has every finding."""

    code = "Rules"

    def __init__(self, message: str, report: Any):
        super().__init__(message)
        self.report = report


class AlreadyHoldsAnother(ActionableError):
    """The CA holds a different certificate and this operation does not replace one."""

    code = "Held"


class OwnedByAnother(ActionableError):
    """The CA carries another owner's `pca-import:owner` tag; `owner` is that tag's value."""

    code = "Owned"

    def __init__(self, message: str, owner: str):
        super().__init__(message)
        self.owner = owner


class HierarchyConfigError(ActionableError):
    """`pca-import:hierarchy` is wrong: by position, name and field, with the fix."""

    code = "HierarchyConfig"
