# Wuyou — the two commands of the README, and lint.
#   make run    install into .venv, load the demo, serve on http://127.0.0.1:8000
#   make test   install, then the test suite on SQLite and (when one answers) on PostgreSQL
#   make lint   ruff, ruff format, mypy on the whole package, import-linter (the layers of ADR 0004),
#               Django's checks, migrations up to date

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.wuyou-installed
PORT ?= 8000
PG_URL := postgres://postgres@127.0.0.1:5432/wuyou

.PHONY: help install run demo test test-sqlite test-postgres chromium lint

help:
	@echo "make run    install, load the demo and serve it on http://127.0.0.1:$(PORT)"
	@echo "make test   install, then run the tests on SQLite and, if one answers, on PostgreSQL"
	@echo "make lint   ruff, ruff format --check, mypy, lint-imports, manage.py check, makemigrations --check"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml is newer than the stamp: a second `make` starts at once.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(STAMP)

run: install
	$(BIN)/wuyou demo --port $(PORT)
	@echo
	@echo "Wuyou: http://127.0.0.1:$(PORT)/  (API docs: http://127.0.0.1:$(PORT)/api/v1/docs) — Ctrl-C stops it."
	$(BIN)/wuyou serve --port $(PORT)

demo: install
	$(BIN)/wuyou demo --port $(PORT)

# Browser tests drive Debian's Chromium; CJK fonts make Chinese pages render (and screenshots readable).
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk; \
	  else \
	    echo "Chromium is missing: run 'sudo apt-get install chromium fonts-noto-cjk' for the browser tests." >&2; \
	  fi; \
	fi

test: install chromium test-sqlite test-postgres

test-sqlite: install
	@echo "== tests on SQLite =="
	env -u DATABASE_URL $(BIN)/pytest

# Again on PostgreSQL: the DATABASE_URL given, or the local server when it answers on 127.0.0.1:5432.
test-postgres: install
	@url="$${DATABASE_URL:-}"; \
	if [ -n "$$url" ]; then \
	  case "$$url" in \
	    postgres://*|postgresql://*|pgsql://*) ;; \
	    *) echo "== DATABASE_URL is not PostgreSQL: no PostgreSQL run =="; exit 0 ;; \
	  esac; \
	elif $(MAKE) --no-print-directory -s postgres-answers; then \
	  url="$(PG_URL)"; \
	else \
	  echo "== no PostgreSQL answers on 127.0.0.1:5432: tests ran on SQLite only =="; exit 0; \
	fi; \
	echo "== tests on PostgreSQL at $${url#*@} =="; \
	DATABASE_URL="$$url" $(BIN)/pytest

.PHONY: postgres-answers
postgres-answers:
	@if command -v pg_isready >/dev/null 2>&1; then \
	  pg_isready -q -h 127.0.0.1 -p 5432; \
	else \
	  $(BIN)/python -c "import psycopg; psycopg.connect('postgresql://postgres@127.0.0.1:5432/postgres', connect_timeout=3).close()" >/dev/null 2>&1; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy wuyou
	$(BIN)/lint-imports
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
