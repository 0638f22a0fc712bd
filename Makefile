# Two commands do all set-up on a fresh machine:  `make demo` (the main job)  and  `make test`.
PY      ?= python3
VENV    := .venv
VPY     := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
# The policy pack's own virtualenv (pulumi-policy pins an older protobuf than the project's pulumi).
POLICY_VENV  := policy/venv
POLICY_STAMP := $(POLICY_VENV)/.installed

.PHONY: venv policy-venv engine system-deps demo test test-unit test-emulator test-engine test-fast test-install lint bench bench-policy fuzz independent clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

$(POLICY_STAMP): policy/requirements.txt pyproject.toml
	test -x $(POLICY_VENV)/bin/python || $(PY) -m venv $(POLICY_VENV)
	cd policy && venv/bin/python -m pip install -q -r requirements.txt
	touch $(POLICY_STAMP)

policy-venv: $(POLICY_STAMP)

engine:
	scripts/setup_engine.sh

# SoftHSM2, the real PKCS#11 token the HSM signer tests use (Debian/Ubuntu; sudo when not root)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
system-deps:
	@command -v softhsm2-util >/dev/null 2>&1 || { echo "installing softhsm2 (the PKCS#11 token of the HSM tests)"; \
	  $(SUDO) apt-get install -y -qq softhsm2 || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq softhsm2; }; }

demo: venv engine
	$(VPY) scripts/demo.py

# Every tier, the slowest tests listed at the end; lint and types first (seconds).
test: venv policy-venv engine system-deps lint
	$(VPY) -m pytest -q --durations=15

# Tiers (tests/unit, tests/emulator, tests/engine, tests/install): the unit tier is pure and takes seconds.
test-unit: venv
	$(VPY) -m pytest -q tests/unit

test-emulator: venv system-deps
	$(VPY) -m pytest -q tests/emulator

test-engine: venv policy-venv engine system-deps
	$(VPY) -m pytest -q tests/engine

test-fast: test-unit test-emulator

# The built wheel installed with each extra into fresh virtualenvs from PyPI (network; a few minutes)
test-install: venv engine
	$(VPY) -m pytest -q tests/install

# ruff on everything, mypy on the pure core (configured in pyproject.toml)
lint: venv
	$(VPY) -m ruff check pca_import tests benchmarks scripts policy/__main__.py __main__.py
	$(VPY) -m mypy

bench: venv
	$(VPY) benchmarks/bench_rules.py
	$(VPY) benchmarks/bench_provider.py
	$(VPY) benchmarks/bench_renewal.py

bench-policy: venv policy-venv engine
	$(VPY) benchmarks/bench_policy.py
	$(VPY) benchmarks/bench_preview_hierarchy.py

# 100 000 fuzzed inputs (atheris when installed, else the seeded random engine): crashes, worst time and memory
FUZZ_RUNS ?= 100000
fuzz: venv
	$(VPY) benchmarks/fuzz_validate.py --runs $(FUZZ_RUNS)
	$(VPY) benchmarks/bench_hostile_chains.py

# The independent-validator property tests with many more generated hierarchies than the default run
independent: venv
	PCA_IMPORT_HYPOTHESIS_EXAMPLES=$${PCA_IMPORT_HYPOTHESIS_EXAMPLES:-5000} $(VPY) -m pytest -q -s \
		tests/emulator/test_independent_validators.py tests/unit/test_real_roots.py tests/emulator/test_pkits.py

clean:
	rm -rf $(VENV) $(POLICY_VENV) .pulumi-local
