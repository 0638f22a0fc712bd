"""Fuzz the checker: validate_import, the CLI's `validate` (in process) and `tf-external` (JSON on stdin).

A crash is any exception escaping, any FATAL finding (a rule that crashed), or an exit code other than 0/1/2.
Inputs are mutated from the committed seed corpus (benchmarks/fuzz_corpus/): byte edits, DER-aware edits
inside PEM blocks (tags, lengths, versions, string types, truncation, duplicated or dropped elements), PEM
block shuffles, splices between seeds, option and JSON-shape edits. With atheris (coverage-guided, libFuzzer)
when it is installed, else a seeded random engine that keeps inputs producing new outcomes.

    python benchmarks/fuzz_validate.py --runs 100000            # atheris if available (make fuzz)
    python benchmarks/fuzz_validate.py --engine random --runs 2000 --seed 1
    python benchmarks/fuzz_validate.py --replay crash-file       # run one saved input, with its traceback
    python benchmarks/fuzz_validate.py --make-corpus             # regenerate the seed corpus (once)

Reports inputs run, crashes (saved to --out), the worst time per input and the worst traced peak memory per
input (tracemalloc: Python allocations; the process's max RSS is reported too).
"""
from __future__ import annotations

import argparse
import base64
import contextlib
import io
import json
import os
import random
import re
import resource
import sys
import tempfile
import time
import tracemalloc
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT_DIR = os.path.dirname(HERE)
CORPUS_DIR = os.path.join(HERE, "fuzz_corpus")
sys.path.insert(0, ROOT_DIR)

TARGETS = ("validate_import", "cli_validate", "tf_external")
SEP = b"\n--8<--\n"
MAX_LEN = 3 * 1024 * 1024
PEM_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.S)

# ---- the input format ------------------------------------------------------------------------------------
# byte 0 chooses the target; validate targets: options SEP certificate SEP chain SEP csr; tf_external: stdin


def pack(target: int, fields: list[bytes]) -> bytes:
    return bytes([target % len(TARGETS)]) + SEP.join(fields)


def unpack(data: bytes) -> tuple[int, list[bytes]]:
    if not data:
        return 0, [b""] * 4
    target = data[0] % len(TARGETS)
    rest = data[1:]
    if TARGETS[target] == "tf_external":
        return target, [rest]
    fields = rest.split(SEP, 3)
    return target, fields + [b""] * (4 - len(fields))


VALID_OPTIONS = {"ca_type": (None, "ROOT", "SUBORDINATE"), "profile": ("default", "strict"),
                 "days": (0, 30, 36500)}


def parse_options(raw: bytes) -> dict[str, str]:
    out = {}
    for tok in raw.decode("latin-1").split():
        k, _, v = tok.partition("=")
        out[k] = v
    return out


# ---- running one input --------------------------------------------------------------------------------------

class Crash(Exception):
    pass


def _check_report(report) -> None:
    if "FATAL" in report.codes:
        raise Crash("FATAL finding: " + "; ".join(f.message for f in report.findings if f.code == "FATAL")[:500])
    report.to_text(), report.to_json(), report.facts  # renderings must not crash either


def _run_validate_import(fields: list[bytes]) -> None:
    from pca_import.core.validate import validate_import
    opts = parse_options(fields[0])
    ca_type = opts.get("ca_type") if opts.get("ca_type") in ("ROOT", "SUBORDINATE") else None
    profile = opts.get("profile") if opts.get("profile") in ("default", "strict") else "default"
    days = int(opts["days"]) if opts.get("days", "").isdigit() and int(opts["days"]) <= 36500 else 30
    report = validate_import(fields[1] or None, fields[2] or None, csr=fields[3] or None, ca_type=ca_type,
                             profile=profile, expiry_warning_days=days)
    _check_report(report)


_SCRATCH = None


def _scratch() -> str:
    global _SCRATCH
    if _SCRATCH is None:
        base = "/dev/shm" if os.path.isdir("/dev/shm") else None
        _SCRATCH = tempfile.mkdtemp(prefix="pca-import-fuzz-", dir=base)
    return _SCRATCH


