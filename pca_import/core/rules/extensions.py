"""Extension rules: basic constraints, which extensions may be critical, key usage."""
from __future__ import annotations

from cryptography import x509

from pca_import.core.facts import Facts
from pca_import.core.spec import ALLOWED, PROFILE, critical_verdict
from pca_import.core.rules.registry import ERROR, WARNING, rule


@rule("BC001", ERROR, "Basic constraints present",
      "Basic constraints (must be marked critical). Basic constraints must be present, critical and CA=true "
      "(AWS Private CA RFC compliance page).",
      source="aws-guide", aws_exception='MalformedCertificateException')
def bc_present(f: Facts):
    for c in f.with_extensions:
        if c.ext(x509.BasicConstraints) is None:
            yield None, (f"{c.label} has no basic constraints extension, so it is not a CA certificate: re-issue it "
                         "with a critical basicConstraints CA:TRUE (e.g. a CA template or openssl `-extensions v3_ca`)"), c.location


@rule("BC002", ERROR, "Basic constraints marked critical",
      "Basic constraints (must be marked critical).",
      source="aws-api", aws_exception='MalformedCertificateException')
def bc_critical(f: Facts):
    for c in f.with_extensions:
        e = c.ext(x509.BasicConstraints)
        if e is not None and not e.critical:
            yield None, (f"{c.label} has basic constraints that are not marked critical: re-issue it with "
                         "`basicConstraints = critical, CA:TRUE`"), c.location


@rule("BC003", ERROR, "Basic constraints CA=true",
      "Basic constraints must be present, critical and CA=true (AWS Private CA RFC compliance page).",
      source="aws-guide", aws_exception='MalformedCertificateException')
def bc_ca_true(f: Facts):
    for c in f.with_extensions:
        e = c.ext(x509.BasicConstraints)
        if e is not None and not e.value.ca:
            yield None, (f"{c.label} is an end-entity certificate (basic constraints CA=false), not a CA: "
                         "re-issue it as a CA certificate with CA:TRUE"), c.location


@rule("EXT001", ERROR, "No critical extension outside AWS's allowed list",
      "AWS Private CA rejects the following extensions when they are marked critical in an imported CA "
      "certificate or chain: Policy constraints, CRL distribution points, Authority information access, "
      "Freshest CRL, Any other extension.",
      source="aws-api", aws_exception='MalformedCertificateException')
def rejected_critical(f: Facts):
    for c in f.with_extensions:
        for e in c.extensions:
            if not e.critical:
                continue
            name, verdict = critical_verdict(e.oid, "default")  # the profile-dependent ones are EXT002's
            if verdict in (ALLOWED, PROFILE):
                continue
            yield None, (f"{c.label} marks {name} critical, which AWS Private CA rejects: re-issue it with "
                         f"{name} non-critical"), c.location


@rule("EXT002", WARNING, "Name constraints marked critical (spec and current AWS reference disagree)",
      "The spec lists Name constraints among the extensions AWS Private CA rejects when critical; the current "
      "AWS API reference allows it critical, and RFC 5280 4.2.1.10 says a CA MUST mark it critical.",
      profile_severity={"strict": ERROR},
      source="aws-api", aws_exception='MalformedCertificateException')
def name_constraints_critical(f: Facts):
    for c in f.with_extensions:
        e = c.ext(x509.NameConstraints)
        if e is not None and e.critical:
            if f.profile == "strict":
                msg = (f"{c.label} marks name constraints critical, which the spec's list rejects (profile "
                       "`strict`): re-issue it non-critical, or use the default profile that follows the current "
                       "AWS reference")
            else:
                msg = (f"{c.label} marks name constraints critical: the current AWS reference accepts this, but the "
                       "older API page rejected it — if an import fails with MalformedCertificateException, this is "
                       "the first thing to check")
            yield None, msg, c.location


@rule("KU001", ERROR, "Key usage, when present, includes keyCertSign",
      "RFC 5280 4.2.1.3: if the keyUsage extension is present on a CA certificate, keyCertSign MUST be set "
      "(AWS: MalformedCertificateException / CertificateMismatchException).",
      source="rfc5280", aws_exception='MalformedCertificateException')
def key_usage_cert_sign(f: Facts):
    for c in f.with_extensions:
        e = c.ext(x509.KeyUsage)
        if e is not None and not e.value.key_cert_sign:
            yield None, (f"{c.label} has a key usage without keyCertSign, so it may not sign certificates: "
                         "re-issue it with `keyUsage = critical, keyCertSign, cRLSign`"), c.location


KEY_IDENTIFIERS = ((x509.AuthorityKeyIdentifier, "authority key identifier", "4.2.1.1"),
                   (x509.SubjectKeyIdentifier, "subject key identifier", "4.2.1.2"))


@rule("EXT003", WARNING, "Authority and subject key identifiers are not marked critical",
      "RFC 5280 4.2.1.1 (authority key identifier) and 4.2.1.2 (subject key identifier): conforming CAs MUST mark "
      "this extension as non-critical. (AWS Private CA allows both critical; Go's crypto/x509 refuses to parse such "
      "a certificate and openssl verify rejects it as an unhandled critical extension.)",
      source="rfc5280", aws_exception=None)
def key_identifiers_not_critical(f: Facts):
    for c in f.with_extensions:
        for ext_type, name, section in KEY_IDENTIFIERS:
            e = c.ext(ext_type)
            if e is None or not e.critical:
                continue
            yield None, (f"{c.label} marks its {name} critical, which RFC 5280 {section} forbids: AWS Private CA "
                         "imports it, but Go's crypto/x509 refuses to parse the certificate (every Go-based client: "
                         "Kubernetes, Vault, Terraform, most service meshes) and openssl verify rejects the chain "
                         f"(unhandled critical extension) — re-issue {c.location} with the {name} non-critical"), \
                c.location
