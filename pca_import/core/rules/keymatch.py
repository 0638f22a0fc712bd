"""Key match rules: the certificate carries the public key of the CA's CSR (GetCertificateAuthorityCsr)."""
from __future__ import annotations

from pca_import.core.facts import Facts, short_name
from pca_import.core.rules.registry import ERROR, WARNING, rule


@rule("KEY001", ERROR, "The certificate's public key is the CA's (its CSR's)",
      "The certificate imported into a CA carries that CA's public key (the key in its CSR from "
      "GetCertificateAuthorityCsr). CertificateMismatchException: the certificate does not match the CA.",
      needs=("certificate", "csr"),
      source="aws-api", aws_exception='CertificateMismatchException')
def key_matches_csr(f: Facts):
    if f.csr_spki is not None and f.certificate.spki is not None and f.certificate.spki != f.csr_spki:
        yield None, (f"{f.certificate.label} carries a different public key than this CA's CSR: it was signed for "
                     "another CSR or key — sign this CA's current CSR (get-certificate-authority-csr) and import "
                     "that certificate"), "certificate"


@rule("KEY002", WARNING, "The certificate's subject is the CSR's",
      "The certificate imported into a CA is signed from that CA's CSR (GetCertificateAuthorityCsr).",
      needs=("certificate", "csr"),
      source="operational", aws_exception=None)
def subject_matches_csr(f: Facts):
    if f.csr_spki is not None and f.certificate.spki != f.csr_spki:
        return  # KEY001: a different key says it all
    if f.csr is not None and f.csr_subject_key != f.certificate.subject_key:
        yield None, (f"the certificate's subject {f.cert.subject.rfc4514_string()!r} differs from the CSR's "
                     f"{f.csr.subject.rfc4514_string()!r}; AWS accepts it when the key matches, but issued "
                     f"certificates will name {short_name(f.cert.subject)} as issuer"), "certificate"


@rule("KEY003", ERROR, "The CSR is readable",
      "Call the GetCertificateAuthorityCsr action to generate a certificate signing request (CSR).",
      needs=("csr",),
      source="aws-api", aws_exception=None)
def csr_readable(f: Facts):
    if f.csr is None:
        yield None, (f"the CSR is not a readable PEM or DER certificate signing request ({f.csr_error}): pass the output of "
                     "`aws acm-pca get-certificate-authority-csr --output text`"), "csr"
