# The two commands a new user needs (see README): `make demo` runs the main job, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
CRMWH := $(VENV)/bin/crmwh
export DO_NOT_TRACK := 1

# Demo bank: small enough for a laptop, big enough to mean something. Override: make demo SCALE=0.1 DAYS=365
SCALE ?= 0.01
DAYS ?= 365
START ?= 2025-01-01
SEED ?= 20260101

.PHONY: help setup setup-spark demo generate ingest build serve serve-production mailsink test test-unit test-e2e lint format bench bench-models docs quality-docs assets lock superset-lock clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

setup:  ## create/update both virtualenvs, .venv (warehouse) and .venv-superset (idempotent)
	@scripts/setup.sh
	@scripts/superset_setup.sh

setup-spark: setup  ## add the Spark engine to .venv (Java 17 from apt, pyspark, dbt-spark) for `crmwh build --engine spark`
	@scripts/setup_spark.sh

demo: setup  ## the main job: generate a small bank → ingest → dbt build → validate → publish → Superset on :8088
	$(CRMWH) generate --scale $(SCALE) --days $(DAYS) --start $(START) --seed $(SEED)
	$(CRMWH) build
	$(CRMWH) serve

build: setup  ## ingest new deliveries → dbt build → validate → publish atomically
	$(CRMWH) build

serve: setup  ## Superset over the published warehouse on 127.0.0.1:8088 (foreground; Ctrl-C stops it)
	$(CRMWH) serve

serve-production: setup  ## Superset + Celery worker/beat + Chromium reports (PostgreSQL :5432, Redis :6379, SMTP from env)
	$(CRMWH) serve --profile production

mailsink: setup  ## a local SMTP server on 127.0.0.1:8025 writing delivered mail to var/outbox/*.eml (for the demo)
	$(CRMWH) mailsink

generate: setup  ## write the synthetic bank's deliveries into the landing area only
	$(CRMWH) generate --scale $(SCALE) --days $(DAYS) --start $(START) --seed $(SEED)

ingest: setup  ## load new deliveries from the landing area
	$(CRMWH) ingest

# pytest-xdist workers: the suite mostly waits on dbt, Superset and Chromium, and two workers keep both cores of a small
# machine busy. Each worker takes whole modules, longest first (tests/conftest.py). PYTEST_WORKERS=0: one process.
PYTEST_WORKERS ?= 2
PARALLEL := -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder

test: setup lint  ## every test: lint, unit and end-to-end
	$(PY) -m pytest $(PARALLEL)

test-unit: setup  ## quick unit tests only
	$(PY) -m pytest -m "not slow"

test-e2e: setup  ## slow end-to-end tests only
	$(PY) -m pytest -m slow $(PARALLEL)

lint: setup  ## ruff; the extract spec and the Superset bundle are in step with the contracts and the dbt yml
	$(VENV)/bin/ruff check .
	$(CRMWH) contracts --check docs/extracts.md
	$(CRMWH) assets --check

assets: setup  ## regenerate the Superset bundle (dashboards/assets/bundle) from the dbt yml
	$(CRMWH) assets

format: setup
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: setup  ## measure generate/ingest throughput; prints and writes bench/results.json
	$(PY) -m bench --out bench/results.json

bench-models: setup  ## churn model: crmwh train and scoring 100k customers on WAREHOUSE (default the served one)
	$(PY) -m bench.models --warehouse $(or $(WAREHOUSE),var/warehouse/crmwh.duckdb) --out bench/results-models.json

docs: setup  ## docs/extracts.md, dbt docs (var/docs/dbt/index.html), Data Docs (var/docs/data-quality/index.html)
	$(CRMWH) docs

quality-docs: setup  ## only the Data Docs site of the published warehouse
	$(CRMWH) quality-docs

superset-lock:  ## re-resolve requirements/superset.lock from requirements/superset.in
	scripts/superset_lock.sh

lock:  ## rewrite requirements/warehouse.lock from the current .venv
	(echo "# Exact versions of the warehouse virtualenv (.venv). Regenerate with: make lock"; \
	  $(VENV)/bin/pip freeze --exclude-editable --exclude pyspark --exclude py4j --exclude dbt-spark \
	    --exclude sqlparams) > requirements/warehouse.lock

clean:  ## remove generated data (var/), keep the virtualenvs
	rm -rf var bench/out
