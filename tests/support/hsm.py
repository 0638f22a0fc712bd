"""A SoftHSM2 token for tests: its own token directory (SOFTHSM2_CONF), keys generated *on* the token.

SoftHSM2 is a Debian package (`apt-get install softhsm2`, which .ci/run installs). Without it the PKCS#11
tests skip with that fix, except in CI (CI=true), where a missing HSM is a failure, not a skip."""
from __future__ import annotations

import os
import shutil
import subprocess
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


class Token:
    """One initialised token with keys made on it; `env` is what a process needs to reach it."""

    def __init__(self, base: Path, label: str = "offline"):
        require_softhsm()
        self.label = label
        (base / "tokens").mkdir(parents=True, exist_ok=True)
        self.conf = base / "softhsm2.conf"
        self.conf.write_text(f"directories.tokendir = {base / 'tokens'}\nobjectstore.backend = file\n"
                             "log.level = ERROR\n")
        os.environ["SOFTHSM2_CONF"] = str(self.conf)  # read once per process, at the library's C_Initialize
        subprocess.run(["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", PIN,
                        "--so-pin", SO_PIN], check=True, capture_output=True, env={**os.environ})
        self.env = {"SOFTHSM2_CONF": str(self.conf), "PCA_IMPORT_PKCS11_PIN": PIN}

    def uri(self, obj: str, **extra: str) -> str:
        query = "&".join([f"module-path={MODULE}", *(f"{k}={v}" for k, v in extra.items())])
        return f"pkcs11:token={self.label};object={obj}?{query}"

    def generate(self, obj: str, algorithm: str, key_id: bytes | None = None) -> None:
        """A key pair made on the token: RSA_2048/3072/4096 or EC_prime256v1/secp384r1/secp521r1."""
        import pkcs11
        from pkcs11.util.ec import encode_named_curve_parameters
        lib = pkcs11.lib(MODULE)
        with lib.get_token(token_label=self.label).open(user_pin=PIN, rw=True) as session:
            if algorithm.startswith("RSA_"):
                session.generate_keypair(pkcs11.KeyType.RSA, int(algorithm[4:]), label=obj, id=key_id, store=True)
            else:
                curve = {"EC_prime256v1": "secp256r1"}.get(algorithm, algorithm.removeprefix("EC_"))
                params = session.create_domain_parameters(
                    pkcs11.KeyType.EC, {pkcs11.Attribute.EC_PARAMS: encode_named_curve_parameters(curve)},
                    local=True)
                params.generate_keypair(label=obj, id=key_id, store=True)

    def drop_public_key(self, obj: str) -> None:
        """Remove the public key object beside the private key `obj` (a token that holds only the private key)."""
        import pkcs11
        with pkcs11.lib(MODULE).get_token(token_label=self.label).open(user_pin=PIN, rw=True) as session:
            session.get_key(object_class=pkcs11.ObjectClass.PUBLIC_KEY, label=obj).destroy()

    def slot_id(self) -> int:
        import pkcs11
        return next(s.slot_id for s in pkcs11.lib(MODULE).get_slots(token_present=True)
                    if s.get_token().label == self.label)
