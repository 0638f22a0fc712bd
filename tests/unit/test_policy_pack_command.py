"""`pca-import policy-pack DIR`: the policy pack written for a project outside this checkout (files only here;
tests/test_install.py makes one from an installed wheel, with its virtualenv, and runs it on the engine)."""
from __future__ import annotations

import json

from pca_import.integrations.cli import main
from pca_import.integrations.policy_pack import requirement_from_direct_url


def test_writes_a_ready_pack_naming_this_checkout(tmp_path, capsys):
    pack = tmp_path / "pack"
    assert main(["policy-pack", str(pack), "--no-venv"]) == 0
    out = capsys.readouterr().out
    assert "pulumi preview --policy-pack" in out and "python3 -m venv venv" in out
    assert sorted(p.name for p in pack.iterdir()) == ["PulumiPolicy.yaml", "__main__.py", "requirements.txt"]
    assert "virtualenv: venv" in (pack / "PulumiPolicy.yaml").read_text()
    req = [ln for ln in (pack / "requirements.txt").read_text().splitlines() if ln and not ln.startswith("#")]
    assert req[0].startswith("pulumi-policy==") and req[1].startswith("pulumi==")
    assert req[2].startswith("pca-import @ file://") and "-e" not in req[2]  # the checkout, installed
    compile((pack / "__main__.py").read_text(), "__main__.py", "exec")


def test_requirement_can_be_given(tmp_path):
    assert main(["policy-pack", str(tmp_path / "p"), "--no-venv", "--requirement", "pca-import @ git+https://x/y@v1"]) == 0
    assert "pca-import @ git+https://x/y@v1" in (tmp_path / "p" / "requirements.txt").read_text()


def test_refuses_a_directory_that_has_files_unless_forced(tmp_path, capsys):
    (tmp_path / "keep.txt").write_text("mine")
    assert main(["policy-pack", str(tmp_path), "--no-venv"]) == 2
    err = capsys.readouterr().err
    assert "not empty (keep.txt)" in err and "--force" in err and "Traceback" not in err
    assert main(["policy-pack", str(tmp_path), "--no-venv", "--force"]) == 0
    assert (tmp_path / "keep.txt").read_text() == "mine" and (tmp_path / "__main__.py").exists()
    assert main(["policy-pack", str(tmp_path / "keep.txt"), "--no-venv"]) == 2
    assert "is a file" in capsys.readouterr().err


def test_the_requirement_names_how_pca_import_was_installed():
    wheel = {"url": "file:///w/pca_import-0.1.0-py3-none-any.whl", "archive_info": {"hashes": {}}}
    git = {"url": "https://github.com/o/pca-import.git",
           "vcs_info": {"vcs": "git", "requested_revision": "main", "commit_id": "0123abc"}}
    assert requirement_from_direct_url(json.dumps(wheel), "0.1.0") == f"pca-import @ {wheel['url']}"
    assert requirement_from_direct_url(json.dumps(git), "0.1.0") == \
        "pca-import @ git+https://github.com/o/pca-import.git@0123abc"
    assert requirement_from_direct_url(None, "0.1.0") == "pca-import==0.1.0"
    assert requirement_from_direct_url("{not json", "0.1.0") == "pca-import==0.1.0"