def _cli(argv: list[str], stdin: bytes = b"") -> tuple[int, str]:
    from pca_import.integrations.cli import main
    out, err = io.StringIO(), io.StringIO()
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(argv)
    finally:
        sys.stdin = saved
    text = out.getvalue() + err.getvalue()
    if code not in (0, 1, 2):
        raise Crash(f"exit code {code!r}: {text[-300:]}")
    if "Traceback (most recent call last)" in text:
        raise Crash("traceback printed: " + text[-500:])
    if re.search(r"(^|\n)ERROR +FATAL |\"code\": \"FATAL\"", text):
        raise Crash("FATAL finding in output: " + text[-500:])
    return code, text


def _run_cli_validate(fields: list[bytes]) -> None:
    d = _scratch()
    argv = ["validate"]
    for name, data in (("certificate", fields[1]), ("chain", fields[2]), ("csr", fields[3])):
        if name == "certificate" or data:
            path = os.path.join(d, name)
            with open(path, "wb") as fh:
                fh.write(data)
            argv += [f"--{name}", path]
    opts = parse_options(fields[0])
    if opts.get("ca_type"):
        argv += ["--ca-type", opts["ca_type"]]
    if opts.get("profile"):
        argv += ["--profile", opts["profile"]]
    if "days" in opts:
        argv += ["--expiry-warning-days", opts["days"]]
    if opts.get("json") == "1":
        argv.append("--json")
    _cli(argv)


def _run_tf_external(fields: list[bytes]) -> None:
    _cli(["tf-external"], fields[0])


RUNNERS = {"validate_import": _run_validate_import, "cli_validate": _run_cli_validate,
           "tf_external": _run_tf_external}


def run_one(data: bytes, measure_memory: bool = True) -> tuple[str | None, float, int]:
    """(crash description or None, seconds, traced peak bytes) for one input.

    With `measure_memory`, tracemalloc traces this input alone (started and stopped around it): the peak is
    what the input allocated in Python objects at its worst moment (tracing triples the run time)."""
    target, fields = unpack(data)
    if measure_memory:
        tracemalloc.start()
    t0 = time.perf_counter()
    crash = None
    try:
        RUNNERS[TARGETS[target]](fields)
    except Crash as exc:
        crash = f"{TARGETS[target]}: {exc}"
    except RecursionError as exc:
        crash = f"{TARGETS[target]}: RecursionError escaped: {exc}"
    except Exception as exc:  # noqa: BLE001 - this is what the fuzzer is looking for
        tb = traceback.extract_tb(exc.__traceback__)
        where = next((f"{os.path.basename(f.filename)}:{f.lineno}" for f in reversed(tb)
                      if "pca_import" in f.filename), "?")
        crash = f"{TARGETS[target]}: {type(exc).__name__} escaped at {where}: {str(exc)[:200]}"
    elapsed = time.perf_counter() - t0
    peak = 0
    if measure_memory:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return crash, elapsed, peak


# ---- DER-aware mutation -----------------------------------------------------------------------------------------

def der_parse(data: bytes, depth: int = 0):
    """A DER element list [(tag, children-or-bytes)], parsed leniently (None on anything odd)."""
    items, i = [], 0
    while i < len(data):
        if i + 2 > len(data):
            return None
        tag, first = data[i], data[i + 1]
        i += 2
        if first < 0x80:
            length = first
        else:
            n = first & 0x7F
            if n == 0 or n > 4 or i + n > len(data):
                return None
            length = int.from_bytes(data[i:i + n], "big")
            i += n
        if i + length > len(data):
            return None
        body = data[i:i + length]
        i += length
        constructed = tag & 0x20 and depth < 12
        children = der_parse(body, depth + 1) if constructed else None
        items.append([tag, children if children is not None else body])
    return items


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def der_encode(items) -> bytes:
    out = b""
    for tag, body in items:
        content = der_encode(body) if isinstance(body, list) else body
        out += bytes([tag]) + _len(len(content)) + content
    return out


