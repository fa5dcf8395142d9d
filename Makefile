# Everything a fresh machine needs, in two commands:
#   make demo   the light set-up (the package, its runtime needs, plots), then the demo
#   make test   the full set-up (test extras: PyTorch, Playwright, Sphinx ...), lint, every test
# and for learners:
#   make lab    the light set-up plus JupyterLab, opened on notebooks/
PYTHON ?= python3
VENV   ?= .venv
LIGHT  ?= .venv-demo
PY     := $(VENV)/bin/python
LPY    := $(LIGHT)/bin/python
STAMP  := $(VENV)/.installed
SPHINX := -W --keep-going -n -q

.PHONY: setup setup-demo lint demo lab test test-all test-deep notebooks docs wheel bench clean

setup: $(STAMP)

$(STAMP): pyproject.toml scripts/install-system-deps.sh
	./scripts/install-system-deps.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

# The demo's virtualenv: runtime dependencies and the plot extra only (no test tools).
setup-demo: $(LIGHT)/.installed

$(LIGHT)/.installed: pyproject.toml scripts/install-system-deps.sh
	./scripts/install-system-deps.sh
	$(PYTHON) -m venv $(LIGHT)
	$(LPY) -m pip install -q -e '.[plot]'
	touch $@

$(LIGHT)/.installed-lab: $(LIGHT)/.installed
	$(LPY) -m pip install -q -e '.[plot,notebooks]'
	touch $@

demo: setup-demo
	$(LPY) -m tinygrad_edu demo --out out

# (as root, e.g. in a container, Jupyter refuses to start without --allow-root)
lab: $(LIGHT)/.installed-lab
	$(LIGHT)/bin/jupyter lab notebooks/ $(if $(filter 0,$(shell id -u)),--allow-root)

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

docs: setup
	$(PY) -m sphinx $(SPHINX) -b html docs docs/_build/html
	@echo "open docs/_build/html/index.html"

wheel: setup
	$(PY) -m build --outdir dist .

bench: setup
	$(PY) benchmarks/bench_engine.py
	$(PY) benchmarks/bench_training.py
	$(PY) benchmarks/bench_viz.py

clean:
	rm -rf $(VENV) $(LIGHT) out build dist docs/_build docs/generated docs/notebooks docs/benchmarks \
	       *.egg-info .pytest_cache .hypothesis
