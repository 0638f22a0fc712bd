"""The settings of one CA certificate import, checked and defaulted once, where they enter.

Pure: the resource, the provider, the hierarchy and the CLI all build an `ImportOptions` with
`from_props` and read it, so a default (or a deliberate 0) means the same thing everywhere.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from pca_import.core.spec import DEFAULT_EXPIRY_WARNING_DAYS, DEFAULT_PROFILE, MAX_WARNING_DAYS, PROFILES  # noqa: F401

ON_DELETE = ("retain", "disable")
DEFAULT_ON_DELETE = "retain"
SETTINGS = ("rule_profile", "on_delete", "expiry_warning_days", "adopt_owned_by", "enabled")


@dataclass(frozen=True)
class ImportOptions:
    rule_profile: str = DEFAULT_PROFILE
    on_delete: str = DEFAULT_ON_DELETE
    expiry_warning_days: int = DEFAULT_EXPIRY_WARNING_DAYS
    adopt_owned_by: str | None = None
    enabled: bool = True  # the CA's declared state: ACTIVE (True) or DISABLED (False), as pulumi-aws's `enabled`

    @property
    def wanted_status(self) -> str:
        """The Private CA status this declaration asks for."""
        return "ACTIVE" if self.enabled else "DISABLED"

    @classmethod
    def from_props(cls, props: Mapping[str, Any], is_unknown=lambda v: False
                   ) -> tuple["ImportOptions", list[tuple[str, str]]]:
        """The options in `props` (None or absent: the default), and every problem as (property, message).

        A value `is_unknown` says is not known yet (preview) takes the default, silently. A wrong value
        is reported and replaced by the default, so the caller can still check the rest."""
        problems: list[tuple[str, str]] = []

        def get(key):
            v = props.get(key)
            return None if v is None or is_unknown(v) else v

        profile = get("rule_profile")
        if profile is None:
            profile = DEFAULT_PROFILE
        elif profile not in PROFILES:
            problems.append(("rule_profile", f"unknown rule profile {profile!r}: use {' or '.join(PROFILES)}"))
            profile = DEFAULT_PROFILE
        on_delete = get("on_delete")
        if on_delete is None:
            on_delete = DEFAULT_ON_DELETE
        elif on_delete not in ON_DELETE:
            problems.append(("on_delete", f"on_delete must be 'retain' or 'disable', not {on_delete!r}"))
            on_delete = DEFAULT_ON_DELETE
        days = get("expiry_warning_days")
        if days is None:
            days = DEFAULT_EXPIRY_WARNING_DAYS
        elif (isinstance(days, bool) or not isinstance(days, (int, float)) or days != days
              or not 0 <= days <= MAX_WARNING_DAYS or int(days) != days):
            problems.append(("expiry_warning_days", f"expiry_warning_days must be a whole number of days from 0 "
                                                    f"to {MAX_WARNING_DAYS}, not {days!r}"))
            days = DEFAULT_EXPIRY_WARNING_DAYS
        adopt = get("adopt_owned_by")
        if adopt is not None and (not isinstance(adopt, str) or not adopt.strip()):
            problems.append(("adopt_owned_by", "adopt_owned_by must be the owner to take the CA over from, "
                                               "as `project/stack/resource` (the CA's pca-import:owner tag)"))
            adopt = None
        enabled = get("enabled")
        if enabled is None:
            enabled = True
        elif not isinstance(enabled, bool):
            problems.append(("enabled", f"enabled must be true or false (the CA's declared state: ACTIVE or "
                                        f"DISABLED), not {enabled!r}"))
            enabled = True
        return cls(profile, on_delete, int(days), adopt, enabled), problems

    def as_props(self) -> dict[str, Any]:
        """The settings as resource inputs/outputs, defaults filled in."""
        return {"rule_profile": self.rule_profile, "on_delete": self.on_delete,
                "expiry_warning_days": self.expiry_warning_days, "adopt_owned_by": self.adopt_owned_by,
                "enabled": self.enabled}
