"""pca-import's verdict against independent RFC 5280 path validators, on generated CA hierarchies.

hypothesis generates hierarchies (tests/pki_gen.py): depth 1..6, RSA 2048 / P-256 / P-384 / Ed25519 keys,
basic constraints and key usage variants, critical extensions, name constraints, validity, RFC-equal name
spellings, signature faults, SHA-1, self-issued CAs, chain order, extra certificates. For each, pca-import
validates the import (ROOT for depth 1, else SUBORDINATE of the lowest CA with the rest as chain) and
pyhanko-certvalidator and `openssl verify` (tests/independent.py) validate a path through the imported CA.
Every disagreement must be one of the documented differences (independent.DIFFERENCES, README "Differences
from RFC 5280 path validation"); anything else fails.

    PCA_IMPORT_HYPOTHESIS_EXAMPLES=5000 pytest -s tests/test_independent_validators.py   # a bigger run
    PCA_IMPORT_HYPOTHESIS_SHRINK=1 ...   # fail at the first unexplained case, shrunk by hypothesis
"""
from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import replace

import pytest

from paths import REPO
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from independent import DIFFERENCES, VALIDATORS, classify
from pca_import.core.validate import validate_import
from pki_gen import (EXTRA_EXTENSIONS, KEY_TYPES, NOW, WEAK_KEY_TYPES, SAN_NAMES, SUBTREES, HierarchySpec, LevelSpec, build,
                     clean, pem, pems, with_level)

EXAMPLES = int(os.environ.get("PCA_IMPORT_HYPOTHESIS_EXAMPLES", "200"))
SHRINK = os.environ.get("PCA_IMPORT_HYPOTHESIS_SHRINK") == "1"
REPORT_PATH = os.environ.get("PCA_IMPORT_DIFF_REPORT")  # optional: write the counts as JSON here


def pca_verdict(b):
    if b.spec.is_root_import:
        return validate_import(pem(b.imported), None, ca_type="ROOT", now=NOW)
    return validate_import(pem(b.imported), pems(b.chain), ca_type="SUBORDINATE", now=NOW)


# ---- the strategy ------------------------------------------------------------------------------------------

def _mostly(common, *rare, weight: int = 3):
    return st.sampled_from([common] * weight + list(rare))


