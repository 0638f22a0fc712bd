"""The local AWS Private CA (moto's server with Private CA's rules): `pca-import emulator` or
`python -m pca_import.aws.emulator`. This module stays light (no moto import): the CLI reads its arguments here."""
from __future__ import annotations

import argparse

DEFAULT_PORT = 5055
DEFAULT_HOST = "127.0.0.1"
DEFAULT_URL = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"


def port_number(text: str) -> int:
    """argparse type: a TCP port 1-65535, or a usage error that says so."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number: use 1-65535") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a TCP port: use 1-65535")
    return port


def add_arguments(p: argparse.ArgumentParser) -> None:
    """The emulator's options, shared by `pca-import emulator` and `python -m pca_import.aws.emulator`."""
    p.add_argument("--port", type=port_number, default=DEFAULT_PORT, help=f"TCP port, 1-65535 (default {DEFAULT_PORT})")
    p.add_argument("--host", default=DEFAULT_HOST)
