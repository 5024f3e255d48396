# Entry points. `make help` lists them. Everything bootstraps itself: the first target you run
# creates .venv from requirements.lock, registers the project's Jupyter kernel and, where a target
# needs data, generates the sample dataset.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
KERNEL := aem-analysis
STAMP := $(VENV)/.installed-stamp

DATA ?= data/sample
MONTH ?=
TEAMS ?=
RENDERER ?= auto
JOBS ?=
PARAMS ?=

# Quiet, deterministic matplotlib for the batch and the tests (`python -m analysis lab` drops it, so
# kernels started from JupyterLab draw inline), and no telemetry in the kernel processes.
export MPLBACKEND := Agg
export PYDEVD_DISABLE_FILE_VALIDATION := 1
export JUPYTER_PLATFORM_DIRS := 1

.PHONY: help setup monthly-report import test test-fast bench bench-data bench-report lab data lint format lock clean distclean

help: ## List the entry points
	@grep -hE '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-16s\033[0m %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11+ is needed (PYTHON=$(PYTHON))")'
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -c requirements.lock -e ".[dev]"
	$(PY) -m ipykernel install --sys-prefix --name $(KERNEL) --display-name "AEM analysis (.venv)" > /dev/null
	@touch $@

setup: $(STAMP) ## Create .venv with the pinned dependencies and register the Jupyter kernel

$(DATA)/dataset.yaml: | $(STAMP)
	@if [ "$(DATA)" != "data/sample" ]; then echo "error: no dataset at $(DATA) (expected $(DATA)/dataset.yaml or table files); run 'make data' for the sample" >&2; exit 2; fi
	$(PY) -m analysis synth --out $(DATA)

data: $(STAMP) ## Regenerate the sample dataset in data/sample
	$(PY) -m analysis synth --out data/sample --overwrite

monthly-report: $(STAMP) ## Render every team's report: [MONTH=YYYY-MM] [TEAMS=a,b] [RENDERER=auto|builtin|quarto] [JOBS=N] [FORCE=1] [DATA=dir] [PARAMS=dir] [REPORTS=dir]
	@if [ "$(DATA)" = "data/sample" ] && [ ! -f data/sample/dataset.yaml ]; then $(MAKE) --no-print-directory $(DATA)/dataset.yaml; fi
	$(PY) -m analysis report --data $(DATA) --renderer $(RENDERER) \
		$(if $(MONTH),--month $(MONTH)) $(if $(TEAMS),--teams $(TEAMS)) $(if $(JOBS),--jobs $(JOBS)) \
		$(if $(FORCE),--force) $(if $(PARAMS),--params $(PARAMS)) $(if $(REPORTS),--reports $(REPORTS))

import: $(STAMP) ## Import CRM exports: MAPPING=mappings/x.yaml SOURCES="a.csv b.xlsx" OUT=data/name [PARAMS=params/name]
	@if [ -z "$(MAPPING)" ] || [ -z "$(SOURCES)" ] || [ -z "$(OUT)" ]; then \
		echo 'usage: make import MAPPING=mappings/x.yaml SOURCES="export.csv" OUT=data/name [PARAMS=params/name]'; exit 2; fi
	$(PY) -m analysis import --mapping $(MAPPING) --out $(OUT) $(SOURCES) $(if $(PARAMS),--params $(PARAMS)) $(if $(OVERWRITE),--overwrite)

# Where Quarto is not on PATH but the bundle of ../shared/tools/quarto is at hand (it installs from
# the npm and PyPI registries only), `make test` sets Quarto up from it so the Quarto tests run
# instead of skipping; without either they skip, saying why.
QUARTO_SETUP ?= ../shared/tools/quarto/setup.sh

