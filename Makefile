# Spareline: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
FORWARDED_ALLOW_IPS ?=

.PHONY: install migrate demo run test lint format bench bench-routing clean

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

run: demo
	$(BIN)/uvicorn api.app:create_app --factory --host $(HOST) --port $(PORT) --forwarded-allow-ips '$(FORWARDED_ALLOW_IPS)'

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

BENCHDATA ?= bench/data
bench-routing: install
	$(BIN)/python -m bench.routing_solvers --instances $(BENCHDATA)/solomon --bks $(BENCHDATA)/BKS.csv --time-limits 1,5

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
