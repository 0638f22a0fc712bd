"""A renewal `pulumi up` of the demo hierarchy against a no-change `up`: AWS calls and wall time, in one run.

Real engine, file backend, the local Private CA emulator, the project's own stack files (root, issuing,
partner). After the demo's three ups, it times a no-change `up`, then moves PCA_IMPORT_NOW (program and
provider processes) to 10 days before issuing's expiry — issuing is due and renews (re-issued by root,
imported in place); partner, signed outside and ending the same day, is only marked due for the signer
stack — and times that `up`, then a second `up` at the same time (no changes).
"""
from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pca_import.devtools.local_pulumi import Emulator, LocalProject, engine_bin  # noqa: E402
from pca_import.core.x509build import build_certificate, name, new_key, pem, private_key_pem  # noqa: E402


def timed_up(proj: LocalProject, emu: Emulator) -> tuple[float, dict[str, int]]:
    emu.reset_calls()
    t = time.perf_counter()
    proj.up("pki")
    return time.perf_counter() - t, emu.calls()


def main() -> None:
    bin_dir = engine_bin()
    emu = Emulator()
    try:
        with tempfile.TemporaryDirectory() as d:
            proj = LocalProject(Path(d) / "work", bin_dir, emu.aws_env)
            key = new_key("EC_secp384r1")
            offline = build_certificate(key.public_key(), name("Bench Offline Root"), name("Bench Offline Root"),
                                        key, path_length=1, days=9000)
            key_file = Path(d) / "offline.key"
            key_file.write_text(private_key_pem(key))
            proj.env["PCA_IMPORT_SIGNER_KEY_FILE"] = str(key_file)
            proj.init_stack("pki")
            proj.init_stack("signer")
            proj.config_set("signer", "pca-import:signerCertificate", pem(offline))
            proj.up("pki")
            proj.up("signer")
            proj.up("pki")
            same_t, same_calls = timed_up(proj, emu)
            end = dt.datetime.fromisoformat(proj.outputs("pki")["cas"]["issuing"]["not_after"])
            proj.env["PCA_IMPORT_NOW"] = (end - dt.timedelta(days=10)).isoformat()
            before = proj.outputs("pki")["cas"]
            renew_t, renew_calls = timed_up(proj, emu)
            after = proj.outputs("pki")["cas"]
            renewed = [n for n in ("root", "issuing") if after[n]["serial"] != before[n]["serial"]]
            assert renewed == ["issuing"] and after["partner"]["renewal_due"] is True, renewed
            again_t, again_calls = timed_up(proj, emu)
            assert again_calls.get("IssueCertificate", 0) == 0 and \
                again_calls.get("ImportCertificateAuthorityCertificate", 0) == 0, again_calls
    finally:
        emu.stop()

    def line(label, t, calls):
        detail = ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))
        return f"{label:<34} {t:6.2f} s  {sum(calls.values()):3d} calls  ({detail})"

    print("demo hierarchy (root, issuing, partner), pulumi up --skip-preview on the emulator")
    print(line("no-change up", same_t, same_calls))
    print(line("renewal up (issuing renews)", renew_t, renew_calls))
    print(line("second up at the renewed time", again_t, again_calls))
    print(f"ratio renewal/no-change: wall time {renew_t / same_t:.2f}x, "
          f"AWS calls {sum(renew_calls.values())}/{sum(same_calls.values())} = "
          f"{sum(renew_calls.values()) / max(sum(same_calls.values()), 1):.2f}x")


if __name__ == "__main__":
    main()
