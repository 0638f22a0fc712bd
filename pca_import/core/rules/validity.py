"""Validity rules: dates of the certificate and of every chain certificate."""
from __future__ import annotations

import datetime as dt

from pca_import.core.expiry import expiring
from pca_import.core.facts import Facts
from pca_import.core.rules.registry import ERROR, WARNING, rule



@rule("VAL001", ERROR, "Not expired",
      "A CA certificate must be valid to be imported (AWS rejects expired certificates with "
      "MalformedCertificateException / CertificateMismatchException).",
      source="aws-guide", aws_exception='CertificateMismatchException')
def not_expired(f: Facts):
    for c in f.parsed_path:
        if c.not_after() < f.now:
            yield None, (f"{c.label} expired on {c.not_after():%Y-%m-%d %H:%M} UTC: renew it (same CSR, new "
                         "validity) before importing"), c.location


@rule("VAL002", ERROR, "Already valid",
      "A CA certificate must be valid to be imported (notBefore in the past).",
      source="aws-guide", aws_exception='CertificateMismatchException')
def already_valid(f: Facts):
    for c in f.parsed_path:
        if c.not_before() > f.now:
            yield None, (f"{c.label} is not valid until {c.not_before():%Y-%m-%d %H:%M} UTC: wait, or re-issue it "
                         "with a notBefore in the past (check the signer's clock)"), c.location


@rule("VAL003", WARNING, "Not expiring soon",
      "Operational: a CA certificate close to expiry should be renewed (expiry_warning_days, default 30).",
      source="operational", aws_exception=None)
def expiring_soon(f: Facts):
    path = [(c.label, c.location, c.not_after()) for c in f.parsed_path]
    for message, location in expiring(path, f.now, f.expiry_warning_days):
        yield None, message, location


@rule("VAL004", WARNING, "Does not outlive its issuer",
      "RFC 5280 6.1: a certificate is only usable while every certificate above it is valid.",
      needs=("certificate",),
      source="rfc5280", aws_exception=None)
def outlives_issuer(f: Facts):
    # compare each certificate with its real issuer: the working order when the chain is out of order
    path = f.issuer_path or []
    for child, parent in zip(path, path[1:]):
        if child.not_after() - parent.not_after() >= dt.timedelta(days=1):  # seconds of overlap are not a plan
            yield None, (f"{child.label} is valid until {child.not_after():%Y-%m-%d}, after its issuer "
                         f"{parent.label} expires on {parent.not_after():%Y-%m-%d}: certificates will stop "
                         "validating when the issuer expires"), child.location