def _nodes(items, acc):
    for idx, node in enumerate(items):
        acc.append((items, idx))
        if isinstance(node[1], list):
            _nodes(node[1], acc)
    return acc


STRING_TAGS = (0x0C, 0x13, 0x16, 0x14, 0x1E, 0x1C, 0x12, 0x1A)  # UTF8, Printable, IA5, T61, BMP, Universal, ...


def der_mutate(der: bytes, rng: random.Random) -> bytes:
    items = der_parse(der)
    if not items:
        return _byte_mutate(der, rng)
    nodes = _nodes(items, [])
    parent, idx = rng.choice(nodes)
    node = parent[idx]
    op = rng.randrange(12)
    if op == 0:                                   # another tag
        node[0] = rng.choice([0x02, 0x04, 0x05, 0x06, 0x30, 0x31, 0xA0, 0xA3, 0x80, 0x81, 0x17, 0x18] + list(STRING_TAGS))
    elif op == 1 and not isinstance(node[1], list):   # string type swap / bad characters
        node[0] = rng.choice(STRING_TAGS)
        if rng.random() < 0.5 and node[1]:
            b = bytearray(node[1])
            b[rng.randrange(len(b))] = rng.choice([0x00, 0x80, 0xFF, 0xC3, 0x7F])
            node[1] = bytes(b)
    elif op == 2:                                 # drop the element
        del parent[idx]
    elif op == 3:                                 # duplicate it
        parent.insert(idx, [node[0], node[1]])
    elif op == 4 and not isinstance(node[1], list):   # integers: version, serial, lengths
        node[1] = rng.choice([b"\x05", b"\x00", b"\xff", b"\x80", b"\x7f" * rng.randrange(1, 40), b"", b"\x02"])
    elif op == 5 and not isinstance(node[1], list) and node[1]:
        b = bytearray(node[1])
        for _ in range(rng.randrange(1, 4)):
            b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
        node[1] = bytes(b)
    elif op == 6:                                 # swap two siblings
        j = rng.randrange(len(parent))
        parent[idx], parent[j] = parent[j], parent[idx]
    elif op == 7 and not isinstance(node[1], list):   # grow
        node[1] = node[1] * rng.randrange(2, 50)
    elif op == 8:                                 # emptied
        node[1] = b"" if not isinstance(node[1], list) else []
    elif op == 9:                                 # deep nesting
        inner = [node[0], node[1]]
        for _ in range(rng.randrange(1, 60)):
            inner = [0x30, [inner]]
        parent[idx] = inner
    out = der_encode(items)
    if op >= 10:                                  # a wrong length byte somewhere
        b = bytearray(out)
        pos = rng.randrange(min(len(b), 64))
        b[pos] = rng.choice([0x00, 0x7F, 0x80, 0x81, 0x82, 0x84, 0x88, 0xFF])
        out = bytes(b)
    return out


def _byte_mutate(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 20)))
    b = bytearray(data)
    op = rng.randrange(6)
    if op == 0:
        for _ in range(rng.randrange(1, 8)):
            b[rng.randrange(len(b))] = rng.randrange(256)
    elif op == 1:
        return bytes(b[:rng.randrange(len(b))])
    elif op == 2:
        i = rng.randrange(len(b))
        del b[i:i + rng.randrange(1, 64)]
    elif op == 3:
        i, j = rng.randrange(len(b)), rng.randrange(len(b))
        b[i:i] = b[j:j + rng.randrange(1, 128)]
    elif op == 4:
        i = rng.randrange(len(b))
        b[i:i] = rng.choice([b"\r\n", b"\x00", b"-----BEGIN CERTIFICATE-----\n", b"-----END CERTIFICATE-----\n",
                             b"=", b" ", b"\xff\xfe", "é".encode(), b"-----BEGIN PRIVATE KEY-----\n"])
    else:
        b = b.replace(b"\n", rng.choice([b"\r\n", b"\n\n", b"", b"  \n"]), rng.randrange(1, 20))
    return bytes(b)


def pem_blocks(data: bytes) -> list[tuple[bytes, bytes]]:
    return [(m.group(1), m.group(2)) for m in PEM_RE.finditer(data)]


