# Förderkette — every target does its own set-up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export PREFECT_HOME ?= $(CURDIR)/.prefect

# uv from PATH, or installed through pip and run as a module.
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen
PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test

.PHONY: help setup system-deps demo test test-fast test-pg lint format bench bench-large serve clean

help:
	@echo "make demo       install, create the SQLite database, load demo data, run the daily job"
	@echo "make test       install and run the whole test suite (SQLite; installs Graphviz/Chromium via apt as root)"
	@echo "make test-pg    the whole suite against PostgreSQL ($(PG_URL))"
	@echo "make lint       ruff (lint + format check) and mypy --strict"
	@echo "make serve      the web UI on http://127.0.0.1:8000 (after make demo)"
	@echo "make bench      benchmarks at small sizes; make bench-large for the large ones"

setup:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --frozen --quiet

# System programs the suite uses (Graphviz for diagrams, Chromium for the browser test, Pango and
# Liberation Sans (Arial metrics) for
# WeasyPrint's PDFs, axe-core from npm for the accessibility check): installed
# through apt when running as root; otherwise the tests that need them skip and say what is missing.
system-deps:
	@missing=""; command -v dot >/dev/null 2>&1 || missing="$$missing graphviz"; \
	ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || missing="$$missing libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b fonts-dejavu-core"; \
	ls /usr/share/fonts/truetype/liberation*/LiberationSans-Regular.ttf >/dev/null 2>&1 || missing="$$missing fonts-liberation2"; \
	command -v chromium >/dev/null 2>&1 || missing="$$missing chromium chromium-driver"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing$$missing through apt"; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing >/dev/null; } || \
	    echo "could not install$$missing: the tests that need it are skipped"; \
	  else echo "missing$$missing (not root): the tests that need it are skipped"; fi; \
	fi
	@# axe-core, the accessibility checker the Chromium tests run (npm registry, pinned by its lock file)
	@if [ ! -f tests/web/axe/node_modules/axe-core/axe.min.js ]; then \
	  if command -v npm >/dev/null 2>&1; then npm ci --prefix tests/web/axe --no-audit --no-fund --silent || \
	    echo "could not install axe-core: the accessibility tests are skipped"; \
	  else echo "npm missing: the accessibility tests are skipped"; fi; \
	fi

DEMO_PARTICIPANTS ?= 6000
DEMO_REGIONS ?= 5
DEMO_PASSWORD ?= Zusteuerung-Demo-26

demo: setup
	$(RUN) foerderkette process validate
	$(RUN) foerderkette db upgrade
	$(RUN) foerderkette demo --participants $(DEMO_PARTICIPANTS) --regions $(DEMO_REGIONS) --seed 1 --replace --login-password $(DEMO_PASSWORD)
	$(RUN) foerderkette sweep
	@echo
	@echo "Fertig. Wohin schauen:"
	@echo "  $(RUN) foerderkette participants list --region BY-BA --overdue   # überfällige Schritte"
	@echo "  $(RUN) foerderkette participants show BY-BA-00001                # eine Person mit Verlauf"
	@echo "  $(RUN) foerderkette reminders preview                            # die Sammelmails an die Stellen"
	@echo "  $(RUN) foerderkette jourfixe agenda --region BY-BA --month $$(date -d '+1 month' +%Y-%m) --format html -o tagesordnung.html"
	@echo "  $(RUN) foerderkette process show                                 # das Prozessmodell"
	@echo "  make serve   → http://127.0.0.1:8000  (Anmeldung: koordination, jobcenter, kurstraeger oder lesen; Passwort $(DEMO_PASSWORD))"

# The web UI (and the embedded scheduler) for local use: a session secret kept in .secret_key, plain http.
serve: setup
	@test -s .secret_key || (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(48))' > .secret_key)
	FOERDERKETTE_SECRET_KEY="$${FOERDERKETTE_SECRET_KEY:-$$(cat .secret_key)}" \
	FOERDERKETTE_COOKIE_SECURE="$${FOERDERKETTE_COOKIE_SECURE:-false}" \
	$(RUN) foerderkette serve

# Benchmarks: each figure against a baseline measured in the same run (BENCHMARKS.md).
bench: setup
	$(RUN) python -m benchmarks.run

bench-large: setup
	@pg_isready -h 127.0.0.1 -p 5432 -q || pg_ctlcluster --skip-systemctl-redirect "$$(ls /etc/postgresql | sort -n | tail -n 1)" main start
	$(RUN) python -m benchmarks.run --large

test: setup system-deps
	$(RUN) pytest -q

test-fast: setup
	$(RUN) pytest -q -m "not prefect and not slow and not browser"

test-pg: setup system-deps
	FOERDERKETTE_TEST_DATABASE_URL=$(PG_URL) $(RUN) pytest -q

lint: setup
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

format: setup
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

clean:
	rm -rf .venv .pytest_cache .mypy_cache .ruff_cache foerderkette.db
