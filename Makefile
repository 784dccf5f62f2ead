# Seller portal: `make run` (demo on SQLite + embedded broker) and `make test` (PostgreSQL + Redis).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
DEBIAN_PACKAGES := gettext fonts-noto-cjk chromium poppler-utils fontconfig
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast lint format bench deps system-deps venv messages services migrate demo

deps: system-deps venv messages

venv: $(VENV)/.installed
$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Debian packages the project needs: gettext (translations), Noto CJK (PDFs), Chromium (browser tests).
system-deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q "ok installed" || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages: $$missing"; \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q --no-install-recommends $$missing \
	  && fc-cache -f >/dev/null; \
	fi

messages: venv
	$(PY) manage.py compilemessages --ignore=.venv -v0

migrate: deps
	$(PY) manage.py migrate --no-input -v0

demo: migrate
	$(PY) manage.py load_demo

# Serves http://$(HOST):$(PORT) with a real Celery worker on the embedded filesystem broker (or Redis);
# the worker also runs beat (-B: the periodic tasks of CELERY_BEAT_SCHEDULE, e.g. retrying queued mail).
run: demo
	@echo "Starting a Celery worker with beat and the web server on http://$(HOST):$(PORT) (Ctrl-C stops both)"
	@trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/celery -A portal worker -B --loglevel=warning --concurrency=2 & worker=$$!; \
	$(PY) manage.py runserver $(HOST):$(PORT)

# Starts PostgreSQL and Redis on this machine if they are down (see README.md).
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && exit 0; sleep 1; done; echo "services did not start" >&2; exit 1

# The whole suite (browser, worker and million-row tests included), after lint and the layer contracts.
test: deps services lint
	$(PY) manage.py makemigrations --check --dry-run -v0
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest $(PYTEST_ARGS)

# The edit loop: unit tests only, no browser (e2e), no worker processes (worker), no million rows (slow).
test-fast: venv services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest \
	  -m "not e2e and not worker and not slow" $(PYTEST_ARGS)

# ruff, then import-linter's contracts (pyproject.toml [tool.importlinter]): a wrong-way import fails.
lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/test

bench: deps services
	DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) manage.py migrate --no-input -v0
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m tests.bench
