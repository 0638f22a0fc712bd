"""A hierarchy across regions: per-CA `region`, every call for a CA in the region its ARN names, and the
emulator serving each region separately."""
from __future__ import annotations

import boto3
import pytest

import pca
from pca_import.aws.client import PrivateCa, Settings, region_of
from pca_import.core.spec import SUBORDINATE_TEMPLATES, default_signing_algorithm
from pca_import.resources.ca import IssuedCaCertificateProvider, PrivateCaProvider
from pca_import.resources.hierarchy.program import HierarchyError, parse_hierarchy
from pca_import.resources.ca_import import CaCertificateImportProvider

EU = "eu-west-1"


def test_region_of_an_arn():
    assert region_of("arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/abc") == EU
    assert region_of("not an arn") is None and region_of(None) is None


def test_calls_for_a_ca_go_to_its_region_and_a_missing_region_stays_a_set_up_error():
    pca_ = PrivateCa(Settings(region="us-east-1"))
    assert pca_.for_arn("arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/abc").settings.region == EU
    assert pca_.in_region(None) is pca_
    assert PrivateCa(Settings()).for_arn("arn:aws:acm-pca:eu-west-1:1:certificate-authority/a").settings.region is None


def test_region_in_the_hierarchy_config():
    nodes = {n.name: n for n in parse_hierarchy([
        {"name": "root", "type": "ROOT"}, {"name": "eu", "type": "SUBORDINATE", "parent": "root", "region": EU}])}
    assert nodes["root"].region is None and nodes["eu"].region == EU
    with pytest.raises(HierarchyError,
                       match=r"\(eu\)\.region: is not in the expected form \(got 'Europe'\): use an AWS region name"):
        parse_hierarchy([{"name": "root", "type": "ROOT"},
                         {"name": "eu", "type": "SUBORDINATE", "parent": "root", "region": "Europe"}])
    with pytest.raises(HierarchyError, match="is not the region of `arn`"):
        parse_hierarchy([{"name": "a", "type": "SUBORDINATE", "signer": "external", "region": EU,
                          "arn": "arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/abc"}])


def test_a_subordinate_in_another_region_is_created_issued_and_imported_there(emulator_url):
    root_arn, root_cert = pca.pca_root("Region Root")
    pca.import_raw(root_arn, root_cert)
    ca = PrivateCaProvider().create({"ca_type": "SUBORDINATE", "key_algorithm": "EC_prime256v1",
                                     "subject": {"commonName": "EU Sub"}, "region": EU})
    arn = ca.id
    assert region_of(arn) == EU and region_of(root_arn) == "us-east-1"
    eu = boto3.client("acm-pca", region_name=EU)
    assert eu.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]["Status"] == \
        "PENDING_CERTIFICATE"
    with pytest.raises(Exception, match="ResourceNotFound"):  # the emulator serves each region separately
        pca.client().describe_certificate_authority(CertificateAuthorityArn=arn)
    issued = IssuedCaCertificateProvider().create({
        "issuer_arn": root_arn, "csr": ca.outs["csr"], "template_arn": SUBORDINATE_TEMPLATES[0],
        "signing_algorithm": default_signing_algorithm("EC_prime256v1"), "validity_days": 365,
        "renew_before_days": 30, "issuer_chain": root_cert, "ca_name": "eu"}).outs
    CaCertificateImportProvider().create({"certificate_authority_arn": arn, "certificate": issued["certificate"],
                                          "certificate_chain": issued["certificate_chain"]})
    assert eu.describe_certificate_authority(CertificateAuthorityArn=arn)["CertificateAuthority"]["Status"] == "ACTIVE"
