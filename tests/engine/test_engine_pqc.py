"""Post-quantum end to end: an ML-DSA root and subordinate from stack config, on the real Pulumi engine (file
backend), this project's program and the local Private CA over HTTP."""
from __future__ import annotations

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import mldsa
from cryptography.x509.oid import SignatureAlgorithmOID

import pca
from pca_import.devtools.local_pulumi import LocalProject, engine_bin

pytestmark = pytest.mark.engine

HIERARCHY = [
    {"name": "pqroot", "type": "ROOT", "keyAlgorithm": "ML_DSA_87",
     "subject": {"commonName": "PQ Root CA", "organization": "Example"}},
    {"name": "pqissuing", "type": "SUBORDINATE", "parent": "pqroot", "keyAlgorithm": "ML_DSA_65",
     "subject": {"commonName": "PQ Issuing CA", "organization": "Example"}},
]


@pytest.fixture(scope="module")
def pqc(tmp_path_factory, emulator_url):
    env = {"AWS_ENDPOINT_URL": emulator_url, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    proj = LocalProject(tmp_path_factory.mktemp("pqc"), engine_bin(), env)
    proj.init_stack("pqc")
    proj.edit_config("pqc", lambda c: c.update({"pca-import:role": "pki", "pca-import:caBackend": "boto3",
                                                "aws:region": "us-east-1", "pca-import:hierarchy": HIERARCHY}))
    proj.up("pqc")
    return proj


def _held(arn: str) -> tuple[x509.Certificate, str | None]:
    got = pca.client().get_certificate_authority_certificate(CertificateAuthorityArn=arn)
    return x509.load_pem_x509_certificate(got["Certificate"].encode()), got.get("CertificateChain")


def test_ml_dsa_root_and_subordinate_are_created_signed_and_imported(pqc):
    cas = pqc.outputs("pqc")["cas"]
    assert {n: c["status"] for n, c in cas.items()} == {"pqroot": "ACTIVE", "pqissuing": "ACTIVE"}
    root, root_chain = _held(cas["pqroot"]["arn"])
    sub, sub_chain = _held(cas["pqissuing"]["arn"])
    assert isinstance(root.public_key(), mldsa.MLDSA87PublicKey) and root_chain is None
    assert isinstance(sub.public_key(), mldsa.MLDSA65PublicKey)
    assert root.signature_algorithm_oid == sub.signature_algorithm_oid == SignatureAlgorithmOID.ML_DSA_87
    sub.verify_directly_issued_by(root)
    assert x509.load_pem_x509_certificate(sub_chain.encode()) == root
    assert cas["pqissuing"]["signed_by"].startswith("pqroot")


def test_ml_dsa_hierarchy_converges(pqc):
    pqc.pulumi("preview", "--expect-no-changes", stack="pqc")
    pqc.pulumi("refresh", "--yes", "--expect-no-changes", "--skip-preview", stack="pqc")