def to_pem(label: bytes, der: bytes) -> bytes:
    body = base64.b64encode(der)
    lines = b"\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return b"-----BEGIN " + label + b"-----\n" + lines + b"\n-----END " + label + b"-----\n"


def pem_mutate(data: bytes, rng: random.Random) -> bytes:
    blocks = pem_blocks(data)
    if not blocks:
        return _byte_mutate(data, rng)
    op = rng.randrange(6)
    ders = []
    for label, body in blocks:
        try:
            ders.append((label, base64.b64decode(re.sub(rb"\s", b"", body))))
        except ValueError:
            ders.append((label, body))
    i = rng.randrange(len(ders))
    if op <= 2:
        ders[i] = (ders[i][0], der_mutate(ders[i][1], rng))
    elif op == 3:
        rng.shuffle(ders)
    elif op == 4:
        ders.insert(rng.randrange(len(ders) + 1), ders[i] if rng.random() < 0.7 else
                    (rng.choice([b"CERTIFICATE REQUEST", b"PKCS7", b"EC PRIVATE KEY", b"X509 CRL"]), ders[i][1]))
    else:
        del ders[i]
    return b"".join(to_pem(label, der) for label, der in ders)


INTERESTING_OPTIONS = [b"", b"ca_type=ROOT", b"ca_type=SUBORDINATE", b"profile=strict", b"json=1", b"days=0",
                       b"days=36500", b"days=1000000000", b"days=-5", b"ca_type=BOGUS", b"profile=lax", b"days=abc"]


def json_mutate(raw: bytes, rng: random.Random, pool: list[bytes]) -> bytes:
    try:
        q = json.loads(raw)
    except (ValueError, RecursionError):
        return _byte_mutate(raw, rng)
    weird = [1, 1.5, True, None, [], {}, ["x"], "", "\x00", "é" * 10, -1, 10 ** 30]
    op = rng.randrange(7)
    if isinstance(q, dict) and q:
        k = rng.choice(sorted(q))
        if op == 0:
            q[k] = rng.choice(weird)
        elif op == 1:
            del q[k]
        elif op == 2:
            q[rng.choice(["certificate", "certificate_chain", "csr", "ca_type", "profile", "x", ""])] = \
                rng.choice(pool).decode("latin-1") if pool else ""
        elif op == 3 and isinstance(q[k], str):
            q[k] = pem_mutate(q[k].encode("latin-1"), rng).decode("latin-1")
        elif op == 4:
            return json.dumps(rng.choice([[q], q, "s", 1, None, True])).encode()
        elif op == 5:
            text = json.dumps(q)
            return text.replace('"', "", 1).encode() if rng.random() < 0.5 else (text + "NaN").encode()
        else:
            n = rng.randrange(1, 3000)
            return ("[" * n + "]" * n).encode() if rng.random() < 0.5 else ('{"a":' * n + "1" + "}" * n).encode()
    else:
        q = {"certificate": rng.choice(pool).decode("latin-1") if pool else ""}
    return json.dumps(q).encode()


class Mutator:
    """Structure-aware mutations of packed inputs; `pool` holds certificate/CSR texts to splice in."""

    def __init__(self, seeds: list[bytes]):
        self.seeds = seeds
        self.pool = [f for s in seeds for f in unpack(s)[1] if b"-----BEGIN" in f]

    def mutate(self, data: bytes, rng: random.Random) -> bytes:
        target, fields = unpack(data)
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            r = rng.random()
            if TARGETS[target] == "tf_external":
                fields[0] = json_mutate(fields[0], rng, self.pool) if r < 0.8 else _byte_mutate(fields[0], rng)
                continue
            if r < 0.1:
                fields[0] = rng.choice(INTERESTING_OPTIONS)
            elif r < 0.15:
                target = rng.randrange(2)   # between the two validate targets
            else:
                k = rng.randrange(1, 4)
                if r < 0.6:
                    fields[k] = pem_mutate(fields[k], rng)
                elif r < 0.75:
                    fields[k] = _byte_mutate(fields[k], rng)
                elif r < 0.9 and self.pool:
                    fields[k] = rng.choice(self.pool)
                else:
                    j = rng.randrange(1, 4)
                    fields[k], fields[j] = fields[j], fields[k]
        out = pack(target, fields)
        return out[:MAX_LEN]


