"""An interrupted `pulumi up` (real engine, file backend, emulator over HTTP): `pulumi up` is killed with
SIGKILL after AWS accepted the import but before its reply arrived, and the commands the README gives
("After an interrupted `pulumi up`") bring the stack back: one import, state matching the CA."""
from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509

import pca
from certfactory import CA
from pca_import.devtools.local_pulumi import LocalProject, engine_bin
from pca_import.core.x509build import build_certificate, name, new_key

pytestmark = pytest.mark.engine


class HeldReplyProxy:
    """Forwards AWS requests to the emulator; the reply to `action` is held (the request has reached AWS)
    until `release` is set, so a test can interrupt the client at exactly that moment."""

    def __init__(self, upstream: str, action: str):
        target = urllib.parse.urlsplit(upstream)
        self.seen, self.release = threading.Event(), threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                conn = http.client.HTTPConnection(target.hostname, target.port, timeout=30)
                conn.request("POST", self.path, body,
                             {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")})
                reply = conn.getresponse()
                data = reply.read()
                if (self.headers.get("X-Amz-Target") or "").endswith(action):
                    proxy.seen.set()
                    proxy.release.wait(120)
                self.send_response(reply.status)
                for k, v in reply.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()


def _kill_up_when_seen(proj: LocalProject, proxy: HeldReplyProxy) -> None:
    """`pulumi up` on stack pki, killed with SIGKILL while the held request's reply is pending."""
    up = subprocess.Popen(["pulumi", "up", "--yes", "--skip-preview", "--non-interactive", "--stack", "pki"],
                          cwd=proj.dir, env=proj.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert proxy.seen.wait(180), "the request never reached AWS"
        # pulumi and everything it started, at once, as when a CI runner dies: the language host and the
        # providers run in process groups of their own, so the group alone would leave them orphaned
        tree = [up.pid] + _descendants(up.pid)
        for pid in tree:
            os.kill(pid, signal.SIGKILL)
        up.wait(30)
    finally:
        proxy.stop()
    time.sleep(0.5)
    assert not [pid for pid in tree if _alive(pid)], "a process of the killed `pulumi up` survived"


def _descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc (Linux)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _aws_env(emulator_url: str) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": emulator_url, "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def _pending(proj: LocalProject, stack: str) -> list:
    state = json.loads(proj.pulumi("stack", "export", stack=stack).stdout)
    return state["deployment"].get("pending_operations") or []


def test_up_killed_after_the_import_converges_with_the_documented_commands(tmp_path, emulator_url, calls):
    aws = _aws_env(emulator_url)
    proxy = HeldReplyProxy(emulator_url, "ImportCertificateAuthorityCertificate")
    proj = LocalProject(tmp_path / "w", engine_bin(), {**aws, "AWS_ENDPOINT_URL": proxy.url})
    key = new_key()
    offline = CA(build_certificate(key.public_key(), name("Interrupted Root"), name("Interrupted Root"), key,
                                   path_length=1, days=7300), key)
    arn, csr = pca.create_ca("SUBORDINATE", "Interrupted Partner")
    cert = pca.external_sign(csr, offline, days=1825)
    (tmp_path / "partner.pem").write_text(cert)
    (tmp_path / "chain.pem").write_text(offline.pem)
    proj.init_stack("pki")
    proj.edit_config("pki", lambda c: c.pop("pca-import:signerStack"))
    proj.set_object("pki", "pca-import:hierarchy", [
        {"name": "partner", "type": "SUBORDINATE", "signer": "external", "arn": arn,
         "certificateFile": str(tmp_path / "partner.pem"), "chainFile": str(tmp_path / "chain.pem")}])
    calls.reset()
    _kill_up_when_seen(proj, proxy)
    proj.env["AWS_ENDPOINT_URL"] = emulator_url  # from now on straight to AWS
    assert pca.status(arn) == "ACTIVE"  # AWS accepted the import; the engine never heard back
    assert [op["type"] for op in _pending(proj, "pki")] == ["creating"]

    locked = proj.pulumi("up", "--yes", "--skip-preview", stack="pki", check=False)
    assert locked.returncode != 0 and "pulumi cancel" in locked.stdout + locked.stderr

    proj.pulumi("cancel", "--yes", stack="pki")
    proj.pulumi("refresh", "--yes", "--skip-preview", stack="pki")  # non-interactive, without the flag:
    assert len(_pending(proj, "pki")) == 1                           # the pending create stays
    # The README's manual equivalent of --clear-pending-creates (the other test uses the flag):
    state = json.loads(proj.pulumi("stack", "export", stack="pki").stdout)
    state["deployment"].pop("pending_operations")
    (tmp_path / "s.json").write_text(json.dumps(state))
    proj.pulumi("stack", "import", "--file", str(tmp_path / "s.json"), stack="pki")
    assert _pending(proj, "pki") == []
    out = proj.up("pki")
    assert "already holds this certificate: recorded without an import call" in out.stdout + out.stderr

    assert calls.get().get("ImportCertificateAuthorityCertificate") == 1
    held = pca.client().get_certificate_authority_certificate(CertificateAuthorityArn=arn)["Certificate"]
    cas = proj.outputs("pki")["cas"]
    assert cas["partner"]["status"] == "ACTIVE"
    assert cas["partner"]["serial"] == format(x509.load_pem_x509_certificate(held.encode()).serial_number, "x")
    assert cas["partner"]["serial"] == format(x509.load_pem_x509_certificate(cert.encode()).serial_number, "x")
    proj.pulumi("preview", "--expect-no-changes", stack="pki")
    proj.pulumi("refresh", "--yes", "--expect-no-changes", "--skip-preview", stack="pki")
    assert _pending(proj, "pki") == []


def test_up_killed_while_creating_a_ca_converges_by_adopting_it(tmp_path, emulator_url):
    """The interrupted step created a CA in AWS that state does not know: after clearing the pending create,
    the README adopts it by `arn` instead of creating a second one."""
    aws = _aws_env(emulator_url)
    proxy = HeldReplyProxy(emulator_url, "CreateCertificateAuthority")
    proj = LocalProject(tmp_path / "w", engine_bin(), {**aws, "AWS_ENDPOINT_URL": proxy.url})
    cn = "Interrupted Create Root"
    root = {"name": "root", "type": "ROOT", "subject": {"commonName": cn}}
    proj.init_stack("pki")
    proj.edit_config("pki", lambda c: c.pop("pca-import:signerStack"))
    proj.set_object("pki", "pca-import:hierarchy", [root])
    _kill_up_when_seen(proj, proxy)
    proj.env["AWS_ENDPOINT_URL"] = emulator_url

    def cas_named() -> list[dict]:
        listed = pca.client().list_certificate_authorities()["CertificateAuthorities"]
        return [c for c in listed
                if c["CertificateAuthorityConfiguration"]["Subject"].get("CommonName") == cn]

    orphans = cas_named()
    assert [c["Status"] for c in orphans] == ["PENDING_CERTIFICATE"]
    import jmespath  # the README's `aws acm-pca list-certificate-authorities --query` finds it
    query = ("CertificateAuthorities[?Status=='PENDING_CERTIFICATE']"
             ".[Arn,CertificateAuthorityConfiguration.Subject.CommonName]")
    assert [orphans[0]["Arn"], cn] in jmespath.search(query, pca.client().list_certificate_authorities())
    assert [op["type"] for op in _pending(proj, "pki")] == ["creating"]
    proj.pulumi("cancel", "--yes", stack="pki")                       # the README's commands
    proj.pulumi("refresh", "--yes", "--clear-pending-creates", stack="pki")
    proj.set_object("pki", "pca-import:hierarchy", [{**root, "arn": orphans[0]["Arn"]}])
    proj.up("pki")

    assert [(c["Arn"], c["Status"]) for c in cas_named()] == [(orphans[0]["Arn"], "ACTIVE")]
    assert proj.outputs("pki")["cas"]["root"]["arn"] == orphans[0]["Arn"]
    proj.pulumi("preview", "--expect-no-changes", stack="pki")
    assert _pending(proj, "pki") == []
