# Two commands do all set-up on a fresh machine:  `make demo` (the main job)  and  `make test`.
PY      ?= python3
VENV    := .venv
VPY     := $(VENV)/bin/python
STAMP   := $(VENV)/.installed

.PHONY: venv engine demo test test-fast bench clean

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

clean:
	rm -rf $(VENV) .pulumi-local
