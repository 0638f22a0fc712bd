"""A small fault-injecting HTTP proxy for the tests: boto3 -> FaultProxy -> the emulator, over real sockets.

It reads each HTTP/1.1 request, finds the AWS action in its `X-Amz-Target` header and applies the next fault
queued for that action (or for "*"), else forwards it. One request per client connection (the upstream is
asked to close; the reply tells the client so too).

Faults:
  lose_reply    forward the request, read the upstream's full reply, then reset the client connection
                (AWS did the work; the caller never hears of it)
  drop          reset the client connection without forwarding (the request never reaches AWS)
  hang          never answer and never forward, until the client gives up or the proxy closes
  garbage       answer 200 with an HTML page, without forwarding (something that is not AWS answered)
  error:<status>:<code>   answer with an AWS-shaped JSON error, without forwarding
  delay:<seconds>         wait, then forward

`seen` counts what reached the proxy per action; `forwarded` what it passed upstream.
"""
from __future__ import annotations

import json
import socket
import struct
import threading
import time
from collections import Counter, defaultdict, deque
from urllib.parse import urlparse


class FaultProxy:
    def __init__(self, upstream_url: str):
        u = urlparse(upstream_url)
        self.upstream = (u.hostname, u.port or 80)
        self._faults: dict[str, deque] = defaultdict(deque)
        self._always: dict[str, str] = {}
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self.seen: Counter = Counter()
        self.forwarded: Counter = Counter()
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", 0))
        self._server.listen(64)
        self.url = f"http://127.0.0.1:{self._server.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    # ---- configuration ------------------------------------------------------------------------------

    def fail(self, action: str, fault: str, times: int = 1) -> "FaultProxy":
        """Apply `fault` to the next `times` requests for `action` ("*": any action)."""
        with self._lock:
            self._faults[action].extend([fault] * times)
        return self

    def always(self, action: str, fault: str | None) -> "FaultProxy":
        """Apply `fault` to every request for `action` from now on (None: stop)."""
        with self._lock:
            if fault is None:
                self._always.pop(action, None)
            else:
                self._always[action] = fault
        return self

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()
            self._always.clear()
            self.seen.clear()
            self.forwarded.clear()

    def close(self) -> None:
        self._closed.set()
        self._server.close()

    def _next_fault(self, action: str) -> str | None:
        with self._lock:
            self.seen[action] += 1
            for key in (action, "*"):
                if self._faults.get(key):
                    return self._faults[key].popleft()
            return self._always.get(action) or self._always.get("*")

    # ---- serving --------------------------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._closed.is_set():
            try:
                conn, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            request = _read_request(conn)
            if request is None:
                return
            head, body = request
            action = _header(head, "x-amz-target").split(".", 1)[-1] or "(no action)"
            fault = self._next_fault(action)
            if fault == "drop":
                return _reset(conn)
            if fault == "hang":
                conn.settimeout(0.2)
                while not self._closed.is_set():
                    try:
                        if conn.recv(1) == b"":
                            break  # the client gave up
                    except socket.timeout:
                        continue
                return
            if fault == "garbage":
                return _reply(conn, 200, "text/html", b"<html><body>Sign in to the corporate proxy</body></html>")
            if fault and fault.startswith("error:"):
                _, status, code = fault.split(":", 2)
                return _reply(conn, int(status), "application/x-amz-json-1.1",
                              json.dumps({"__type": code, "message": f"injected {code}"}).encode())
            if fault and fault.startswith("delay:"):
                time.sleep(float(fault.split(":", 1)[1]))
            reply = self._forward(head, body)
            with self._lock:
                self.forwarded[action] += 1
            if fault == "lose_reply":
                return _reset(conn)
            conn.sendall(reply)
        except OSError:
            pass
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def _forward(self, head: bytes, body: bytes) -> bytes:
        lines = [ln for ln in head.split(b"\r\n") if not ln.lower().startswith(b"connection:")]
        up = socket.create_connection(self.upstream, timeout=30)
        try:
            up.sendall(b"\r\n".join(lines + [b"Connection: close"]) + b"\r\n\r\n" + body)
            chunks = []
            while True:
                chunk = up.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            up.close()
        reply = b"".join(chunks)
        head_end = reply.find(b"\r\n\r\n")
        if head_end >= 0 and b"\r\nconnection:" not in reply[:head_end].lower():
            reply = reply[:head_end] + b"\r\nConnection: close" + reply[head_end:]
        return reply


def _read_request(conn: socket.socket) -> tuple[bytes, bytes] | None:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(_header(head, "content-length") or 0)
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head, body


def _header(head: bytes, name: str) -> str:
    for line in head.split(b"\r\n")[1:]:
        key, _, value = line.partition(b":")
        if key.strip().lower() == name.encode():
            return value.strip().decode("latin-1")
    return ""


def _reset(conn: socket.socket) -> None:
    """Close with a TCP RST, as a crashed middlebox or a dropped NAT entry would."""
    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    conn.close()


def _reply(conn: socket.socket, status: int, content_type: str, body: bytes) -> None:
    reason = {200: "OK", 400: "Bad Request", 403: "Forbidden", 500: "Internal Server Error",
              503: "Service Unavailable"}.get(status, "Status")
    conn.sendall(f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n"
                 f"Connection: close\r\n\r\n".encode() + body)
