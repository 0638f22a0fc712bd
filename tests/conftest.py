"""Test tiers and shared fixtures.

Tiers are folders, and each folder's tests get its marker: `unit` (pure, in process: no subprocess, no socket —
tests/unit/conftest.py enforces it), `emulator` (the local Private CA over HTTP, the CLI as a process, openssl),
`engine` (the real Pulumi engine), `install` (the built wheel in fresh virtualenvs from PyPI). Helpers live in
tests/support (on the path via `pythonpath` in pyproject).
"""
from __future__ import annotations

import os
import pathlib

import pytest

from calls import Calls
from pca_import.devtools.local_pulumi import Emulator

TIERS = ("unit", "emulator", "engine", "install")


def pytest_collection_modifyitems(config, items):
    for item in items:
        tier = pathlib.Path(str(item.fspath)).parent.name
        if tier in TIERS:
            item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session")
def emulator_url():
    """URL of a running emulator; its AWS settings are put in the environment for boto3."""
    emu = Emulator(os.environ.get("PCA_IMPORT_EMULATOR_URL"))  # starts one unless CI runs one
    url = emu.url
    env = {"AWS_ENDPOINT_URL": url, "AWS_DEFAULT_REGION": "us-east-1", "AWS_REGION": "us-east-1",
           "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    os.environ.pop("AWS_PROFILE", None)
    yield url
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    emu.stop()


@pytest.fixture
def calls(emulator_url):
    c = Calls(emulator_url)
    c.reset()
    return c


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory):
    """One SoftHSM2 token for the session (a process reads SOFTHSM2_CONF once), keys made on it by the tests."""
    from hsm import Token
    return Token(tmp_path_factory.mktemp("softhsm"))
