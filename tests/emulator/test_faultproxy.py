"""The fault proxy itself, against a plain HTTP server: each fault does what tests/faultproxy.py says."""
from __future__ import annotations

import http.client
import http.server
import json
import threading
import time

import pytest

from faultproxy import FaultProxy


class _Handler(http.server.BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Handler.received.append((self.headers["X-Amz-Target"], body))
        out = json.dumps({"echo": body.decode()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


@pytest.fixture
def upstream():
    _Handler.received = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture
def proxy(upstream):
    p = FaultProxy(upstream)
    yield p
    p.close()


def post(url: str, action: str, body: str = "{}", timeout: float = 5):
    host, port = url.removeprefix("http://").split(":")
    c = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        c.request("POST", "/", body=body.encode(), headers={"X-Amz-Target": f"ACMPrivateCA.{action}"})
        r = c.getresponse()
        return r.status, r.getheader("Content-Type"), r.read()
    finally:
        c.close()


def test_passes_requests_and_replies_through(proxy):
    status, ctype, body = post(proxy.url, "Describe", '{"a": 1}')
    assert status == 200 and json.loads(body) == {"echo": '{"a": 1}'} and "json" in ctype
    assert _Handler.received == [("ACMPrivateCA.Describe", b'{"a": 1}')]
    assert proxy.seen["Describe"] == proxy.forwarded["Describe"] == 1


def test_lose_reply_forwards_then_resets(proxy):
    proxy.fail("Import", "lose_reply")
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        post(proxy.url, "Import", '{"x": 1}')
    assert [t for t, _ in _Handler.received] == ["ACMPrivateCA.Import"]  # the upstream did the work
    assert post(proxy.url, "Import")[0] == 200  # one fault, then normal again


def test_drop_resets_without_forwarding(proxy):
    proxy.fail("Import", "drop")
    with pytest.raises((ConnectionError, http.client.HTTPException)):
        post(proxy.url, "Import")
    assert _Handler.received == [] and proxy.seen["Import"] == 1 and proxy.forwarded["Import"] == 0


def test_hang_never_answers(proxy):
    proxy.always("Describe", "hang")
    start = time.monotonic()
    with pytest.raises(TimeoutError):
        post(proxy.url, "Describe", timeout=0.5)
    assert 0.4 < time.monotonic() - start < 3 and _Handler.received == []
    assert post(proxy.url, "Other")[0] == 200  # only the named action hangs


def test_garbage_and_error_answers_without_forwarding(proxy):
    proxy.fail("*", "garbage").fail("*", "error:403:UnrecognizedClientException")
    status, ctype, body = post(proxy.url, "A")
    assert status == 200 and ctype == "text/html" and body.startswith(b"<html>")
    status, _, body = post(proxy.url, "B")
    assert status == 403 and json.loads(body)["__type"] == "UnrecognizedClientException"
    assert _Handler.received == []


def test_delay_then_forward(proxy):
    proxy.fail("A", "delay:0.5")
    start = time.monotonic()
    assert post(proxy.url, "A")[0] == 200
    assert time.monotonic() - start >= 0.5 and len(_Handler.received) == 1
