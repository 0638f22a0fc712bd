"""What a CA resource asks Private CA for, checked before anything is sent (at `pulumi preview`).

Pure: settings in, a list of (field, message with the fix) out. The CA resources' `check` turn each into a
failure; the hierarchy's schema checks the same facts for stack config. A value not known yet is skipped by the
caller (pass only known values).
"""
from __future__ import annotations

from typing import Any, Mapping

from pca_import.core.schema import camel
from pca_import.core.spec import (CA_TYPES, KEY_ALGORITHMS, MAX_VALIDITY_DAYS, ROOT_TEMPLATE, SUBJECT_MAX_LENGTHS,
                                  SUBORDINATE_TEMPLATES, allowed_signing_algorithms)

Problem = tuple[str, str]  # (field, what is wrong and the fix)


def ca_problems(ca_type: Any = None, key_algorithm: Any = None, subject: Any = None) -> list[Problem]:
    """A new CA's type, key algorithm and subject (the config names: commonName, organization, …)."""
    out: list[Problem] = []
    if ca_type is not None and ca_type not in CA_TYPES:
        out.append(("ca_type", f"{ca_type!r} is not a CA type: use ROOT or SUBORDINATE"))
    if key_algorithm is not None and key_algorithm not in KEY_ALGORITHMS:
        out.append(("key_algorithm", f"{key_algorithm!r} is not a Private CA key algorithm: use one of "
                                     f"{', '.join(KEY_ALGORITHMS)}"))
    if subject is not None:
        out += subject_problems(subject)
    return out


def subject_problems(subject: Any) -> list[Problem]:
    if not isinstance(subject, Mapping):
        return [("subject", f"must be a mapping such as {{'commonName': 'Example Root CA'}}, not "
                            f"{type(subject).__name__}")]
    out: list[Problem] = []
    for key, value in subject.items():
        if key not in SUBJECT_MAX_LENGTHS:
            hint = camel(key) if camel(key) in SUBJECT_MAX_LENGTHS else None
            out.append((f"subject.{key}", "is not a subject attribute pca-import sets: "
                        + (f"use `{hint}`" if hint else f"use one of {', '.join(SUBJECT_MAX_LENGTHS)}")))
        elif not isinstance(value, str) or not value:
            out.append((f"subject.{key}", f"must be non-empty text, not {value!r}"))
        elif len(value) > SUBJECT_MAX_LENGTHS[key]:
            out.append((f"subject.{key}", f"is {len(value)} characters; Private CA allows at most "
                                          f"{SUBJECT_MAX_LENGTHS[key]}: shorten it"))
        elif key == "country" and not value.isalpha():
            out.append(("subject.country", f"{value!r} is not a two-letter country code: use e.g. 'NO'"))
    if "commonName" not in subject:
        out.append(("subject.commonName", "is required: add `commonName`, e.g. {'commonName': 'Example Root CA'}"))
    return out


def issue_problems(template_arn: Any = None, signing_algorithm: Any = None, validity_days: Any = None,
                   issuer_key_algorithm: Any = None) -> list[Problem]:
    """An IssueCertificate of a CA certificate: template, signing algorithm (of the issuer's key), validity."""
    out: list[Problem] = []
    templates = (ROOT_TEMPLATE, *SUBORDINATE_TEMPLATES.values())
    if template_arn is not None and template_arn not in templates:
        out.append(("template_arn", f"{template_arn!r} is not a CA certificate template: use {ROOT_TEMPLATE} for a "
                                    "root or SubordinateCACertificate_PathLen0..3/V1 for a subordinate"))
    if signing_algorithm is not None and issuer_key_algorithm in KEY_ALGORITHMS:
        allowed = allowed_signing_algorithms(issuer_key_algorithm)
        if signing_algorithm not in allowed:
            out.append(("signing_algorithm", f"{signing_algorithm!r} cannot sign with the issuer's "
                                             f"{issuer_key_algorithm} key: use one of {', '.join(allowed)}"))
    if validity_days is not None and (isinstance(validity_days, bool) or not isinstance(validity_days, (int, float))
                                      or int(validity_days) != validity_days
                                      or not 1 <= validity_days <= MAX_VALIDITY_DAYS):
        out.append(("validity_days", f"must be a whole number of days from 1 to {MAX_VALIDITY_DAYS}, not "
                                     f"{validity_days!r}"))
    return out


