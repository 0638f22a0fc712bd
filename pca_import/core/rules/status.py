"""CA status rules: which states accept an imported certificate."""
from __future__ import annotations

from pca_import.core.facts import Facts
from pca_import.core.spec import DISPUTED_STATUSES, FIRST_IMPORT_STATUSES, RENEWAL_STATUSES
from pca_import.core.rules.registry import ERROR, WARNING, rule

_BLOCKED = {
    "CREATING": "the CA is still being created: wait until it is PENDING_CERTIFICATE, then import",
    "DELETED": "the CA is deleted: restore it (restore-certificate-authority) within its restoration period, or "
               "create a new CA",
    "FAILED": "the CA failed to create: delete it and create a new one",
}


@rule("STAT001", ERROR, "The CA's status accepts an import",
      "First install from PENDING_CERTIFICATE; re-import (renewal with the same key) into an ACTIVE or EXPIRED CA "
      "keeps the ARN. (InvalidStateException)", needs=("status",),
      source="aws-api", aws_exception='InvalidStateException')
def status_allows_import(f: Facts):
    s = f.ca_status
    if s in FIRST_IMPORT_STATUSES + RENEWAL_STATUSES + DISPUTED_STATUSES:
        return
    reason = _BLOCKED.get(s, f"`{s}` is not a Private CA status")
    yield None, (f"the CA is {s}, which does not accept a certificate ({reason}); PENDING_CERTIFICATE accepts a "
                 "first import, ACTIVE or EXPIRED a renewal"), "ca"


@rule("STAT002", WARNING, "Re-import into a DISABLED CA",
      "AWS pages disagree on DISABLED: the API lists ACTIVE and EXPIRED for re-import; the user guide also "
      "mentions DISABLED.", needs=("status",),
      source="aws-guide", aws_exception=None)
def status_disabled(f: Facts):
    if f.ca_status == "DISABLED":
        yield None, ("the CA is DISABLED; AWS documents re-import for ACTIVE and EXPIRED CAs and its pages disagree "
                     "on DISABLED — if the import fails with InvalidStateException, enable the CA "
                     "(update-certificate-authority --status ACTIVE) first"), "ca"
