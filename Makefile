# One place for the commands the README gives. Everything installs into the checkout:
# .venv/ for Python, node_modules/ for Azurite.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DATA   ?= data/sample

.PHONY: setup test lint demo bench emulator host clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The test command: lint, format and type checks first, then the suite. pytest's exit 5
# ("no tests collected") fails like any other non-zero exit.
test: lint
	$(PY) -m pytest

# Lint, format and type checks (pyproject.toml).
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

demo: setup
	$(PY) -m local.demo --data $(DATA)

bench: setup
	$(PY) bench/validate_bench.py

emulator: setup
	$(PY) -m local.aoai

host: setup
	$(PY) -m local.host

clean:
	rm -rf $(VENV) node_modules .devhost .azurite demo-output
