"""Shared fixtures: the local Private CA emulator over HTTP (started here unless CI already runs one)."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

sys.path.insert(0, os.path.dirname(__file__))
ROOT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, seconds: float = 30) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url + "/_pca_import/calls", timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the emulator at {url} did not start")


@pytest.fixture(scope="session")
def emulator_url():
    """URL of a running emulator; its AWS settings are put in the environment for boto3."""
    url = os.environ.get("PCA_IMPORT_EMULATOR_URL")
    proc = None
    if not url:
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        proc = subprocess.Popen([sys.executable, "-m", "pca_import.emulator", "--port", str(port)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait(url)
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
    if proc:
        proc.terminate()
        proc.wait(10)


class Calls:
    """Counts of API calls seen by the emulator since the last reset."""

    def __init__(self, url: str):
        self.url = url

    def reset(self) -> None:
        urllib.request.urlopen(urllib.request.Request(self.url + "/_pca_import/calls/reset", method="POST")).read()

    def get(self) -> dict[str, int]:
        return json.loads(urllib.request.urlopen(self.url + "/_pca_import/calls").read())


@pytest.fixture
def calls(emulator_url):
    c = Calls(emulator_url)
    c.reset()
    return c