@st.composite
def hierarchies(draw) -> HierarchySpec:
    depth = draw(st.integers(1, 6))
    levels = []
    for i in range(depth):
        # the imported CA (last level) rarely gets Ed25519: no Private CA holds it (KEY004), which would otherwise
        # decide a quarter of all cases before anything else is looked at
        keys = KEY_TYPES if i < depth - 1 else [k for k in KEY_TYPES if k != "ed25519"] * 4 + ["ed25519"]
        lv = LevelSpec(key=draw(st.sampled_from(keys)),
                       issuer_variant=draw(_mostly("exact", "case", "spaces", "printable", weight=9)))
        if draw(st.integers(0, 3)) == 0:
            lv = replace(lv, path_len=draw(st.integers(0, 5)))
        levels.append(lv)
    spec = HierarchySpec(levels=tuple(levels))
    nc_levels = range(depth - 1)  # a CA's own constraints only concern what it issues, never itself
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["bc", "ku", "ext", "nc", "validity", "sig", "sha1", "self_issued", "weak_key",
                                     "kid_critical"]))
        i = draw(st.integers(0, depth - 1))
        lv = spec.levels[i]
        if kind == "bc":
            choice = draw(st.sampled_from(["absent", "noncritical", "ca_false"]))
            lv = replace(lv, ca=False) if choice == "ca_false" else replace(lv, bc=choice)
        elif kind == "ku":
            lv = replace(lv, ku=draw(st.sampled_from(["absent", "noncritical", "no_cert_sign"])))
        elif kind == "ext":
            ext = draw(st.sampled_from(EXTRA_EXTENSIONS))
            if any(e == ext for e, _ in lv.extras):   # one extension of a kind per certificate
                continue
            lv = replace(lv, extras=lv.extras + ((ext, draw(st.booleans())),))
        elif kind == "nc":
            if i not in nc_levels:
                continue
            names = st.lists(st.sampled_from(sorted(SUBTREES)), max_size=2, unique=True)
            permitted, excluded = tuple(draw(names)), tuple(draw(names))
            if not (permitted or excluded):
                permitted = ("dir_org",)
            lv = replace(lv, permitted=permitted, excluded=excluded, nc_critical=draw(_mostly(True, False)))
        elif kind == "validity":
            lv = replace(lv, validity=draw(st.sampled_from(["expired", "not_yet_valid", "outlives_parent",
                                                            "expiring_soon"])))
        elif kind == "sig":
            lv = replace(lv, signature=draw(st.sampled_from(["flip", "wrong_key"])))
        elif kind == "sha1":
            signer = spec.levels[i - 1] if i > 0 else lv
            if signer.key == "ed25519":
                continue
            lv = replace(lv, sha1=True)
        elif kind == "self_issued":
            if i == 0:
                continue
            lv = replace(lv, self_issued=True)
        elif kind == "weak_key":
            lv = replace(lv, key=draw(st.sampled_from(WEAK_KEY_TYPES)))
        elif kind == "kid_critical":
            lv = replace(lv, kid_critical=draw(st.sampled_from(["aki", "ski"])))
        spec = with_level(spec, i, **lv.__dict__)
    if any(lv.permitted or lv.excluded for lv in spec.levels):
        spec = replace(spec, san=tuple(draw(st.lists(st.sampled_from(sorted(SAN_NAMES)), max_size=2, unique=True))))
    if depth > 1:
        spec = replace(spec, order=draw(_mostly("given", "reversed", "shuffled", weight=6)),
                       shuffle_seed=draw(st.integers(0, 1000)),
                       omit_root=draw(st.integers(0, 11)) == 0,
                       extras=tuple(draw(st.lists(st.sampled_from(["unrelated_root", "unrelated_sub", "duplicate",
                                                                   "imported_copy"]), max_size=1)))
                       if draw(st.integers(0, 5)) == 0 else ())
    return spec


# ---- bookkeeping -----------------------------------------------------------------------------------------

def _short(reason: str) -> str:
    reason = re.sub(r"\d{4}-\d\d-\d\d[ T][\d:]+Z?", "<time>", reason)
    reason = re.sub(r"[0-9A-F]{12,}", "<hex>", reason)
    return reason[:150]


class Tally:
    def __init__(self):
        self.cases = 0
        self.pca_ok = 0
        self.agree: Counter = Counter()
        self.explained: Counter = Counter()       # (validator, difference key)
        self.abstained: Counter = Counter()       # (validator, reason)
        self.abstain_examples: dict = {}
        self.unexplained: list[dict] = []
        self.unexplained_groups: Counter = Counter()

    def record(self, spec, report, validator, verdict, keys):
        if verdict.ok is None:
            self.abstained[(validator, _short(verdict.reason))] += 1
            self.abstain_examples.setdefault((validator, _short(verdict.reason)), spec.describe())
        elif keys == []:
            self.agree[validator] += 1
        elif keys is None:
            direction = "pca-import rejects, validator accepts" if not report.ok else \
                "validator rejects, pca-import accepts"
            codes = sorted({f.code for f in report.errors})
            group = (validator, direction, " ".join(codes), _short(verdict.reason)[:90])
            self.unexplained_groups[group] += 1
            if self.unexplained_groups[group] <= 3:
                self.unexplained.append({"validator": validator, "direction": direction, "spec": spec.describe(),
                                         "pca": [f"{f.code} {f.location}: {f.message[:160]}" for f in report.errors],
                                         "validator_reason": _short(verdict.reason)})
        else:
            for k in keys:
                self.explained[(validator, k)] += 1

    def text(self) -> str:
        lines = [f"generated cases: {self.cases} (pca-import accepts {self.pca_ok})"]
        for v in VALIDATORS:
            lines.append(f"  {v}: agrees on {self.agree[v]}")
            for d in DIFFERENCES:
                if self.explained[(v, d.key)]:
                    lines.append(f"    documented difference {d.key:20} {self.explained[(v, d.key)]}")
        for (v, reason), n in sorted(self.abstained.items()):
            lines.append(f"  {v} cannot judge ({n}): {reason}  e.g. {self.abstain_examples[(v, reason)]}")
        if self.unexplained_groups:
            lines.append("UNEXPLAINED disagreements (group: count):")
            for (v, direction, codes, reason), n in self.unexplained_groups.most_common():
                lines.append(f"  [{n}] {v}: {direction}; pca-import errors: {codes or '-'}; {v}: {reason or 'ok'}")
            lines.append("examples:")
            for u in self.unexplained[:25]:
                lines.append("  " + json.dumps(u))
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {"cases": self.cases, "pca_ok": self.pca_ok, "agree": dict(self.agree),
                "explained": {f"{v}:{k}": n for (v, k), n in self.explained.items()},
                "abstained": {f"{v}:{r}": n for (v, r), n in self.abstained.items()},
                "unexplained": {" | ".join(g): n for g, n in self.unexplained_groups.items()},
                "unexplained_examples": self.unexplained}


