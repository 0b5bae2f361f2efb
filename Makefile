PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint bench bench-explorer bench-instructions bench-drag load faults hardening lock vendor system

## Create .venv and install dEdZ with its test tools (again whenever pyproject.toml changes).
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Start the app on http://127.0.0.1:8000 (DEDZ_HOST / DEDZ_PORT to change).
run: $(STAMP)
	$(BIN)/dedz

## Debian's chromium (browser tests), nginx (the proxy config's tests) and npm (vendor files):
## installed with apt-get if missing.
system:
	@command -v npm >/dev/null && test -x /usr/bin/chromium && test -x /usr/sbin/nginx || { \
	  command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] || { \
	    echo "make test needs Debian's chromium, nginx and npm: apt-get install chromium nginx npm"; \
	    exit 1; }; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends chromium fonts-dejavu-core nginx \
	    $$(command -v npm >/dev/null || echo npm); }

## Fetch pinned third-party files from the npm registry (htmx, axe-core); never committed.
vendor: $(STAMP) system
	$(BIN)/python scripts/fetch_vendor.py

## ruff (lint + format) and mypy (strict on app/).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

## Write requirements.lock (what the container installs, with hashes) from pyproject.toml.
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --no-emit-index-url \
	  --no-emit-find-links --output-file requirements.lock pyproject.toml

## The whole test suite, lint and types included, with branch coverage (floor in pyproject.toml).
test: lint vendor
	$(BIN)/pytest --cov --cov-report=term

## The fast tier for development: everything but the browser, fuzzing and container tests.
test-fast: $(STAMP)
	$(BIN)/pytest -q -m "not browser and not fuzz and not deploy"

## Benchmarks and fault drills: scripts that print figures (need wrk and chromium; see README).
bench: $(STAMP)
	$(BIN)/python bench/api.py
	$(BIN)/python bench/serializers.py

bench-explorer: vendor
	$(BIN)/python bench/explorer.py

bench-instructions: $(STAMP) vendor
	$(BIN)/python bench/instructions.py

bench-drag: vendor
	$(BIN)/python bench/drag.py

load: $(STAMP)
	$(BIN)/python bench/load.py --duration 60 --connections 64

faults: $(STAMP)
	$(BIN)/python bench/faults.py

hardening: $(STAMP)
	$(BIN)/python bench/hardening.py
