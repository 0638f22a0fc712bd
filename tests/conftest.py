"""Shared fixtures: the local Private CA emulator over HTTP (started here unless CI already runs one)."""
from __future__ import annotations

import os
import sys

import pytest

from pca_import.devtools.local_pulumi import Emulator

sys.path.insert(0, os.path.dirname(__file__))
ROOT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


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


class Calls:
    """Counts of API calls seen by the emulator since the last reset."""

    def __init__(self, url: str):
        self._emulator = Emulator(url)  # attaches to the running one

    def reset(self) -> None:
        self._emulator.reset_calls()

    def get(self) -> dict[str, int]:
        return self._emulator.calls()


@pytest.fixture
def calls(emulator_url):
    c = Calls(emulator_url)
    c.reset()
    return c
