"""Key rules: the certificate carries the public key of the CA's CSR (GetCertificateAuthorityCsr), and that key is
one a Private CA can hold."""
from __future__ import annotations

from pca_import.core.facts import Facts, short_name
from pca_import.core.rules.registry import ERROR, WARNING, rule
from pca_import.core.spec import KEY_ALGORITHMS


@rule("KEY001", ERROR, "The certificate's public key is the CA's (its CSR's)",
      "The certificate imported into a CA carries that CA's public key (the key in its CSR from "
      "GetCertificateAuthorityCsr). CertificateMismatchException: the certificate does not match the CA.",
      needs=("certificate", "csr"),
      source="aws-api", aws_exception='CertificateMismatchException')
def key_matches_csr(f: Facts):
    if f.csr_spki is not None and f.certificate.spki is not None and f.certificate.spki != f.csr_spki:
        yield None, (f"{f.certificate.label} carries a different public key than this CA's CSR{_algorithms(f)}: it "
                     "was signed for another CSR or key — sign this CA's current CSR (get-certificate-authority-csr) "
                     "and import that certificate"), "certificate"


def _algorithms(f: Facts) -> str:
    """` (the certificate's key is EC_prime256v1, the CSR's RSA_2048)` when the two keys differ in algorithm."""
    from pca_import.core.keys import ca_key_of_spki
    try:
        mine, theirs = f.certificate.ca_key, ca_key_of_spki(f.csr_spki)
    except Exception:  # noqa: BLE001 - the names are a courtesy; the finding stands without them
        return ""
    if mine is None or mine.algorithm == theirs.algorithm:
        return ""
    return (f" (the certificate's key is {mine.algorithm or mine.described}, the CSR's "
            f"{theirs.algorithm or theirs.described})")


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


@rule("KEY004", ERROR, "The certificate's public key is one a Private CA can hold",
      "KeyAlgorithm (CreateCertificateAuthority): RSA_2048 | RSA_3072 | RSA_4096 | EC_prime256v1 | EC_secp384r1 | "
      "EC_secp521r1 | SM2 | ML_DSA_44 | ML_DSA_65 | ML_DSA_87. The certificate imported into a CA carries that CA's "
      "public key (the key in its CSR from GetCertificateAuthorityCsr).",
      needs=("certificate",),
      source="aws-api", aws_exception="CertificateMismatchException")
def key_is_a_ca_key(f: Facts):
    """Checked with or without a CSR: the imported certificate carries its CA's own key, so a key no Private CA can
    hold is never importable. Chain certificates are not checked (their keys belong to the issuers)."""
    c = f.certificate
    k = c.ca_key
    if k is None:
        return  # the public key's DER is unreadable: ENC007
    if k.algorithm is None:
        yield None, (f"{c.label}'s public key is {k.described}, which corresponds to no Private CA key algorithm "
                     f"(KeyAlgorithm: none); a Private CA's key is one of {', '.join(KEY_ALGORITHMS)}, so no CA can "
                     "hold this certificate — create the CA with one of those key algorithms and have its CSR "
                     "signed"), "certificate"
