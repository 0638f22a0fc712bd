"""The policy pack (policy/) on the real engine: `pulumi preview --policy-pack policy`, run by the project's
language host (RunPlugin) with the pack's own virtualenv, on a program with a file backend.

STAND-IN, FOR THIS TEST ALONE: the aws resource plugin cannot be obtained here, so `pulumi-resource-aws` is
tests/aws_standin.py, which answers only the calls a preview makes (GetPluginInfo, CheckConfig, Configure, and
Check, which echoes the inputs back). It validates nothing: every finding below comes from the policy pack. The program is written with the real pulumi_aws SDK.
"""
from __future__ import annotations

import pytest

from certfactory import ca, chain
from policy_project import FLAT_PROGRAM, POLICY_PACK, PROGRAM, PolicyProject, ensure_policy_venv, violations

pytestmark = pytest.mark.engine

AWS = "aws:acmpca:CertificateAuthorityCertificate"
OURS = "pulumi-python:dynamic/pca_import:CaCertificateImport"
PREVIEW_CALLS = {"Handshake", "GetPluginInfo", "CheckConfig", "Configure", "Check", "Cancel"}


class Certs:
    root = ca("Policy Root", path_length=2)
    inter = ca("Policy Inter", root, path_length=1, days=3600)  # children expire first: no VAL004
    leaf = ca("Policy Leaf", inter, path_length=0, days=3000)
    soon = ca("Policy Soon", inter, path_length=0, days=10)
    good_chain = chain(inter, root)
    bad_chain = chain(root, inter)


def item(kind, name, certificate, chain_pem=None, unknown=(), ca=None, output=()):
    return {"kind": kind, "name": name, "certificate": certificate, "chain": chain_pem, "unknown": list(unknown),
            "ca": ca, "output": list(output)}


def new_ca(name, ca_type):
    return {"kind": "aws-ca", "name": name, "type": ca_type}


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    ensure_policy_venv()
    return PolicyProject(tmp_path_factory.mktemp("policy-pack"))


def test_a_plain_pulumi_aws_stack_gets_mandatory_and_advisory_findings(project):
    c = Certs
    project.set_resources([item("aws", "good-cert", c.leaf.pem, c.good_chain),
                           item("aws", "bad-cert", c.leaf.pem, c.bad_chain),
                           item("aws", "soon-cert", c.soon.pem, c.good_chain)])
    # without the pack nothing objects: the stand-in checks nothing
    assert project.preview(policy=False).returncode == 0
    out = project.preview()
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    found = sorted(violations(out.stdout), key=lambda v: v[0] != "mandatory")
    assert [(level, policy, t, name) for level, policy, t, name, _ in found] == [
        ("mandatory", "pca-import-errors", AWS, "bad-cert"),
        ("advisory", "pca-import-warnings", AWS, "soon-cert")], text
    assert found[0][4].startswith("[CHAIN002] bad-cert: certificateChain: the chain is out of order")
    assert "this order would work: chain[1] (CN=Policy Inter), chain[0] (CN=Policy Root)" in found[0][4]
    assert found[1][4].startswith("[VAL003] soon-cert: certificate: ") and "plan its renewal" in found[1][4]
    assert "Traceback" not in text
    assert project.standin_calls() <= PREVIEW_CALLS  # nothing created: a preview


def test_our_dynamic_resource_is_checked_too(project):
    c = Certs
    project.set_resources([item("ours", "ours-bad", c.leaf.pem, c.bad_chain)])
    out = project.preview()
    found = violations(out.stdout)
    assert out.returncode != 0
    assert [(level, t, name) for level, _, t, name, _ in found] == [("mandatory", OURS, "ours-bad")], out.stdout
    assert found[0][4].startswith("[CHAIN002] ours-bad: certificate_chain: the chain is out of order")


