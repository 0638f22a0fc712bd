"""Run inside a fresh virtualenv that has only the built wheel (tests/test_install.py): what a user of each extra
does first. Stand-alone on purpose: it imports nothing from this checkout, only the installed package.

    python install_smoke.py typed                  the wheel ships py.typed beside the package
    python install_smoke.py emulator URL OUTDIR    boto3 against a running emulator: create, describe, issue,
                                                   import a root and a subordinate; PEM files for the CLI
    python install_smoke.py provider URL           CaCertificateImport's provider: check, then create, into a
                                                   CA of the emulator (no Pulumi engine: the provider object)

Each prints one JSON line of what it saw; any failure is a traceback and a non-zero exit.
"""
from __future__ import annotations

import json
import os
import pathlib
import sys

ROOT = "arn:aws:acm-pca:::template/RootCACertificate/V1"
SUB0 = "arn:aws:acm-pca:::template/SubordinateCACertificate_PathLen0/V1"
ENV = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "testing",
       "AWS_SECRET_ACCESS_KEY": "testing"}


def typed() -> dict:
    import pca_import
    return {"py_typed": (pathlib.Path(pca_import.__file__).parent / "py.typed").is_file(),
            "from": str(pathlib.Path(pca_import.__file__).parent)}


def _client(url: str):
    import boto3
    os.environ.update(ENV, AWS_ENDPOINT_URL=url)
    return boto3.client("acm-pca")


def _create(c, ca_type: str, cn: str) -> tuple[str, str]:
    arn = c.create_certificate_authority(
        CertificateAuthorityConfiguration={"KeyAlgorithm": "EC_prime256v1", "SigningAlgorithm": "SHA256WITHECDSA",
                                           "Subject": {"CommonName": cn}},
        CertificateAuthorityType=ca_type)["CertificateAuthorityArn"]
    return arn, c.get_certificate_authority_csr(CertificateAuthorityArn=arn)["Csr"]


def _issue(c, issuer: str, csr: str, template: str, days: int) -> tuple[str, str | None]:
    cert_arn = c.issue_certificate(CertificateAuthorityArn=issuer, Csr=csr.encode(), SigningAlgorithm="SHA256WITHECDSA",
                                   TemplateArn=template, Validity={"Type": "DAYS", "Value": days})["CertificateArn"]
    got = c.get_certificate(CertificateAuthorityArn=issuer, CertificateArn=cert_arn)
    return got["Certificate"], got.get("CertificateChain")


def emulator(url: str, outdir: str) -> dict:
    c = _client(url)
    root, root_csr = _create(c, "ROOT", "Install Smoke Root")
    before = c.describe_certificate_authority(CertificateAuthorityArn=root)["CertificateAuthority"]["Status"]
    root_cert, _ = _issue(c, root, root_csr, ROOT, 3650)
    c.import_certificate_authority_certificate(CertificateAuthorityArn=root, Certificate=root_cert.encode())
    sub, sub_csr = _create(c, "SUBORDINATE", "Install Smoke Issuing")
    sub_cert, sub_chain = _issue(c, root, sub_csr, SUB0, 365)
    c.import_certificate_authority_certificate(CertificateAuthorityArn=sub, Certificate=sub_cert.encode(),
                                               CertificateChain=sub_chain.encode())
    described = {arn: c.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]
                 for arn in (root, sub)}
    # a second subordinate, not imported: the CLI (pca-import[aws]) imports into it
    cli_sub, cli_csr = _create(c, "SUBORDINATE", "Install Smoke CLI")
    cli_cert, cli_chain = _issue(c, root, cli_csr, SUB0, 200)
    out = pathlib.Path(outdir)
    (out / "cli_cert.pem").write_text(cli_cert)
    (out / "cli_chain.pem").write_text(cli_chain)
    return {"root": root, "sub": sub, "cli_sub": cli_sub, "status_before": before,
            "status": {arn: d["Status"] for arn, d in described.items()},
            "not_after": {arn: d.get("NotAfter") is not None for arn, d in described.items()},
            "listed": len(c.list_certificate_authorities()["CertificateAuthorities"])}


def provider(url: str) -> dict:
    import pca_import
    from pca_import.provider import CaCertificateImportProvider
    c = _client(url)
    root, root_csr = _create(c, "ROOT", "Install Smoke Provider Root")
    cert, _ = _issue(c, root, root_csr, ROOT, 3650)
    p = CaCertificateImportProvider()
    props = {"certificate_authority_arn": root, "certificate": cert, "certificate_chain": None}
    failures = p.check({}, props).failures
    bad = p.check({}, {**props, "certificate": cert.replace("BEGIN CERTIFICATE", "BEGIN CERTIFICAT")}).failures
    result = p.create(props)
    status = c.describe_certificate_authority(CertificateAuthorityArn=root)["CertificateAuthority"]["Status"]
    return {"resource_class": pca_import.CaCertificateImport.__name__, "check_failures": len(failures),
            "bad_check_failures": len(bad), "id": result.id, "outs_status": result.outs.get("status"),
            "status": status, "arn": root}


if __name__ == "__main__":
    what, args = sys.argv[1], sys.argv[2:]
    print(json.dumps({"typed": typed, "emulator": emulator, "provider": provider}[what](*args)))