# ---- seeds ---------------------------------------------------------------------------------------------------

def _read(name: str) -> bytes:
    with open(os.path.join(CORPUS_DIR, name), "rb") as fh:
        return fh.read()


def seed_inputs() -> list[bytes]:
    """The fuzzer's starting inputs, composed from the committed corpus files."""
    names = sorted(os.listdir(CORPUS_DIR))
    pem = {n: _read(n) for n in names if n.endswith((".pem", ".csr"))}
    seeds = []
    for target in (0, 1):
        seeds += [
            pack(target, [b"ca_type=SUBORDINATE", pem["ec_issuing.pem"], pem["ec_chain.pem"], pem["ec_issuing.csr"]]),
            pack(target, [b"", pem["ec_issuing.pem"], pem["ec_chain.pem"], b""]),
            pack(target, [b"ca_type=ROOT", pem["ec_root.pem"], b"", b""]),
            pack(target, [b"json=1", pem["rsa_sub.pem"], pem["rsa_root.pem"], pem["rsa_sub.csr"]]),
            pack(target, [b"ca_type=ROOT profile=strict", pem["sha1_rsa_root.pem"], b"", b""]),
            pack(target, [b"", pem["ed25519_root.pem"], b"", b""]),
            pack(target, [b"", pem["nc_sub.pem"], pem["nc_chain.pem"], b""]),
            pack(target, [b"days=36500", pem["ec_issuing.pem"], pem["ec_chain.pem"], pem["rsa_sub.csr"]]),
        ]
    seeds += [pack(2, [_read(n)]) for n in names if n.endswith(".json")]
    return seeds


def make_corpus() -> None:
    """Write benchmarks/fuzz_corpus/ (run once; the committed files are the corpus)."""
    sys.path.insert(0, os.path.join(ROOT_DIR, "tests", "support"))
    from cryptography.hazmat.primitives import serialization

    from pca_import.core.x509build import make_csr
    from pki_gen import HierarchySpec, LevelSpec, build, clean, pem, pems, with_level
    os.makedirs(CORPUS_DIR, exist_ok=True)

    def w(name, data):
        with open(os.path.join(CORPUS_DIR, name), "wb") as fh:
            fh.write(data)
    ec = build(clean(3))
    w("ec_root.pem", pem(ec.certs[0]))
    w("ec_issuing.pem", pem(ec.certs[2]))
    w("ec_chain.pem", pems([ec.certs[1], ec.certs[0]]))
    w("ec_issuing.csr", make_csr(ec.keys[2], ec.certs[2].subject).public_bytes(serialization.Encoding.PEM))
    rsa = build(clean(2, "rsa2048"))
    w("rsa_root.pem", pem(rsa.certs[0]))
    w("rsa_sub.pem", pem(rsa.certs[1]))
    w("rsa_sub.csr", make_csr(rsa.keys[1], rsa.certs[1].subject).public_bytes(serialization.Encoding.PEM))
    w("sha1_rsa_root.pem", pem(build(with_level(clean(1, "rsa2048"), 0, sha1=True)).certs[0]))
    w("ed25519_root.pem", pem(build(clean(1, "ed25519")).certs[0]))
    nc = build(HierarchySpec(levels=(LevelSpec(permitted=("dir_org", "dns_example"), excluded=("ip_10",)),
                                     LevelSpec(), LevelSpec()), san=("dns_in", "email_in")))
    w("nc_sub.pem", pem(nc.certs[2]))
    w("nc_chain.pem", pems([nc.certs[1], nc.certs[0]]))
    q = {"certificate": pem(ec.certs[2]).decode(), "certificate_chain": pems([ec.certs[1], ec.certs[0]]).decode(),
         "csr": make_csr(ec.keys[2], ec.certs[2].subject).public_bytes(serialization.Encoding.PEM).decode(),
         "ca_type": "SUBORDINATE"}
    w("query_sub.json", json.dumps(q).encode())
    w("query_root.json", json.dumps({"certificate": pem(ec.certs[0]).decode(), "ca_type": ""}).encode())
    w("query_wrong_types.json", b'{"certificate": 1, "certificate_chain": ["a"], "csr": true, "ca_type": null}')
    w("query_list.json", b'[{"certificate": ""}]')
    w("query_nan.json", b'{"certificate": NaN, "profile": Infinity}')
    w("query_nested.json", b"[" * 500 + b"]" * 500)


