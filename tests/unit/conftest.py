"""The unit tier is pure: a test here that starts a process or opens a socket fails, naming what it tried.

One exception, by marker: `openssl_vector` lets a test run the openssl binary to *make* a test vector that
cryptography cannot (a SHA-1 signature); no validator and no network run here."""
from __future__ import annotations

import socket
import subprocess

import pytest


@pytest.fixture(autouse=True)
def _pure(request, monkeypatch):
    if request.node.get_closest_marker("openssl_vector"):
        return
    def refuse(what):
        def _refused(*args, **kwargs):
            raise AssertionError(f"a unit test {what}: move it to tests/emulator or tests/engine")
        return _refused
    monkeypatch.setattr(subprocess.Popen, "__init__", refuse("started a process"))
    monkeypatch.setattr(socket.socket, "connect", refuse("opened a network connection"))
    monkeypatch.setattr(socket.socket, "connect_ex", refuse("opened a network connection"))
