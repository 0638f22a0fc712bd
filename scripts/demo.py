"""The main job, locally: a PKI hierarchy on the embedded Private CA emulator, with the real Pulumi engine.

Steps: set up the engine, start the emulator, log in to a local file backend, bring up the PKI stack
(root + issuing CA; the partner CA awaits its signature), the signer stack (an offline root signs the
partner's CSR read by StackReference), the PKI stack again (imports it), then
`pulumi refresh --expect-no-changes` and a check that a further `up` changes nothing, and print the
hierarchy. The emulator keeps no state between runs, so every run starts from a fresh local backend
under .pulumi-local/demo and converges to the same hierarchy.
"""
from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pca_import.devtools.local_pulumi import Emulator, LocalProject, PulumiError, engine_bin  # noqa: E402
from pca_import.core.x509build import build_certificate, name, new_key, pem, private_key_pem  # noqa: E402


def step(msg: str) -> float:
    print(f"==> {msg}", flush=True)
    return time.time()


def offline_root():
    key = new_key("EC_secp384r1")
    cert = build_certificate(key.public_key(), name({"commonName": "Example Offline Root", "organization": "Example"}),
                             name({"commonName": "Example Offline Root", "organization": "Example"}), key,
                             path_length=1, days=7300)
    return pem(cert), private_key_pem(key)


def show_broken_chain_caught(proj, emu, offline) -> None:
    """Paste a CA certificate whose chain is root first (the classic mistake) and preview: the rule engine names
    the problem and the order that works; no import reaches AWS. The config is put back afterwards."""
    from pca_import.core.x509build import load_private_key
    root_pem, root_key_pem = offline
    root_key = load_private_key(root_key_pem)
    import cryptography.x509 as x509
    root = x509.load_pem_x509_certificate(root_pem.encode())
    inter_key = new_key("EC_prime256v1")
    inter = build_certificate(inter_key.public_key(), name("Example Partner Intermediate"), root.subject, root_key,
                              path_length=0, days=3650)
    ca_key = new_key("EC_prime256v1")
    ca_cert = build_certificate(ca_key.public_key(), name("Misordered CA"), inter.subject, inter_key, days=1825)
    node = {"name": "misordered", "type": "SUBORDINATE", "signer": "external", "subject": {"commonName": "Misordered CA"},
            "certificate": pem(ca_cert), "certificateChain": root_pem + pem(inter)}  # root first: wrong
    before = proj.stack_file("pki").read_text()
    proj.edit_config("pki", lambda c: c["pca-import:hierarchy"].append(node))
    emu.reset_calls()
    try:
        proc = proj.pulumi("preview", stack="pki", check=False)
        found = [ln[ln.index("[CHAIN002]"):].strip() for ln in (proc.stdout + proc.stderr).splitlines()
                 if "[CHAIN002]" in ln]
        print("    " + (found[0] if found else "(no CHAIN002 line: see the preview output)"))
        imports = emu.calls().get("ImportCertificateAuthorityCertificate", 0)
        print(f"    preview exit code {proc.returncode}; ImportCertificateAuthorityCertificate calls: {imports}")
    finally:
        proj.stack_file("pki").write_text(before)


def table(cas: dict) -> str:
    rows = [("CA", "type", "status", "signed by", "expires")]
    for n, c in sorted(cas.items(), key=lambda kv: (kv[1].get("type") != "ROOT", "external" in kv[1].get("signed_by", ""), kv[0])):
        expires = (c.get("not_after") or "-")[:10]
        rows.append((n, c.get("type", ""), c.get("status") or "", c.get("signed_by", ""), expires))
    widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
    return "\n".join("  ".join(str(v).ljust(w) for v, w in zip(r, widths)) for r in rows)


def main() -> int:
    t0 = step("setting up the Pulumi engine (cached after the first run)")
    bin_dir = engine_bin()
    print(f"    engine ready in {time.time() - t0:.1f}s: {bin_dir}")
    step("starting the local Private CA emulator")
    emu = Emulator()
    print(f"    {emu.url}")
    try:
        proj = LocalProject(REPO / ".pulumi-local" / "demo", bin_dir, emu.aws_env)
        step(f"local file backend: {proj.state}")
        proj.init_stack("pki")
        proj.init_stack("signer")
        offline = offline_root()
        cert_pem, key_pem = offline
        proj.config_set("signer", "pca-import:signerCertificate", cert_pem)
        # The offline key as a file outside the project, read by the signer's provider: it never enters
        # Pulumi config or state (README: "The signer key").
        keys = tempfile.TemporaryDirectory(prefix="pca-import-demo-key-")
        key_file = Path(keys.name) / "offline-root.key"
        key_file.write_text(key_pem)
        key_file.chmod(0o600)
        proj.env["PCA_IMPORT_SIGNER_KEY_FILE"] = str(key_file)
        step("pulumi up: PKI stack (root and issuing CA; partner awaits its signature)")
        proj.up("pki")
        step("pulumi up: signer stack (the offline root signs the partner CSR)")
        proj.up("signer")
        step("pulumi up: PKI stack again (imports the partner certificate)")
        proj.up("pki")
        step("pulumi refresh --expect-no-changes: no drift")
        proj.pulumi("refresh", "--yes", "--expect-no-changes", "--skip-preview", stack="pki")
        step("pulumi up --expect-no-changes on both stacks: converged")
        proj.pulumi("up", "--yes", "--expect-no-changes", "--skip-preview", stack="pki")
        proj.pulumi("up", "--yes", "--expect-no-changes", "--skip-preview", stack="signer")
        step("what pca-import is for: a chain in the wrong order, caught at `pulumi preview`, nothing sent to AWS")
        show_broken_chain_caught(proj, emu, offline)
        cas = proj.outputs("pki")["cas"]
        print()
        print(table(cas))
        step("pca-import tree --stack pki (the Automation API reads the stack's `cas` output)")
        import subprocess
        tree = subprocess.run([sys.executable, "-m", "pca_import", "tree", "--stack", "pki", "--cwd", str(proj.dir)],
                              env=proj.env, capture_output=True, text=True, check=True)
        print(tree.stdout)
        print(f"\nState: {proj.state}   (PULUMI_BACKEND_URL=file://{proj.state})")
        print(f"Done in {time.time() - t0:.0f}s on {dt.date.today()}.")
        return 0
    except PulumiError as exc:
        print(str(exc), file=sys.stderr)
        return 1
    finally:
        emu.stop()


if __name__ == "__main__":
    sys.exit(main())