# ---- engines -----------------------------------------------------------------------------------------------------

class Stats:
    """Counts, crashes (saved), the worst time and memory per input.

    Memory: tracemalloc on every `memory_every`-th input and on every input over 64 KB (the ones that can
    allocate much), and the process's max RSS after every input: an input that raises it is charged the rise."""

    def __init__(self, out_dir: str, measure_memory: bool, memory_every: int = 10):
        self.out_dir, self.measure_memory, self.memory_every = out_dir, measure_memory, memory_every
        self.memory_measured = 0
        self.worst_rss_rise = (0, b"")
        self.runs = 0
        self.crashes: dict[str, int] = {}
        self.worst_time, self.worst_peak = (0.0, b""), (0, b"")
        self.rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        self.started = time.perf_counter()
        self.outcomes: set = set()
        os.makedirs(out_dir, exist_ok=True)

    def run(self, data: bytes) -> str | None:
        measure = self.measure_memory and (self.runs % self.memory_every == 0 or len(data) > 65536)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        crash, seconds, peak = run_one(data, measure)
        rise = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
        if rise > self.worst_rss_rise[0]:
            self.worst_rss_rise = (rise, data)
        self.memory_measured += measure
        self.runs += 1
        if seconds > self.worst_time[0]:
            self.worst_time = (seconds, data)
        if peak > self.worst_peak[0]:
            self.worst_peak = (peak, data)
        if crash:
            key = re.sub(r"0x[0-9a-f]+|\d+", "N", crash)[:160]
            n = self.crashes.get(key, 0)
            self.crashes[key] = n + 1
            if n < 3:
                with open(os.path.join(self.out_dir, f"crash-{len(self.crashes)}-{n}.bin"), "wb") as fh:
                    fh.write(data)
        return crash

    def summary(self) -> dict:
        for name, (_v, data) in (("worst-time.bin", self.worst_time), ("worst-memory.bin", self.worst_peak)):
            with open(os.path.join(self.out_dir, name), "wb") as fh:
                fh.write(data)
        return {"inputs": self.runs, "crashes": sum(self.crashes.values()), "crash_kinds": self.crashes,
                "worst_seconds_per_input": round(self.worst_time[0], 4),
                "worst_traced_peak_bytes_per_input": self.worst_peak[0],
                "inputs_memory_traced": self.memory_measured,
                "worst_max_rss_rise_kib_per_input": self.worst_rss_rise[0],
                "max_rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                "wall_seconds": round(time.perf_counter() - self.started, 1), "saved_to": self.out_dir}


def fuzz_random(runs: int, seed: int, stats: Stats, progress: bool = False) -> dict:
    """A seeded, deterministic engine: mutate from a pool that keeps inputs with a new outcome."""
    rng = random.Random(seed)
    seeds = seed_inputs()
    mut = Mutator(seeds)
    pool = list(seeds)
    for s in seeds:              # warm-up: first calls import modules; not counted in the figures
        run_one(s, False)
    for s in seeds:
        stats.run(s)
    while stats.runs < runs:
        data = mut.mutate(rng.choice(pool), rng)
        target, fields = unpack(data)
        crash = stats.run(data)
        signature = (target, crash is not None, _outcome_signature())
        if signature not in stats.outcomes:
            stats.outcomes.add(signature)
            if len(pool) < 5000 and len(data) < 200_000:
                pool.append(data)
        if progress and stats.runs % 5000 == 0:
            print(json.dumps({k: v for k, v in stats.summary().items() if k != "crash_kinds"}), flush=True)
    return stats.summary()


_LAST_CODES: list = []


def _outcome_signature():
    return tuple(_LAST_CODES)


def _remember_codes():
    """Wrap validate_import so the random engine can see which finding codes an input produced."""
    import pca_import.core.validate as engine
    original = engine.validate_import

    def wrapped(*a, **kw):
        report = original(*a, **kw)
        _LAST_CODES[:] = sorted(report.codes)
        return report
    engine.validate_import = wrapped
    import pca_import.integrations.cli as cli
    cli.validate_import = wrapped


def fuzz_atheris(runs: int, seed: int, stats: Stats) -> None:
    import atheris
    with atheris.instrument_imports():
        import pca_import.integrations.cli  # noqa: F401
        import pca_import.core.validate  # noqa: F401
    seeds = seed_inputs()
    mut = Mutator(seeds)
    corpus_dir = tempfile.mkdtemp(prefix="pca-import-fuzz-corpus-")
    for i, s in enumerate(seeds):
        with open(os.path.join(corpus_dir, f"seed-{i}"), "wb") as fh:
            fh.write(s)

    for s in seeds:   # warm-up: first calls import modules; not counted in the figures
        run_one(s, False)

    def test_one(data: bytes) -> None:
        stats.run(data)
        if stats.runs % 10000 == 0 or stats.runs >= runs:
            summary = stats.summary()
            print(json.dumps(summary), flush=True)
            with open(os.path.join(stats.out_dir, "summary.json"), "w") as fh:
                json.dump(summary, fh, indent=2)
        if stats.runs >= runs:
            os._exit(0 if not stats.crashes else 1)

    def custom_mutator(data: bytes, max_size: int, s: int) -> bytes:
        rng = random.Random(s)
        if rng.random() < 0.25:
            return atheris.Mutate(data, max_size)
        return mut.mutate(data, rng)[:max_size]

    argv = [sys.argv[0], f"-runs={runs * 2}", f"-seed={seed}", f"-max_len={MAX_LEN}", "-rss_limit_mb=4096",
            "-timeout=60", corpus_dir]
    atheris.Setup(argv, test_one, custom_mutator=custom_mutator)
    atheris.Fuzz()


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--runs", type=int, default=100_000)
    p.add_argument("--engine", choices=("auto", "atheris", "random"), default="auto")
    p.add_argument("--seed", type=int, default=20261129)
    p.add_argument("--out", default=os.path.join(tempfile.gettempdir(), "pca-import-fuzz"))
    p.add_argument("--no-memory", action="store_true", help="skip tracemalloc (faster, no memory figure)")
    p.add_argument("--memory-every", type=int, default=10, metavar="N",
                   help="trace memory on every Nth input (and every input over 64 KB); 1 = all")
    p.add_argument("--replay", metavar="FILE")
    p.add_argument("--make-corpus", action="store_true")
    args = p.parse_args(argv)
    if args.make_corpus:
        make_corpus()
        return 0
    if args.replay:
        with open(args.replay, "rb") as fh:
            data = fh.read()
        target, fields = unpack(data)
        print(f"target {TARGETS[target]}, fields {[len(f) for f in fields]}")
        RUNNERS[TARGETS[target]](fields)  # raises with the full traceback
        print("no crash")
        return 0
    stats = Stats(args.out, not args.no_memory, args.memory_every)
    engine = args.engine
    if engine == "auto":
        try:
            import atheris  # noqa: F401
            engine = "atheris"
        except ImportError:
            engine = "random"
    print(f"engine {engine}, {args.runs} inputs, crashes and worst inputs saved to {args.out}", flush=True)
    if engine == "atheris":
        fuzz_atheris(args.runs, args.seed, stats)
        return 0
    _remember_codes()
    summary = fuzz_random(args.runs, args.seed, stats, progress=True)
    print(json.dumps(summary, indent=2))
    return 1 if summary["crashes"] else 0


if __name__ == "__main__":
    sys.exit(main())