def check_one(spec: HierarchySpec, tally: Tally) -> None:
    b = build(spec)
    report = pca_verdict(b)
    assert "FATAL" not in report.codes, report.to_text()
    tally.cases += 1
    tally.pca_ok += report.ok
    for name, validate in VALIDATORS.items():
        verdict = validate(b)
        keys = classify(b, report, name, verdict)
        tally.record(spec, report, name, verdict, keys)
        if SHRINK and keys is None:
            raise AssertionError(f"{name}: {verdict}\n{report.to_text()}\n{spec.describe()}")


# ---- the tests -------------------------------------------------------------------------------------------

def test_generated_hierarchies_agree_with_independent_validators():
    tally = Tally()

    @settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck),
              phases=[Phase.generate, Phase.shrink] if SHRINK else [Phase.generate])
    @given(hierarchies())
    def run(spec):
        check_one(spec, tally)

    run()
    print("\n" + tally.text())
    if REPORT_PATH:
        with open(REPORT_PATH, "w") as fh:
            json.dump(tally.to_json(), fh, indent=2)
    assert tally.cases >= min(EXAMPLES, 100) * 0.9
    assert not tally.unexplained_groups, tally.text()


# One hand-built case per documented difference, so each entry of the list is shown to be needed and to
# classify as itself (and the classifier is tested on known inputs).
C3 = clean(3)
DIFFERENCE_CASES = {
    "bc-critical": with_level(C3, 1, bc="noncritical"),
    "depth": clean(6),
    "chain-order": replace(C3, order="reversed"),
    "root-in-chain": replace(C3, omit_root=True),
    "critical-extensions": with_level(C3, 1, extras=(("crldp", True),)),
    "nc-unsupported-forms": with_level(C3, 1, excluded=("registered_id",)),
    "trust-anchor": with_level(C3, 0, ku="no_cert_sign"),
    "ca-key-usage": with_level(C3, 1, ku="absent"),
    "ca-key": with_level(C3, 2, key="rsa1024"),
    "kid-critical": with_level(C3, 1, kid_critical="aki"),
}


@pytest.mark.parametrize("key", [d.key for d in DIFFERENCES])
def test_each_documented_difference_has_a_case(key):
    spec = DIFFERENCE_CASES[key]
    b = build(spec)
    report = pca_verdict(b)
    seen = set()
    for name, validate in VALIDATORS.items():
        verdict = validate(b)
        keys = classify(b, report, name, verdict)
        assert keys is not None, f"{name}: {verdict} / {report.to_text()}"
        seen.update(keys)
    d = next(d for d in DIFFERENCES if d.key == key)
    if d.validators <= set(VALIDATORS):
        assert key in seen, (key, seen, report.to_text())


