# Alongside: `make run` serves the demo at http://127.0.0.1:8000; `make test` runs the whole suite.
SHELL := /bin/bash
# The first Python that really runs and is 3.11 or newer (pyenv shims may exist without one).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { echo $$p; break; }; done)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PIP_QUIET := --quiet --disable-pip-version-check --no-input
# Test processes (pytest-xdist): one per CPU, at most 8; each has its own test database (and Chromium for
# the browser tests). `make test JOBS=0` runs the suite in this one process. --dist loadgroup keeps the
# tests marked with one xdist_group (the restore drill) on one worker.
JOBS ?= $(shell n=$$(nproc 2>/dev/null || sysctl -n hw.ncpu 2>/dev/null || echo 1); echo $$(( n > 8 ? 8 : (n < 2 ? 0 : n) )))
PYTEST_PARALLEL = -n $(JOBS) --dist loadgroup

.PHONY: run install install-test test test-postgres lint typecheck messages clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_QUIET) --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install $(PIP_QUIET) -e . 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
	@touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install $(PIP_QUIET) -e '.[test]' 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
	@touch $@

install: $(VENV)/.installed

install-test: $(VENV)/.installed-test

run: install
	ALONGSIDE_DEMO=1 $(BIN)/alongside migrate --no-input
	ALONGSIDE_DEMO=1 $(BIN)/alongside demo --if-empty
	@echo "Serving Alongside at http://$(HOST):$(PORT)/  (Ctrl-C to stop)"
	ALONGSIDE_DEMO=1 $(BIN)/uvicorn alongside.asgi:application --host $(HOST) --port $(PORT) --no-server-header --lifespan off

# The whole suite on SQLite (the embedded default). CI also runs it on PostgreSQL (test-postgres).
test: install-test
	$(BIN)/ruff check .
	$(BIN)/mypy alongside
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL)

test-postgres: install-test
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/alongside} $(BIN)/python -m pytest -q $(PYTEST_PARALLEL)

lint: install-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check alongside tests

typecheck: install-test
	$(BIN)/mypy alongside

messages: install-test
	cd alongside && ../$(BIN)/alongside makemessages -l es --no-location && ../$(BIN)/alongside compilemessages

clean:
	rm -rf $(VENV) var
