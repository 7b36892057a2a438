# Two commands: `make run` serves the seeded ledger, `make test` passes every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint format clean bench

install: $(STAMP)

# Reinstall whenever the declared dependencies change.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: install
	$(BIN)/exchange-ledger serve --seed

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# `make bench`: P1-P5 of docs/benchmarks.md, each against its peer in the same run, and P6
# (the counting engine's solver path) against its target.
# BENCH_ENTRIES (1000000, as the targets are set; about 30 minutes in all, BENCH_ENTRIES=100000
# for a quicker look) sizes P2/P3's ledger; BENCH_REPORTS (10000) sizes P5.
BENCH_ENTRIES ?= 1000000
BENCH_REPORTS ?= 10000
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	command -v wrk >/dev/null && command -v sqlite3 >/dev/null && command -v curl >/dev/null \
		|| (apt-get update && apt-get install -y wrk sqlite3 curl)
	touch $(BENCH_STAMP)

bench: install $(BENCH_STAMP)
	$(BIN)/python -m bench --entries $(BENCH_ENTRIES) --reports $(BENCH_REPORTS)

clean:
	rm -rf $(VENV) instance dist build .pytest_cache .hypothesis .ruff_cache