test: $(STAMP) ## Run the whole test suite (unit, notebooks with nbval, end-to-end reports, Quarto where available)
	@if ! command -v quarto > /dev/null && [ -f "$(QUARTO_SETUP)" ]; then \
	  bin=$$(bash "$(QUARTO_SETUP)" | sed -n 's/^QUARTO_BIN=//p' | tail -1); \
	  if [ -x "$$bin/quarto" ]; then export PATH="$$bin:$$PATH"; \
	  else echo "quarto: setup from $(QUARTO_SETUP) failed; the Quarto tests will skip" >&2; fi; \
	fi; \
	if command -v quarto > /dev/null; then echo "quarto: $$(quarto --version) at $$(command -v quarto)"; \
	else echo "quarto: not on PATH; the Quarto tests will skip"; fi; \
	HYPOTHESIS_PROFILE=ci $(PY) -m pytest -n 2 --dist loadgroup --durations=15

test-fast: $(STAMP) ## Unit tests only (no notebook execution or rendering)
	$(PY) -m pytest -m "not e2e"

bench: $(STAMP) ## Every benchmark, cold, each target PASS/FAIL; fails if any missed (~100 min: bench_scale 33, bench_forecast 45) [SCALE=1] [RUNS=3]
	@failed=""; \
	for b in "kpis.py --scale $(or $(SCALE),1)" "scale.py --scale $(or $(SCALE),1)" notebooks.py \
	         forecast.py import.py postgres.py "report.py --runs $(or $(RUNS),3)"; do \
	  echo "== bench/bench_$$b"; \
	  $(PY) bench/bench_$$b || failed="$$failed bench_$${b%% *}"; \
	done; \
	if [ -n "$$failed" ]; then echo "make bench: missed targets in:$$failed" >&2; exit 1; fi

bench-data: $(STAMP) ## Write the benchmark company as Parquet to data/bench-SCALE [SCALE=1: 300 teams, ~5M deals, ~50M activities]
	$(PY) -m analysis synth --bench-scale $(or $(SCALE),1) --out data/bench-$(or $(SCALE),1) --overwrite --jobs 2

bench-report: $(STAMP) ## Monthly-report benchmark: cold, no-change, sequential [RUNS=3] [RENDERER=quarto: and each report rendered by both] (~8 min/run)
	$(PY) bench/bench_report.py --runs $(or $(RUNS),3) $(if $(filter quarto,$(RENDERER)),--renderer quarto)

lab: $(STAMP) ## JupyterLab at the project root on the project kernel, charts inline [LAB_ARGS="--port 8899 ..."]
	@if [ -z "$$AEM_DATA_DIR" ] && [ ! -f data/sample/dataset.yaml ]; then $(MAKE) --no-print-directory data/sample/dataset.yaml; fi
	$(PY) -m analysis lab $(LAB_ARGS)

lint: $(STAMP) ## ruff lint and format check, and the import layers (lint-imports)
	$(VENV)/bin/ruff check src tests notebooks bench conftest.py
	$(VENV)/bin/ruff format --check src tests bench conftest.py
	$(VENV)/bin/lint-imports --no-cache --no-logo

format: $(STAMP) ## ruff format and safe fixes
	$(VENV)/bin/ruff check --fix src tests notebooks bench conftest.py
	$(VENV)/bin/ruff format src tests bench conftest.py

lock: ## Re-resolve requirements.lock from pyproject.toml in a throwaway venv
	rm -rf build/lockenv && $(PYTHON) -m venv build/lockenv
	build/lockenv/bin/python -m pip install --quiet --disable-pip-version-check ".[dev]"
	build/lockenv/bin/python -m pip freeze --exclude-editable | grep -v '^aem-analysis' > requirements.lock
	rm -rf build/lockenv

clean: ## Remove build/ and published reports (keeps .venv and data)
	rm -rf build .pytest_cache .ruff_cache .hypothesis
	find reports -mindepth 1 ! -name .gitkeep -exec rm -rf {} +
	find . -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean ## Also remove .venv and the generated sample data
	rm -rf $(VENV) data/sample
