"""The pulumi-aws path (caBackend: pulumi-aws), with Pulumi's mocks: the aws plugin cannot run here.

Checks what the program registers: aws.acmpca.CertificateAuthority per CA, aws.acmpca.Certificate with the
right template and signing algorithm for PCA-signed CAs, and a CaCertificateImport wired to their outputs.
"""
from __future__ import annotations

import pulumi
import pytest

from certfactory import ca
from pca_import.core.x509build import make_csr, name, pem

REGISTERED: list = []
CALLS: list = []
ROOT = ca("Mock Root")
PASTED = ca("Pasted CA", ROOT)
ADOPTED_ARN = "arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/adopted"
ADOPTED_CSR = pem(make_csr(PASTED.key, name("Adopted CA")))


class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        REGISTERED.append((args.typ, args.name, dict(args.inputs)))
        outs = dict(args.inputs)
        if args.typ == "aws:acmpca/certificateAuthority:CertificateAuthority":
            outs["arn"] = f"arn:aws:acm-pca:us-east-1:111122223333:certificate-authority/{args.name}"
            outs["certificateSigningRequest"] = pem(make_csr(ROOT.key, name(args.name)))
        if args.typ == "aws:acmpca/certificate:Certificate":
            outs["certificate"] = ROOT.pem
            outs["certificateChain"] = ROOT.pem
        return f"{args.name}-id", outs

    def call(self, args: pulumi.runtime.MockCallArgs):
        CALLS.append((args.token, dict(args.args)))
        if args.token == "aws:acmpca/getCertificateAuthority:getCertificateAuthority":
            return {"arn": args.args["arn"], "certificateSigningRequest": ADOPTED_CSR}
        return {}


@pytest.fixture(scope="module")
def program():
    import asyncio
    asyncio.set_event_loop(asyncio.new_event_loop())  # an earlier test's asyncio.run() may have left none
    pulumi.runtime.set_mocks(Mocks(), preview=False)
    from pca_import.resources.hierarchy.program import build_pki, parse_hierarchy
    nodes = parse_hierarchy([
        {"name": "root", "type": "ROOT", "keyAlgorithm": "EC_secp384r1"},
        {"name": "issuing", "type": "SUBORDINATE", "parent": "root", "keyAlgorithm": "RSA_2048", "enabled": False},
        {"name": "pasted", "type": "SUBORDINATE", "signer": "external", "certificate": PASTED.pem,
         "certificateChain": ROOT.pem},
        {"name": "adopted", "type": "SUBORDINATE", "signer": "external", "arn": ADOPTED_ARN}])
    results = build_pki(nodes, backend="pulumi-aws")
    return results


@pulumi.runtime.test
def test_pulumi_aws_resources_are_registered(program):
    def check(_):
        types = [(t, n) for t, n, _ in REGISTERED]
        assert ("aws:acmpca/certificateAuthority:CertificateAuthority", "root-ca") in types
        assert ("aws:acmpca/certificateAuthority:CertificateAuthority", "issuing-ca") in types
        issued = {n: i for t, n, i in REGISTERED if t == "aws:acmpca/certificate:Certificate"}
        assert "root-issued" in issued, types
        assert issued["root-issued"]["templateArn"].endswith("RootCACertificate/V1")
        assert issued["issuing-issued"]["templateArn"].endswith("SubordinateCACertificate_PathLen0/V1")
        # the parent's key (EC P-384) decides the signing algorithm, not the child's (RSA)
        assert issued["issuing-issued"]["signingAlgorithm"] == "SHA384WITHECDSA"
        assert issued["root-issued"]["certificateAuthorityArn"].endswith("/root-ca")
        imports = {n: i for t, n, i in REGISTERED if t == "pulumi-python:dynamic/pca_import:CaCertificateImport"}
        assert imports["issuing-cert"]["certificate_authority_arn"].endswith("/issuing-ca")
        assert "BEGIN CERTIFICATE" in imports["root-cert"]["certificate"]
        # the manual path in config: the pasted PEM is what gets imported, nothing is issued for it
        assert imports["pasted-cert"]["certificate"] == PASTED.pem
        assert imports["pasted-cert"]["certificate_chain"] == ROOT.pem
        assert "pasted-issued" not in issued
        # an adopted CA (by ARN) is read with the pulumi-aws invoke, not created
        assert ("aws:acmpca/getCertificateAuthority:getCertificateAuthority", {"arn": ADOPTED_ARN}) in CALLS
        assert "adopted-ca" not in {n for _, n, _ in REGISTERED}
        ca_inputs = next(i for t, n, i in REGISTERED if n == "root-ca")
        cfg = ca_inputs["certificateAuthorityConfiguration"]
        assert cfg["keyAlgorithm"] == "EC_secp384r1" and cfg["subject"]["commonName"] == "root"
        # the declared state goes to both resources that manage a CA's status, so they never fight
        issuing_ca = next(i for t, n, i in REGISTERED if n == "issuing-ca")
        assert issuing_ca["enabled"] is False and imports["issuing-cert"]["enabled"] is False
        assert ca_inputs["enabled"] is True and imports["root-cert"]["enabled"] is True

    def check_adopted(csr):
        assert csr == ADOPTED_CSR  # exported for the external signer, awaiting its certificate
        assert program["adopted"]["status"] == "AWAITING_CERTIFICATE"

    return pulumi.Output.all(program["issuing"]["status"], program["root"]["status"],
                             program["pasted"]["status"], program["adopted"]["csr"].apply(check_adopted)
                             ).apply(check)
