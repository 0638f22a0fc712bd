"""An existing stack made by the previous version (flat layout, every resource `pulumi-python:dynamic:Resource`
at the stack's top level) upgrades to this one — the `PkiHierarchy` component, resource types of their own —
with no replace and no AWS write: aliases carry every resource over."""
from __future__ import annotations

import json
import subprocess
import tarfile
import io

import pytest

from certfactory import CA
from pca_import.core.x509build import build_certificate, name, new_key, private_key_pem
from pca_import.devtools.local_pulumi import REPO, LocalProject, engine_bin

pytestmark = pytest.mark.engine

# The last commit of the flat layout: the version existing stacks were made by.
PREVIOUS = "b6b543b"
WRITES = ("CreateCertificateAuthority", "IssueCertificate", "ImportCertificateAuthorityCertificate",
          "TagCertificateAuthority", "UntagCertificateAuthority", "UpdateCertificateAuthority",
          "DeleteCertificateAuthority")


def _previous_project(tmp_path, emulator_url) -> tuple:
    """(the previous version's source, a project on the emulator that runs it: PYTHONPATH names that source; the
    program is for the caller to write)."""
    old = tmp_path / "previous"
    _previous_source(old)
    env = {"AWS_ENDPOINT_URL": emulator_url, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    proj = LocalProject(tmp_path / "work", engine_bin(), {**env, "PYTHONPATH": str(old)})
    (proj.dir / "__main__.py").unlink()
    return old, proj


def _previous_source(dest) -> None:
    blob = subprocess.run(["git", "-C", str(REPO), "archive", PREVIOUS, "pca_import", "__main__.py"],
                          capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(blob)) as tar:
        tar.extractall(dest, filter="data")


def test_a_stack_of_the_previous_version_upgrades_without_replace_or_write(tmp_path, emulator_url):
    from calls import Calls
    calls = Calls(emulator_url)
    old, proj = _previous_project(tmp_path, emulator_url)
    main = proj.dir / "__main__.py"
    main.symlink_to(old / "__main__.py")
    key = new_key("EC_secp384r1")
    root = CA(build_certificate(key.public_key(), name("Upgrade Offline Root"), name("Upgrade Offline Root"), key,
                                path_length=1, days=3650), key)
    proj.init_stack("pki")
    proj.init_stack("signer")
    proj.config_set("signer", "pca-import:signerCertificate", root.pem)
    proj.config_set("signer", "pca-import:signerKey", private_key_pem(root.key), secret=True)
    proj.up("pki")
    proj.up("signer")
    proj.up("pki")
    before = json.loads(proj.pulumi("stack", "export", stack="pki").stdout)
    old_types = {r["type"] for r in before["deployment"]["resources"] if r["type"].startswith("pulumi-python")}
    assert old_types == {"pulumi-python:dynamic:Resource"}, old_types  # really made by the previous version

    # this version: the project's program and package as installed
    main.unlink()
    main.symlink_to(REPO / "__main__.py")
    proj.env.pop("PYTHONPATH")
    for stack in ("pki", "signer"):
        steps = json.loads(proj.pulumi("preview", "--json", stack=stack).stdout)["steps"]
        ops = {s["urn"].rsplit("::", 1)[1]: s["op"] for s in steps}
        # only the new component itself is created; every CA, certificate and import stays as it is
        changed = {n: op for n, op in ops.items()
                   if op not in ("same", "read") and not (n == "pki" and op == "create")}  # read: StackReference
        assert changed == {}, (stack, changed)
    calls.reset()
    proj.up("pki")
    proj.up("signer")
    writes = {k: v for k, v in calls.get().items() if k in WRITES}
    assert writes == {}, writes
    after = json.loads(proj.pulumi("stack", "export", stack="pki").stdout)
    types = {r["type"] for r in after["deployment"]["resources"]}
    assert "pulumi-python:dynamic/pca_import:CaCertificateImport" in types
    assert "pca-import:index:PkiHierarchy" in types and "pulumi-python:dynamic:Resource" not in types
    ids = lambda d: sorted(r.get("id") for r in d["deployment"]["resources"] if r.get("id"))  # noqa: E731
    assert ids(after) == ids(before)  # the same CAs, certificates and imports
    for stack in ("pki", "signer"):
        proj.pulumi("preview", "--expect-no-changes", stack=stack)
        proj.pulumi("refresh", "--yes", "--expect-no-changes", "--skip-preview", stack=stack)


USER_PROGRAM = '''
import pulumi
from pca_import.ca_resources import PrivateCertificateAuthority

def ca(name, cn, opts=None):
    return PrivateCertificateAuthority(name, ca_type="ROOT", key_algorithm="EC_prime256v1",
                                       subject={"commonName": cn}, opts=opts)

class Team(pulumi.ComponentResource):
    def __init__(self, name):
        super().__init__("acme:pki:Team", name)
        ca(f"{name}-ca", "Nested Root", pulumi.ResourceOptions(parent=self))
        self.register_outputs({})

ca("top-ca", "Top Root")
ca("stack-child-ca", "Stack Child Root", pulumi.ResourceOptions(parent=pulumi.runtime.get_root_resource()))
Team("team")
'''


def test_a_users_own_program_of_the_previous_version_keeps_its_resources(tmp_path, emulator_url):
    """A user's program (not our project) that declared our resources with the previous version — one at the
    stack's top level, one given the stack itself as parent, one inside the user's own component — keeps them:
    each carries its old URN as an alias, so the resources are the same ones with their new type, nothing created
    or deleted in AWS."""
    from calls import Calls
    _old, proj = _previous_project(tmp_path, emulator_url)
    main = proj.dir / "__main__.py"
    main.write_text(USER_PROGRAM)
    proj.init_stack("team")
    proj.up("team")
    before = json.loads(proj.pulumi("stack", "export", stack="team").stdout)["deployment"]["resources"]
    assert {r["type"] for r in before if r.get("custom") and "dynamic" in r["type"]} == {
        "pulumi-python:dynamic:Resource"}  # really made by the previous version

    proj.env.pop("PYTHONPATH")  # this version
    steps = json.loads(proj.pulumi("preview", "--json", stack="team").stdout)["steps"]
    ops = {s["urn"].rsplit("::", 1)[1]: s["op"] for s in steps}
    assert {ops.get(n, "same") for n in ("top-ca", "stack-child-ca", "team-ca")} == {"same"}, ops
    assert not [op for op in ops.values() if op in ("create", "delete", "replace", "create-replacement")], ops
    calls = Calls(emulator_url)
    calls.reset()
    proj.up("team")
    assert not {k: v for k, v in calls.get().items() if k in WRITES}
    after = json.loads(proj.pulumi("stack", "export", stack="team").stdout)["deployment"]["resources"]
    by_name = {r["urn"].rsplit("::", 1)[1]: r for r in after}
    assert by_name["top-ca"]["type"] == by_name["team-ca"]["type"] == "pulumi-python:dynamic/pca_import:PrivateCertificateAuthority"
    assert by_name["team-ca"]["parent"].endswith("acme:pki:Team::team")
    assert sorted(r.get("id") for r in after if r.get("id")) == sorted(r.get("id") for r in before if r.get("id"))
    proj.pulumi("preview", "--expect-no-changes", stack="team")
