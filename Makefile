# Everything a fresh machine needs, in two commands:
#   make demo   set up, then run the main job (the demo)
#   make test   set up, then run every test
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: setup lint demo test test-all test-deep notebooks bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/install-system-deps.sh
	./scripts/install-system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: setup
	$(PY) -m tinygrad_edu demo --out out

lint: setup
	$(PY) -m ruff check .

test: setup lint
	./scripts/install-system-deps.sh browser
	$(PY) -m pytest -q

test-all: setup
	./scripts/install-system-deps.sh browser
	$(PY) -m pytest -q --run-slow

test-deep: setup
	./scripts/install-system-deps.sh browser
	HYPOTHESIS_PROFILE=deep $(PY) -m pytest -q --run-slow

notebooks: setup
	$(PY) scripts/make_exercises.py
	$(PY) scripts/run_notebooks.py --save

bench: setup
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_training.py
	$(PY) benchmarks/bench_viz.py

clean:
	rm -rf $(VENV) out build *.egg-info .pytest_cache .hypothesis
