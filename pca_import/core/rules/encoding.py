"""Encoding rules: the certificate is one PEM CERTIFICATE block, the chain is PEM, no keys, no DER."""
from __future__ import annotations

from pca_import.core.pem import PRIVATE_KEY_LABELS, split_pem
from pca_import.core.rules.registry import ERROR, NOTICE, rule
from pca_import.core.unreadable import why_unreadable

_CONVERT = {
    "certificate": "openssl x509 -inform der -in certificate.der -out certificate.pem",
    "chain": "openssl pkcs7 -inform der -in chain.p7b -print_certs -out chain.pem "
             "(or, for one DER certificate, openssl x509 -inform der -in chain.der -out chain.pem)",
}


def _docs(f):
    yield "certificate", f.certificate_doc
    if f.chain_given:
        yield "chain", f.chain_doc


@rule("ENC001", ERROR, "The certificate is present",
      "Certificate (bytes) – The PEM-encoded certificate for a private CA.",
      source="aws-api", aws_exception='MalformedCertificateException')
def certificate_present(f):
    if f.certificate_doc.empty:
        yield None, "no certificate was given: pass the PEM-encoded CA certificate signed for this CA's CSR", "certificate"


@rule("ENC002", ERROR, "Input is PEM, not DER",
      "The chain must be PEM-encoded. / Certificate (bytes) – The PEM-encoded certificate for a private CA.",
      source="aws-api", aws_exception='MalformedCertificateException')
def not_der(f):
    for where, doc in _docs(f):
        if doc.looks_like_der:
            if doc.key_hint:
                continue  # a DER private key: ENC004 says what it is
            yield None, f"{where} is DER (binary), not PEM — convert with `{_CONVERT[where]}`", where


@rule("ENC003", ERROR, "The certificate is exactly one PEM CERTIFICATE block",
      "Certificate (bytes) – The PEM-encoded certificate for a private CA.",
      source="aws-api", aws_exception='MalformedCertificateException')
def one_certificate_block(f):
    doc = f.certificate_doc
    if doc.empty or doc.looks_like_der:
        return
    n = len(doc.certificate_ders)
    if n == 0 and not doc.blocks:
        yield None, ("certificate holds no PEM block (expected `-----BEGIN CERTIFICATE-----`): "
                     "pass the PEM file of the CA certificate"), "certificate"
    elif n > 1:
        yield None, (f"certificate holds {n} CERTIFICATE blocks; it must hold only the CA certificate — "
                     "move the issuer certificates to the certificate chain"), "certificate"


@rule("ENC004", ERROR, "No private key anywhere in the input",
      "Certificate (bytes) – The PEM-encoded certificate for a private CA. CertificateChain (bytes) – "
      "A PEM-encoded file that contains all of your certificates.",
      source="aws-api", aws_exception='MalformedCertificateException')
def no_private_key(f):
    advice = ("only certificates are imported, and a key in an input may end up in state or version control; "
              "rotate that key if it was committed")
    for where, doc in _docs(f):
        for b in doc.blocks:
            if b.label in PRIVATE_KEY_LABELS or "PRIVATE KEY" in b.label:
                yield None, (f"{where} contains a private key (PEM block {b.index}, `{b.label}`): remove it — "
                             f"{advice}"), f"{where} block {b.index}"
        if doc.key_hint:
            yield None, f"{where} holds private key material: {doc.key_hint} — remove it; {advice}", where
    if f.csr_bytes:
        csr_doc = split_pem(f.csr_bytes)
        hint = csr_doc.key_hint or next((f"PEM block {b.index} is `{b.label}`" for b in csr_doc.blocks
                                         if "PRIVATE KEY" in b.label), None)
        if hint:
            yield None, f"the CSR input holds private key material ({hint}): pass the CSR alone — {advice}", "csr"


@rule("ENC005", ERROR, "Only CERTIFICATE PEM blocks",
      "The chain must be PEM-encoded. (A chain is certificates only.)",
      source="aws-api", aws_exception='MalformedCertificateException')
def only_certificate_blocks(f):
    hints = {"PKCS7": "expand it with `openssl pkcs7 -print_certs -in chain.p7b`",
             "CERTIFICATE REQUEST": "that is the CSR: sign it and pass the resulting certificate",
             "NEW CERTIFICATE REQUEST": "that is the CSR: sign it and pass the resulting certificate",
             "TRUSTED CERTIFICATE": "re-export it as plain PEM with `openssl x509 -in in.pem -out out.pem`"}
    for where, doc in _docs(f):
        for b in doc.blocks:
            if b.label == "CERTIFICATE" or "PRIVATE KEY" in b.label:
                continue
            hint = hints.get(b.label, "remove it")
            yield None, f"{where} PEM block {b.index} is `{b.label}`, not `CERTIFICATE`: {hint}", f"{where} block {b.index}"


@rule("ENC006", NOTICE, "Text outside PEM blocks is ignored",
      "The chain must be PEM-encoded. (pca-import sends only the canonical PEM blocks.)",
      source="operational", aws_exception=None)
def stray_text(f):
    for where, doc in _docs(f):
        if doc.stray_text and doc.blocks:
            yield None, (f"{where} has text outside its PEM blocks (e.g. `openssl x509 -text` output or comments): "
                         "pca-import sends only the canonical PEM, but a tool that sends the text as given "
                         "(Terraform) sends it too — remove it"), where


@rule("ENC007", ERROR, "Every CERTIFICATE block is a parsable X.509 certificate",
      "MalformedCertificateException: One or more fields in the certificate are invalid.",
      source="aws-api", aws_exception='MalformedCertificateException')
def parsable(f):
    for c in f.path:
        if c.parse_error:
            yield None, (f"{c.location} is not a readable X.509 certificate ({c.parse_error}); "
                         "re-export it from its issuer"), c.location
        else:
            if c.extension_error:
                try:
                    reasons = why_unreadable(c.der, c.cert.tbs_certificate_bytes) if c.der else []
                except Exception:  # noqa: BLE001 - the diagnosis is a courtesy: cryptography's own reason stands
                    reasons = []
                why = "; ".join(reasons) if reasons else c.extension_error
                yield None, (f"{c.label} has extensions that cannot be read — {why} — so the extension rules could "
                             "not check it: re-issue it with that extension corrected"), c.location
            if c.key_error and not (c.ca_key is not None and c.ca_key.algorithm == "SM2"):
                # an SM2 key (which a Private CA can hold) is one cryptography cannot load: its signatures go
                # unchecked (SIG002 says so), it is not an unreadable key
                yield None, (f"{c.label} has a public key that cannot be read ({c.key_error}): re-issue it with an "
                             "RSA, EC, Ed25519 or ML-DSA key"), c.location


@rule("ENC008", ERROR, "The chain holds at least one certificate when given",
      "The chain must be PEM-encoded.",
      source="aws-api", aws_exception='MalformedCertificateException')
def chain_has_certificates(f):
    doc = f.chain_doc
    if f.chain_given and not doc.looks_like_der and not doc.certificate_ders:
        yield None, ("certificate chain holds no `-----BEGIN CERTIFICATE-----` block: pass the issuer "
                     "certificates in PEM, issuer first and root last"), "chain"
