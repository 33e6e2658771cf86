# Meridian: every target works on a fresh machine; it builds .venv (and the Debian tools tests need) itself.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
BUILD ?= build

.PHONY: all synth test lint bench tools clean

all: lint test

CHECKOV_VENV := .venv-checkov
CHECKOV := $(CHECKOV_VENV)/bin/checkov

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

## synth: render every stack in stacks/ into build/<stack>/ (offline, under recording mocks)
synth: $(INSTALLED)
	$(BIN)/meridian synth --all --out $(BUILD)

## tools: Debian's prometheus and alertmanager (promtool, amtool), and checkov in its own virtualenv
tools: $(CHECKOV)
	@scripts/ensure-tools.sh

$(CHECKOV): pyproject.toml | $(INSTALLED)
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check \
	  $$($(BIN)/python -c "import tomllib; print(*tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['checkov'])")
	touch $@

## test: the whole suite (Pulumi mocks, config fuzzing, schema validation, real tools)
test: $(INSTALLED) tools
	$(BIN)/pytest -n 2

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/mypy components meridian dashboards alerts observability policy benchmarks __main__.py

## bench: synth time and memory for 1/3/10/30 generated regions, and the suite's time -> docs/benchmarks.md
bench: $(INSTALLED)
	$(BIN)/python -m benchmarks.run --out docs/benchmarks.md

clean:
	rm -rf $(BUILD) .mypy_cache .ruff_cache .hypothesis $(CHECKOV_VENV)
