"""Name-constraint work on the worst case issue 17 names: a certificate at AWS's 32 KB limit carrying 2,048 DNS
names, below a root with 4,100 DNS constraint subtrees (2,050 permitted, 2,050 excluded, none matching a name
by accident). Prints the time of `validate_import` on it, the time of the same import with the root's constraints
removed (the floor: parsing, signatures, every other rule) and their ratio, measured in one run; and the codes.

    python benchmarks/bench_name_constraints.py [--names 2048] [--constraints 4100] [--form dns|email|ip]
    PYTHONPATH=/path/to/older/checkout python benchmarks/bench_name_constraints.py   # "before" figures
"""
from __future__ import annotations

import argparse
import ipaddress
import os
import sys
import time

if not os.environ.get("PYTHONPATH"):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402


def _general(form: str, i: int, kind: str):
    if form == "email":
        return x509.RFC822Name(f"m{i:x}@{kind}.io")
    if form == "ip":
        base = 0x0A000000 if kind == "n" else 0xC0A80000
        return x509.IPAddress(ipaddress.ip_address(base + i))
    return x509.DNSName(f"{i:x}.{kind}.io")


def _constraint(form: str, i: int, kind: str):
    if form == "email":
        return x509.RFC822Name(f"{kind}{i:x}.io")
    if form == "ip":
        base = 0x0B000000 if kind == "p" else 0x0C000000
        return x509.IPAddress(ipaddress.ip_network(base + (i << 8)).supernet(new_prefix=24))
    return x509.DNSName(f"{kind}{i:x}.io")


def worst_case(names: int, constraints: int, form: str = "dns"):
    """(certificate PEM, chain PEM with constraints, chain PEM without): the imported CA names `names` SANs,
    all inside one permitted subtree that comes last, outside every excluded one."""
    from pca_import.core.x509build import build_certificate, name, pem
    root_key, sub_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    half = constraints // 2
    permitted = [_constraint(form, i, "p") for i in range(constraints - half - 1)]
    permitted.append({"dns": x509.DNSName("n.io"), "email": x509.RFC822Name("n.io"),
                      "ip": x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))}[form])
    excluded = [_constraint(form, i, "x") for i in range(half)]
    nc = x509.NameConstraints(permitted_subtrees=permitted, excluded_subtrees=excluded)
    root = build_certificate(root_key.public_key(), name("NC Root"), name("NC Root"), root_key,
                             extra_extensions=[(nc, True)])
    plain_root = build_certificate(root_key.public_key(), name("NC Root"), name("NC Root"), root_key)
    san = x509.SubjectAlternativeName([_general(form, i, "n") for i in range(names)])
    sub = build_certificate(sub_key.public_key(), name("Many Names CA"), root.subject, root_key,
                            extra_extensions=[(san, False)])
    return pem(sub).encode(), pem(root).encode(), pem(plain_root).encode()


def over_the_bound(names: int, constraints: int):
    """(certificate, chain): an intermediate with `names` DNS names (up to AWS's 2 MB chain) between the constrained
    root and the imported CA: the one shape whose name-constraint work passes the bound."""
    from pca_import.core.x509build import build_certificate, name, pem
    keys = [ec.generate_private_key(ec.SECP256R1()) for _ in range(3)]
    nc = x509.NameConstraints(permitted_subtrees=[_constraint("dns", i, "p") for i in range(constraints // 2)] +
                              [x509.DNSName("n.io")],
                              excluded_subtrees=[_constraint("dns", i, "x") for i in range(constraints // 2)])
    root = build_certificate(keys[0].public_key(), name("NC Root"), name("NC Root"), keys[0], extra_extensions=[(nc, True)])
    san = x509.SubjectAlternativeName([_general("dns", i, "n") for i in range(names)])
    inter = build_certificate(keys[1].public_key(), name("Many Names Inter"), root.subject, keys[0],
                              extra_extensions=[(san, False)])
    sub = build_certificate(keys[2].public_key(), name("Imported CA"), inter.subject, keys[1])
    return pem(sub).encode(), (pem(inter) + pem(root)).encode()


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--names", type=int, default=2048)
    p.add_argument("--constraints", type=int, default=4100)
    p.add_argument("--form", choices=("dns", "email", "ip"), default="dns")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--bound", type=int, default=0, metavar="NAMES",
                   help="instead: an intermediate with NAMES DNS names in the chain (e.g. 100000), to pass the bound")
    a = p.parse_args()
    from pca_import.core.validate import validate_import
    if a.bound:
        cert, chain = over_the_bound(a.bound, a.constraints)
        took, report = best_of(lambda: validate_import(cert, chain, ca_type="SUBORDINATE"), a.repeat)
        print(f"intermediate with {a.bound} names in a {len(chain)}-byte chain below {a.constraints} subtrees: "
              f"{took * 1000:.1f} ms  codes {sorted(report.codes)}")
        return
    cert, chain, plain = worst_case(a.names, a.constraints, a.form)
    floor, _ = best_of(lambda: validate_import(cert, plain, ca_type="SUBORDINATE"), a.repeat)
    engine, report = best_of(lambda: validate_import(cert, chain, ca_type="SUBORDINATE"), a.repeat)
    print(f"{a.form}: certificate {len(cert)} bytes PEM with {a.names} names; root {len(chain)} bytes PEM with "
          f"{a.constraints} constraint subtrees")
    print(f"  without constraints (floor) {floor * 1000:9.1f} ms")
    print(f"  with constraints            {engine * 1000:9.1f} ms   ratio {engine / floor:6.1f}x   "
          f"codes {sorted(report.codes)}")


if __name__ == "__main__":
    main()
