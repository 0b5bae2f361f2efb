PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint bench bench-explorer load faults vendor

## Create .venv and install dEdZ with its test tools (again whenever pyproject.toml changes).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start the app on http://127.0.0.1:8000 (DEDZ_HOST / DEDZ_PORT to change).
run: $(STAMP)
	$(BIN)/dedz

## Fetch pinned third-party files from the npm registry (htmx, axe-core); never committed.
vendor: $(STAMP)
	$(BIN)/python scripts/fetch_vendor.py

## ruff (lint + format) and mypy (strict on app/).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## The whole test suite, lint and types included.
test: lint vendor
	$(BIN)/pytest

## Benchmarks and fault drills: scripts that print figures (need wrk and chromium; see README).
bench: $(STAMP)
	$(BIN)/python bench/api.py
	$(BIN)/python bench/serializers.py

bench-explorer: vendor
	$(BIN)/python bench/explorer.py

load: $(STAMP)
	$(BIN)/python bench/load.py --duration 60 --connections 64

faults: $(STAMP)
	$(BIN)/python bench/faults.py
