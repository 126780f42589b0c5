# Two commands on a fresh machine: `make run` and `make test`.
# Every target creates .venv on first use and installs the project into it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

PORT ?= 8000

.PHONY: run demo example test lint typecheck bench validate clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

## run: apply migrations and start the web app (gunicorn) on http://127.0.0.1:$(PORT)/ (PORT=8000)
run: $(STAMP)
	$(BIN)/ldntrial serve --bind 127.0.0.1:$(PORT)

## demo: fill the database with a demo clinic (synthetic patients in every phase)
demo: $(STAMP)
	$(BIN)/ldntrial demo

## example: the worked example — a fibromyalgia protocol starting tomorrow, with its calendar and prescription under ./out/
example: $(STAMP)
	$(BIN)/ldntrial plan --condition fibromyalgia --patient "EXAMPLE-001" \
		--out-protocol out/protocol.json --ics out/dosing.ics --prescription-file out/prescription.txt

## test: lint, type-check, then every test on SQLite (with the coverage floor) and again on PostgreSQL
test: lint typecheck
	$(BIN)/pytest --cov --cov-report=term
	scripts/with-postgres $(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/lint-imports --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

## bench: performance as ratios against reference runs in the same process
bench: $(STAMP)
	$(BIN)/python -m benchmarks

## validate: the full validation (14 strata of misspecified diaries, 4,000 trials each) and the
## decision's operating characteristics; figures in docs/validation.md
validate: $(STAMP)
	COLUMNS=160 $(BIN)/ldntrial simulate --validation --trials 4000 --seed 1

clean:
	rm -rf $(VENV) out test-artifacts .pytest_cache .mypy_cache .ruff_cache .hypothesis