def test_a_clean_program_passes_with_unknown_values_skipped_and_warnings_shown(project):
    c = Certs
    project.set_resources([
        item("aws", "good-cert", c.leaf.pem, c.good_chain),
        new_ca("root-ca", "ROOT"),
        item("aws", "root-cert", c.root.pem, ca="root-ca"),
        item("aws", "cert-after-apply", c.leaf.pem, c.bad_chain, unknown=["certificate"]),
        item("aws", "chain-after-apply", c.leaf.pem, c.good_chain, unknown=["chain"]),
        item("ours", "ours-good", c.leaf.pem, c.good_chain),
        item("ours", "ours-after-apply", c.leaf.pem, c.bad_chain, unknown=["certificate", "chain"]),
        item("ours", "ours-soon", c.soon.pem, c.good_chain),
    ])
    out = project.preview()
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    assert [(level, t, name) for level, _, t, name, _ in violations(out.stdout)] == [
        ("advisory", OURS, "ours-soon")], text
    assert "can't run policy" not in text and "Traceback" not in text


def test_a_certificate_that_does_not_fit_its_ca_is_a_mandatory_stack_violation(project):
    """The stack policy finds the CA through the certificate's dependency on its ARN: here a new ROOT CA."""
    c = Certs
    project.set_resources([new_ca("root-ca", "ROOT"),
                           item("aws", "issuing-cert", c.leaf.pem, c.good_chain, ca="root-ca")])
    out = project.preview()
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    found = violations(out.stdout)
    assert [(level, policy, name) for level, policy, _, name, _ in found] == [
        ("mandatory", "pca-import-ca", "issuing-cert")], text
    assert found[0][4].startswith("[ROOT001] issuing-cert: certificate: ")
    assert found[0][4].endswith("(the CA: root-ca, type ROOT)")


def test_up_with_the_pack_stops_before_the_provider_is_asked_to_create(project):
    c = Certs
    project.use_program(FLAT_PROGRAM)  # only the certificate: into a CA that exists (a literal ARN)
    try:
        project.set_resources([item("aws", "bad-cert", c.leaf.pem, c.bad_chain)])
        project.calls_log.unlink(missing_ok=True)
        out = project.pulumi("up", "--yes", "--skip-preview", "--color", "never", "--policy-pack", str(POLICY_PACK))
        assert out.returncode != 0
        assert [(level, name) for level, _, _, name, _ in violations(out.stdout)] == [("mandatory", "bad-cert")]
        assert "Create" not in project.standin_calls() and "Check" in project.standin_calls()
    finally:
        project.use_program(PROGRAM)


def test_a_pack_without_its_virtualenv_says_how_to_make_it(project, tmp_path):
    pack = tmp_path / "pack"
    pack.mkdir()
    for name in ("PulumiPolicy.yaml", "__main__.py", "requirements.txt"):
        (pack / name).write_text((POLICY_PACK / name).read_text())
    project.set_resources([item("aws", "good-cert", Certs.leaf.pem, Certs.good_chain)])
    out = project.pulumi("preview", "--color", "never", "--policy-pack", str(pack))
    text = out.stdout + out.stderr
    assert out.returncode != 0
    assert f"the policy pack's virtualenv {pack / 'venv'} does not exist: create it with `cd {pack} && " in text
    assert "Traceback" not in text


def test_without_the_pack_our_resource_prints_its_warnings_at_preview(project):
    """A warning does not fail a preview; the program prints it (a dynamic provider cannot), for inputs given as
    plain text and as Outputs, and not for a value that is known only after apply."""
    c = Certs
    project.set_resources([item("ours", "soon-plain", c.soon.pem, c.good_chain),
                           item("ours", "soon-output", c.soon.pem, c.good_chain, output=["certificate", "chain"]),
                           item("ours", "soon-later", c.soon.pem, c.good_chain, unknown=["certificate"])])
    out = project.preview(policy=False)
    text = out.stdout + out.stderr
    assert out.returncode == 0, text
    warned = {line.split("]", 1)[1].split(":", 1)[0].strip() for line in text.splitlines() if "[VAL003]" in line}
    assert warned == {"soon-plain", "soon-output"}, text
    assert "plan its renewal" in text and "Traceback" not in text
