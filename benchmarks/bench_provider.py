"""AWS calls per provider operation (counted at the emulator) and the size of the provider stored in state.

Runs the provider's own methods against the local Private CA over HTTP, as the engine would call them.
"""
from __future__ import annotations

import base64
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "support"))

from pulumi.dynamic.dynamic import serialize_provider  # noqa: E402

from pca_import.devtools.local_pulumi import Emulator  # noqa: E402
from pca_import.resources.ca_import import CaCertificateImportProvider  # noqa: E402


def main() -> None:
    emu = Emulator()
    os.environ.update(emu.aws_env)
    import pca  # tests/pca.py: boto3 helpers
    from certfactory import ca, chain
    try:
        root = ca("Bench Root")
        provider = CaCertificateImportProvider()
        arn, csr = pca.create_ca("SUBORDINATE", "Bench CA")
        cert = pca.external_sign(csr, root, days=400)
        props = {"certificate_authority_arn": arn, "certificate": cert, "certificate_chain": chain(root),
                 "owner": "pca-import/bench/bench-cert"}
        rows = []

        def measure(label, fn):
            emu.reset_calls()
            result = fn()
            calls = emu.calls()
            rows.append((label, sum(calls.values()), ", ".join(f"{k} {v}" for k, v in sorted(calls.items()))))
            return result

        measure("check (preview, ARN known)", lambda: provider.check({}, props))
        outs = measure("create", lambda: provider.create(props)).outs
        measure("create again (retried apply)", lambda: provider.create(props))
        measure("read (refresh)", lambda: provider.read(arn, outs))
        renewed = dict(props, certificate=pca.external_sign(csr, root, days=800))
        measure("diff (renewal)", lambda: provider.diff(arn, outs, renewed))
        measure("update (renewal)", lambda: provider.update(arn, outs, renewed))
        measure("delete (on_delete=retain)", lambda: provider.delete(arn, outs))
        provider.create(renewed)  # owned again, for the next delete
        measure("delete (on_delete=disable)", lambda: provider.delete(arn, dict(outs, on_delete="disable")))
        # a create in a process that has not seen the CA yet (its CSR not cached), e.g. `up --skip-preview`
        # on a new provider process; the engine's own `up` runs check first in the same process
        from pca_import.aws import client as aws
        arn2, csr2 = pca.create_ca("SUBORDINATE", "Bench CA 2")
        props2 = dict(props, certificate_authority_arn=arn2, certificate=pca.external_sign(csr2, root, days=400))
        aws._CSRS.clear()
        measure("create, CSR not cached", lambda: provider.create(props2))
        print(f"{'operation':32} {'AWS calls':>9}  breakdown")
        for label, n, detail in rows:
            print(f"{label:32} {n:9d}  {detail}")
        blob = serialize_provider(CaCertificateImportProvider())
        print(f"\nserialized provider per resource: {len(blob)} characters of base64 "
              f"({len(base64.b64decode(blob))} bytes pickled, a reference to pca_import.resources.ca_import; target: a few hundred)")
    finally:
        emu.stop()


if __name__ == "__main__":
    main()