# an Ed25519 hierarchy imports a P-256 CA: no Private CA holds an Ed25519 key (KEY004, the `ca-key` difference)
@pytest.mark.parametrize("spec", [with_level(clean(n, k), n - 1, key="p256") if k == "ed25519" else clean(n, k)
                                  for n in (1, 3) for k in KEY_TYPES], ids=lambda s: s.describe()[:40])
def test_clean_hierarchies_are_accepted_by_everyone(spec):
    b = build(spec)
    assert pca_verdict(b).ok, pca_verdict(b).to_text()
    for name, validate in VALIDATORS.items():
        assert validate(b).ok, (name, validate(b))


def test_readme_lists_every_documented_difference():
    """The classifier's list and the README's "Differences from RFC 5280 path validation" are the same list."""
    readme = (REPO / "docs" / "rules.md").read_text()
    start = readme.find("Differences from RFC 5280 path validation")
    assert start >= 0, "README has no 'Differences from RFC 5280 path validation'"
    section = readme[start:readme.find("\n**", start + 10)]
    missing = [f"{d.key} ({d.readme}): {d.rule}" for d in DIFFERENCES if d.readme not in section]
    assert not missing, "docs/rules.md differences section lacks:\n" + "\n".join(missing)


# Cases the generator found or the issue names, pinned so the default run always has them.
PINNED = {
    "SHA-1 RSA root": with_level(clean(1, "rsa2048"), 0, sha1=True),
    "SHA-1 ECDSA root": with_level(clean(1), 0, sha1=True),
    "SHA-1 ECDSA intermediate": with_level(clean(3), 1, sha1=True),
    "SHA-1 RSA root in a chain": with_level(clean(3, "rsa2048"), 0, sha1=True),
    "issuer spelled in capitals": with_level(clean(3), 2, issuer_variant="case"),
    "issuer with extra spaces": with_level(clean(3), 1, issuer_variant="spaces"),
    "issuer as PrintableString": with_level(clean(3), 1, issuer_variant="printable"),
    "root issuer spelled differently": with_level(clean(1), 0, issuer_variant="case"),
    "self-issued imported CA under pathLen 0": with_level(with_level(clean(3), 1, path_len=0), 2, self_issued=True),
    "self-issued CA under pathLen 1": with_level(with_level(clean(4), 0, path_len=1), 2, self_issued=True),
    "excluded directoryName of the imported CA": with_level(clean(3), 1, excluded=("dir_imported",)),
    "permitted DNS not covering the SAN": replace(with_level(clean(3), 0, permitted=("dns_example",)), san=("dns_out",)),
    "registeredID constraint": with_level(clean(3), 1, excluded=("registered_id",)),
    "reversed and root missing": replace(with_level(clean(4), 1, path_len=1), order="reversed", omit_root=True),
    "wrong key in the middle": with_level(clean(3), 1, signature="wrong_key"),
    "RSA-1024 imported CA": with_level(clean(3), 2, key="rsa1024"),
    "P-192 root import": with_level(clean(1), 0, key="p192"),
    "RSA-1024 intermediate in the chain": with_level(clean(3), 1, key="rsa1024"),
    "critical SKI on the root": with_level(clean(3), 0, kid_critical="ski"),
    "critical AKI on the imported CA": with_level(clean(3), 2, kid_critical="aki"),
}


@pytest.mark.parametrize("name", sorted(PINNED))
def test_pinned_cases_agree_or_differ_as_documented(name):
    b = build(PINNED[name])
    report = pca_verdict(b)
    assert "FATAL" not in report.codes
    for validator, validate in VALIDATORS.items():
        verdict = validate(b)
        assert classify(b, report, validator, verdict) is not None, \
            f"{validator}: {verdict}\npca-import:\n{report.to_text()}"
