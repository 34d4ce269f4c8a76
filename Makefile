# Two commands: `make tables` (the whole pipeline, offline, on the default params.yaml) and
# `make test` (the test suite; .ci/run calls it). Both create .venv first when it is missing or
# older than pyproject.toml.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CORES  ?= 2

export PATH := $(abspath $(BIN)):$(PATH)
export DVC_NO_ANALYTICS := 1
export MPLBACKEND := Agg

.PHONY: tables test test-fast bench repro dry-run docs clean help

help:
	@echo "make tables   run the whole pipeline (demo data, CPU budget) -> results/tables/"
	@echo "make test     run the test suite"
	@echo "make bench    run the benchmark scripts -> bench/results/*.json"
	@echo "make repro    the same pipeline through DVC phase stages (dvc repro)"
	@echo "make dry-run  show what snakemake would run"
	@echo "make docs     regenerate docs/results.md and docs/img/headline.png from results/ (after make tables)"

# tools/install_env.py installs with uv (26-44 s here against pip's 104 s), reading pip's index, wheel
# folder and constraints settings, and falls back to pip. Both byte-compile every module: where
# PYTHONDONTWRITEBYTECODE is set (as on this project's machines) Python never caches bytecode, and
# every one of the ~160 jobs of `make tables` would recompile torch's modules at import, 3-6 s each.
# INSTALL_FLAGS=--no-uv installs with pip only.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python tools/install_env.py $(INSTALL_FLAGS) -- -e '.[dev]'
	@touch $(STAMP)

tables: $(STAMP)
	$(BIN)/snakemake all --cores $(CORES)

dry-run: $(STAMP)
	$(BIN)/snakemake all --cores $(CORES) -n

test: $(STAMP)
	$(BIN)/python -m pytest -q

test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow"

bench: $(STAMP)
	$(BIN)/python bench/bench_draem.py
	$(BIN)/python bench/bench_metrics.py
	$(BIN)/python bench/bench_synthesis.py
	$(BIN)/python bench/bench_sdas.py --threads 1
	$(BIN)/python bench/bench_dmp.py --threads 1
	$(BIN)/python bench/bench_ndpnet.py --threads 1
	$(BIN)/python bench/bench_realnet.py --threads 1 --paper-batch 4
	$(BIN)/python bench/bench_imm_alm.py --threads 1
	$(BIN)/python bench/bench_slsg.py --threads 1

docs: $(STAMP)
	$(BIN)/synthad results-doc --tables results/tables --metrics results/metrics.csv \
		--settings results/run_settings.csv --out docs/results.md --figure docs/img/headline.png

repro: $(STAMP)
	$(BIN)/dvc repro

clean:
	rm -rf results logs .snakemake
