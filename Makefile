# Two commands on a fresh machine: `make run` and `make test`.
# Every target creates .venv on first use and installs the project into it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## run: the worked example — a fibromyalgia protocol starting tomorrow, with its calendar and prescription under ./out/
run: $(STAMP)
	$(BIN)/ldntrial plan --condition fibromyalgia --patient "EXAMPLE-001" \
		--out-protocol out/protocol.json --ics out/dosing.ics --prescription-file out/prescription.txt

## test: lint, type-check and every test
test: lint typecheck
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

## bench: performance as ratios against reference runs in the same process
bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache .hypothesis
