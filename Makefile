# Two commands do all set-up on a fresh machine:  `make demo` (the main job)  and  `make test`.
PY      ?= python3
VENV    := .venv
VPY     := $(VENV)/bin/python
STAMP   := $(VENV)/.installed

.PHONY: venv engine demo test test-fast bench fuzz independent clean

$(STAMP): requirements.txt pyproject.toml
	test -x $(VPY) || $(PY) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -r requirements.txt
	touch $(STAMP)

venv: $(STAMP)

engine:
	scripts/setup_engine.sh

demo: venv engine
	$(VPY) scripts/demo.py

test: venv engine
	$(VPY) -m pytest -q

test-fast: venv
	$(VPY) -m pytest -q -m "not engine"

bench: venv
	$(VPY) benchmarks/bench_rules.py
	$(VPY) benchmarks/bench_provider.py

# 100 000 fuzzed inputs (atheris when installed, else the seeded random engine): crashes, worst time and memory
FUZZ_RUNS ?= 100000
fuzz: venv
	$(VPY) benchmarks/fuzz_validate.py --runs $(FUZZ_RUNS)
	$(VPY) benchmarks/bench_hostile_chains.py

# The independent-validator property tests with many more generated hierarchies than the default run
independent: venv
	PCA_IMPORT_HYPOTHESIS_EXAMPLES=$${PCA_IMPORT_HYPOTHESIS_EXAMPLES:-5000} $(VPY) -m pytest -q -s \
		tests/test_independent_validators.py tests/test_real_roots.py tests/test_pkits.py

clean:
	rm -rf $(VENV) .pulumi-local
