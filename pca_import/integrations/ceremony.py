"""`pca-import sign`: the key ceremony on an air-gapped host.

With the offline CA's key -- a key file, or a key that never leaves KMS or an HSM (`awskms:`, `pkcs11:` URIs)
-- it makes the offline root's self-signed certificate, or signs a Private CA's CSR as a CA certificate
(path length, validity capped at the issuer's expiry). It writes the certificate and the chain that the
hierarchy's `certificateFile`/`chainFile` (or the signer stack) then import. Nothing is written unless the
result passes the same rule engine as `pca-import validate` (against the CSR, with that chain). The key is
read with the signer stack's loader (signer_key.py), so its checks and messages are the same; no key material
or PIN is ever printed.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import sys
import time

from cryptography import x509

from pca_import.core.spec import DEFAULT_VALIDITY_DAYS
from pca_import.core import clock
from pca_import.core.renewal import new_validity
from pca_import.core.validate import validate_import
from pca_import.core.x509build import build_certificate, pem, sign_csr
from pca_import.core.facts import spki_der
from pca_import.errors import UsageError

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class CeremonyError(UsageError):
    """Input the ceremony cannot use; the message names it and the fix (exit 2)."""


def _read_text(path: str, what: str) -> str:
    try:
        with open(path, encoding="utf-8") as fh:
            return fh.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise CeremonyError(f"cannot read {what} {path} ({getattr(exc, 'strerror', None) or exc})") from None


def open_key(spec: str):
    """A private key (from a file) or a RemoteSigner (from an awskms:/pkcs11: URI)."""
    from pca_import.core.key_uri import looks_like_uri
    from pca_import.resources.signer_key import KeySource, load_key, open_remote
    if looks_like_uri(spec) and not os.path.exists(spec):
        return open_remote(spec, "--key")
    return load_key(KeySource("--key", path=spec))


def _subject(text: str) -> x509.Name:
    try:
        name = x509.Name.from_rfc4514_string(text)
    except ValueError as exc:
        raise CeremonyError(f"--subject {text!r} is not an RFC 4514 name ({exc}): write it like "
                            "`CN=Offline Root,O=Example`") from None
    if not name.get_attributes_for_oid(x509.NameOID.COMMON_NAME):
        raise CeremonyError(f"--subject {text!r} has no CN: give the CA a common name, e.g. `CN=Offline Root`")
    return name


def _write(path: str, text: str) -> None:
    if os.path.exists(path):
        raise CeremonyError(f"{path} exists: the ceremony never overwrites a certificate; remove it or choose "
                            "another path")
    with open(path, "x", encoding="utf-8") as fh:
        fh.write(text)


def cmd_sign(args) -> int:
    if bool(args.self_signed) == bool(args.csr):
        raise CeremonyError("give either --self-signed --subject ... (an offline root) or --csr with "
                            "--issuer-certificate (a CA's CSR to sign)")
    if args.days is not None and args.days < 1:
        raise CeremonyError("--days must be 1 or more")
    if args.path_length is not None and args.path_length < 0:
        raise CeremonyError("--path-length must be 0 or more")
    for out in filter(None, (args.out, args.chain_out)):
        if os.path.exists(out):
            raise CeremonyError(f"{out} exists: the ceremony never overwrites a certificate; remove it or choose "
                                "another path")
    key = open_key(args.key)
    now = clock.now()
    csr_pem = chain_pem = None
    capped_note = ""
    if args.self_signed:
        if not args.subject:
            raise CeremonyError("--self-signed needs --subject, e.g. `--subject 'CN=Offline Root,O=Example'`")
        if args.issuer_certificate or args.issuer_chain or args.chain_out:
            raise CeremonyError("a self-signed root has no issuer and no chain: drop --issuer-certificate, "
                                "--issuer-chain and --chain-out")
        subject = _subject(args.subject)
        days = args.days or DEFAULT_VALIDITY_DAYS["ROOT"]
        start = time.perf_counter()
        cert = build_certificate(key.public_key(), subject, subject, key, path_length=args.path_length,
                                 not_before=now - dt.timedelta(minutes=5),
                                 not_after=new_validity(now, days, None).end)
        seconds = time.perf_counter() - start
        ca_type = "ROOT"
    else:
        if not args.issuer_certificate:
            raise CeremonyError("--csr needs --issuer-certificate (the offline CA's certificate, whose key is --key)")
        if args.subject:
            raise CeremonyError("--subject is for --self-signed; a CSR's subject is the CA's own")
        csr_pem = _read_text(args.csr, "the CSR")
        try:
            csr = x509.load_pem_x509_csr(csr_pem.encode())
        except ValueError:
            raise CeremonyError(f"{args.csr} is not a PEM certificate signing request: get it with `aws acm-pca "
                                "get-certificate-authority-csr` (or the PKI stack's `csrs` output)") from None
        issuer_pem = _read_text(args.issuer_certificate, "the issuer certificate")
        try:
            issuer = x509.load_pem_x509_certificate(issuer_pem.encode())
        except ValueError:
            raise CeremonyError(f"{args.issuer_certificate} is not a PEM certificate: give the offline CA's "
                                "certificate") from None
        if spki_der(key.public_key()) != spki_der(issuer.public_key()):
            raise CeremonyError(f"--key is not the key of {args.issuer_certificate} "
                                f"({issuer.subject.rfc4514_string()}): give the matching pair")
        validity = new_validity(now, args.days or DEFAULT_VALIDITY_DAYS["SUBORDINATE"], issuer.not_valid_after_utc)
        if validity.capped:
            capped_note = validity.describe()
        start = time.perf_counter()
        cert = sign_csr(csr, issuer, key, path_length=args.path_length, not_after=validity.end)
        seconds = time.perf_counter() - start
        chain_pem = pem(issuer) + (_read_text(args.issuer_chain, "the issuer chain") if args.issuer_chain else "")
        ca_type = "SUBORDINATE"
    cert_pem = pem(cert)
    report = validate_import(cert_pem, chain_pem, csr=csr_pem, ca_type=ca_type, now=now)
    if not report.ok:
        print(report.to_text(), file=sys.stderr)
        print("pca-import: the signed certificate fails the import rules above: nothing was written",
              file=sys.stderr)
        return EXIT_INVALID
    _write(args.out, cert_pem)
    if args.chain_out and chain_pem:
        _write(args.chain_out, chain_pem)
    summary = {"certificate": args.out, "chain": args.chain_out if chain_pem else None,
               "subject": cert.subject.rfc4514_string(), "issuer": cert.issuer.rfc4514_string(),
               "serial": format(cert.serial_number, "x"), "not_after": cert.not_valid_after_utc.isoformat(),
               "capped": capped_note or None, "signed_by": getattr(key, "name", "key file"),
               "sign_seconds": round(seconds, 4), "warnings": sorted(f.code for f in report.warnings)}
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(f"signed {summary['subject']} (issuer {summary['issuer']}, serial {summary['serial']}, until "
              f"{summary['not_after']}) with {summary['signed_by']} in {seconds * 1000:.1f} ms: {args.out}"
              + (f", chain {args.chain_out}" if args.chain_out and chain_pem else ""))
        if capped_note:
            print(f"note: {capped_note}")
    return EXIT_OK


def add_arguments(p) -> None:
    p.add_argument("--key", required=True, metavar="FILE|URI",
                   help="the offline CA's key: a PEM/DER key file (passphrase from PCA_IMPORT_SIGNER_KEY_PASSPHRASE), "
                        "`awskms:key-id=...` or `pkcs11:token=...;object=...?module-path=...` (PIN from "
                        "PCA_IMPORT_PKCS11_PIN)")
    p.add_argument("--self-signed", action="store_true", help="make the offline root's self-signed certificate")
    p.add_argument("--subject", metavar="DN", help="the root's subject, RFC 4514 (`CN=Offline Root,O=Example`)")
    p.add_argument("--csr", metavar="PATH", help="a CA's CSR to sign (PEM)")
    p.add_argument("--issuer-certificate", metavar="PATH", help="the offline CA's certificate (whose key is --key)")
    p.add_argument("--issuer-chain", metavar="PATH", help="the issuer's own chain, when it is not a root")
    p.add_argument("--path-length", type=int, metavar="N", help="basic constraints pathLenConstraint")
    p.add_argument("--days", type=int, metavar="N",
                   help=f"validity in days (default {DEFAULT_VALIDITY_DAYS['ROOT']} for a root, "
                        f"{DEFAULT_VALIDITY_DAYS['SUBORDINATE']} for a CSR; capped at the issuer's expiry)")
    p.add_argument("--out", required=True, metavar="PATH", help="where to write the certificate (never overwritten)")
    p.add_argument("--chain-out", metavar="PATH", help="where to write the chain to import with it")
    p.add_argument("--json", action="store_true")
    p.set_defaults(fn=cmd_sign)
