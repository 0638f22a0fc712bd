"""A SoftHSM2 token for tests: its own token directory (SOFTHSM2_CONF), keys generated *on* the token.

SoftHSM2 is a Debian package (`apt-get install softhsm2`, which .ci/run installs). Without it the PKCS#11
tests skip with that fix, except in CI (CI=true), where a missing HSM is a failure, not a skip."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

MODULE = "/usr/lib/softhsm/libsofthsm2.so"
PIN = "4711-test-pin"
SO_PIN = "9182-so-pin"


def require_softhsm() -> None:
    if os.path.isfile(MODULE) and shutil.which("softhsm2-util"):
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"SoftHSM2 is not installed ({MODULE}): .ci/run installs it with `apt-get install -y softhsm2`")
    pytest.skip(f"SoftHSM2 is not installed ({MODULE}): `apt-get install -y softhsm2`")


_CONF: Path | None = None  # SoftHSM2 reads its configuration once per process: one token directory per process


class Token:
    """One initialised token (its own label) with keys made on it; `env` is what a process needs to reach it.

    Every token of a test process lives in one token directory: the PKCS#11 library, once initialised in this
    process, never reads another configuration."""

    def __init__(self, base: Path, label: str | None = None):
        global _CONF
        require_softhsm()
        self.label = label or f"offline-{uuid.uuid4().hex[:8]}"
        if _CONF is None:
            (base / "tokens").mkdir(parents=True, exist_ok=True)
            _CONF = base / "softhsm2.conf"
            _CONF.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\n"
                             "log.level = ERROR\n")
        self.conf = _CONF
        os.environ["SOFTHSM2_CONF"] = str(self.conf)
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", self.label, "--pin", PIN,
                        "--so-pin", SO_PIN], check=True, capture_output=True, env={**os.environ})
        self.env = {"SOFTHSM2_CONF": str(self.conf), "PCA_IMPORT_PKCS11_PIN": PIN}

    def uri(self, obj: str, **extra: str) -> str:
        query = "&".join([f"module-path={MODULE}", *(f"{k}={v}" for k, v in extra.items())])
        return f"pkcs11:token={self.label};object={obj}?{query}"

    def _child(self, code: str, *args: str) -> str:
        """Run `code` with the token library in a fresh process: a library initialised in this one has read its
        slot list already and does not see tokens made after that."""
        proc = subprocess.run([sys.executable, "-c", _PRELUDE + code, self.label, *args], capture_output=True,
                              text=True, env={**os.environ, **self.env}, timeout=120)
        if proc.returncode:
            raise RuntimeError(f"token {self.label}: {proc.stderr.strip()[-400:]}")
        return proc.stdout.strip()

    def generate(self, obj: str, algorithm: str, key_id: bytes | None = None) -> None:
        """A key pair made on the token: RSA_2048/3072/4096 or EC_prime256v1/secp384r1/secp521r1."""
        self._child(_GENERATE, obj, algorithm, key_id.hex() if key_id else "")

    def drop_public_key(self, obj: str) -> None:
        """Remove the public key object beside the private key `obj` (a token that holds only the private key)."""
        self._child(_DROP, obj)

    def slot_id(self) -> int:
        return int(self._child(_SLOT))


_PRELUDE = f"""
import sys
import pkcs11
from pkcs11.util.ec import encode_named_curve_parameters
lib = pkcs11.lib({MODULE!r})
label = sys.argv[1]
PIN = {PIN!r}
"""
_GENERATE = """
obj, algorithm, key_id = sys.argv[2], sys.argv[3], bytes.fromhex(sys.argv[4]) if sys.argv[4] else None
with lib.get_token(token_label=label).open(user_pin=PIN, rw=True) as session:
    if algorithm.startswith("RSA_"):
        session.generate_keypair(pkcs11.KeyType.RSA, int(algorithm[4:]), label=obj, id=key_id, store=True)
    else:
        curve = {"EC_prime256v1": "secp256r1"}.get(algorithm, algorithm.removeprefix("EC_"))
        params = session.create_domain_parameters(
            pkcs11.KeyType.EC, {pkcs11.Attribute.EC_PARAMS: encode_named_curve_parameters(curve)}, local=True)
        params.generate_keypair(label=obj, id=key_id, store=True)
"""
_DROP = """
with lib.get_token(token_label=label).open(user_pin=PIN, rw=True) as session:
    session.get_key(object_class=pkcs11.ObjectClass.PUBLIC_KEY, label=sys.argv[2]).destroy()
"""
_SLOT = """
print(next(s.slot_id for s in lib.get_slots(token_present=True) if s.get_token().label == label))
"""
