"""pca-import's errors: one tree, each error a failure a person can act on, its message the whole story.

The lowest layer: pure, Pulumi-free and boto3-free, so the core, the AWS adapter, the dynamic providers and the
CLI share it. Every domain error derives from `ActionableError` and carries a typed `code` (`ErrorCode`); what a
code *means* to a caller (a set-up problem that fails a preview, a lost reply that may hide a write) is a set
defined here, once, never a string matched in another module.

    ActionableError                      a failure whose message names the problem, the place and the fix
    ├── InputError (also ValueError)     the user's input or invocation is wrong: the CLI exits 2
    │   ├── UsageError, ClockError, PlanError, HierarchyError, SignerKeyError
    ├── MissingExtra                     an optional dependency is not installed (exit 2)
    ├── AwsError                         an AWS call failed, or the environment does not allow one
    ├── RulesRejected                    the certificate is not importable: nothing was sent
    ├── AlreadyHoldsAnother, OwnedByAnother
    └── ProviderError                    a provider failure that is not an AWS error

The providers' traceback shim (`resources/provider_errors.py`) shows any `ActionableError` as its message alone,
and the CLI prints it; any other exception is a bug and keeps its traceback.
"""
from __future__ import annotations

from enum import Enum
from typing import Any


class ErrorCode(str, Enum):
    """Machine tags of pca-import's errors. AWS exception names the adapter acts on are members too; any other
    AWS exception keeps its name as a plain string (`ErrorCode.of`)."""

    ERROR = "Error"
    # the machine's AWS set-up
    NO_REGION = "NoRegion"
    PROFILE_NOT_FOUND = "ProfileNotFound"
    NO_CREDENTIALS = "NoCredentials"
    INVALID_CREDENTIALS = "InvalidCredentials"
    INVALID_ENDPOINT = "InvalidEndpoint"
    BAD_CONFIG = "BadConfig"
    BAD_SETTING = "BadSetting"
    # the connection
    TIMEOUT = "Timeout"
    UNREACHABLE = "Unreachable"
    CONNECTION_LOST = "ConnectionLost"
    BAD_REPLY = "BadReply"
    # AWS exceptions pca-import acts on
    ACCESS_DENIED = "AccessDeniedException"
    RESOURCE_NOT_FOUND = "ResourceNotFoundException"
    INVALID_ARN = "InvalidArnException"
    INVALID_STATE = "InvalidStateException"
    ASSUME_ROLE = "AssumeRoleFailed"  # the CA account's role could not be assumed
    # pca-import's own
    MISSING_EXTRA = "MissingExtra"
    RULES = "Rules"
    HELD = "Held"
    OWNED = "Owned"
    PROVIDER = "Provider"
    INPUT = "Input"
    USAGE = "Usage"
    CLOCK = "Clock"
    PLAN = "Plan"
    HIERARCHY = "HierarchyConfig"
    SIGNER_KEY = "SignerKey"

    @classmethod
    def of(cls, code: str | ErrorCode) -> ErrorCode | str:
        """The member for a known code; an unknown AWS exception name stays a string."""
        try:
            return cls(code)
        except ValueError:
            return code

    def __str__(self) -> str:
        return self.value


# The machine's AWS set-up is wrong (not a brief outage): a preview fails with the fix, as the `up` would.
SETUP_CODES = frozenset({ErrorCode.NO_REGION, ErrorCode.PROFILE_NOT_FOUND, ErrorCode.NO_CREDENTIALS,
                         ErrorCode.INVALID_CREDENTIALS, ErrorCode.INVALID_ENDPOINT, ErrorCode.BAD_CONFIG,
                         ErrorCode.BAD_SETTING, ErrorCode.BAD_REPLY, ErrorCode.MISSING_EXTRA, ErrorCode.ACCESS_DENIED,
                         ErrorCode.RESOURCE_NOT_FOUND, ErrorCode.INVALID_ARN, ErrorCode.ASSUME_ROLE})
# The request may have reached AWS and its answer was lost: a write may or may not have happened.
AMBIGUOUS_CODES = frozenset({ErrorCode.TIMEOUT, ErrorCode.CONNECTION_LOST, ErrorCode.BAD_REPLY})


class ActionableError(Exception):
    """The one base: a failure whose message names the problem, the place and the fix."""

    code: ErrorCode | str = ErrorCode.ERROR

    def __init__(self, message: str, code: ErrorCode | str | None = None):
        super().__init__(message)
        if code is not None:
            self.code = ErrorCode.of(code)


class InputError(ActionableError, ValueError):
    """The user's input or invocation is wrong (a flag, a file, a setting, a config value): exit 2."""

    code = ErrorCode.INPUT


class UsageError(InputError):
    """The command line is wrong."""

    code = ErrorCode.USAGE


class ClockError(InputError):
    """PCA_IMPORT_NOW is not an ISO 8601 time."""

    code = ErrorCode.CLOCK


class PlanError(InputError):
    """A Terraform plan that cannot be read."""

    code = ErrorCode.PLAN


class HierarchyError(InputError):
    """`pca-import:hierarchy` (or the component's arguments) is wrong: by position, name and field, with the fix."""

    code = ErrorCode.HIERARCHY

    def __init__(self, problems: str | list[str]):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class SignerKeyError(InputError):
    """The external signer's key cannot be used: where it came from and the fix (never the key)."""

    code = ErrorCode.SIGNER_KEY


class AwsError(ActionableError):
    """An AWS call failed (or the environment does not allow making one): the CA, the step and the fix.

    `step` names the step that gave up; `imported` says what is known about the import: True (the CA
    holds it), False (nothing was imported) or None (not an import, or unknown). `server_error`: AWS (or what
    answered) failed with a 5xx, so a write may or may not have happened."""

    def __init__(self, message: str, code: ErrorCode | str = ErrorCode.ERROR, *, step: str = "",
                 imported: bool | None = None, server_error: bool = False):
        super().__init__(message, code)
        self.step = step
        self.imported = imported
        self.server_error = server_error

    @property
    def is_setup(self) -> bool:
        """The machine's AWS set-up is wrong: retrying will not help, the fix is in the message."""
        return self.code in SETUP_CODES

    @property
    def is_ambiguous(self) -> bool:
        """The request may have been carried out although no answer arrived."""
        return self.code in AMBIGUOUS_CODES or self.server_error


class MissingExtra(ActionableError):
    """An optional dependency is not installed: name the pip extra that brings it."""

    code = ErrorCode.MISSING_EXTRA

    def __init__(self, extra: str, module: str, what: str):
        super().__init__(f"{what} needs `{module}`, which is not installed: install `pca-import[{extra}]` "
                         f"(pip install 'pca-import[{extra}]')")
        self.extra = extra

    @property
    def is_setup(self) -> bool:
        return True


class RulesRejected(ActionableError):
    """The certificate is not importable into this CA: nothing was sent. `report` has every finding."""

    code = ErrorCode.RULES

    def __init__(self, message: str, report: Any):
        super().__init__(message)
        self.report = report


class AlreadyHoldsAnother(ActionableError):
    """The CA holds a different certificate and this operation does not replace one."""

    code = ErrorCode.HELD


class OwnedByAnother(ActionableError):
    """The CA carries another owner's `pca-import:owner` tag; `owner` is that tag's value."""

    code = ErrorCode.OWNED

    def __init__(self, message: str, owner: str):
        super().__init__(message)
        self.owner = owner


class ProviderError(ActionableError):
    """A provider failure a person can act on that is not an AWS error (e.g. the signer's key)."""

    code = ErrorCode.PROVIDER
