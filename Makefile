# MyBA. The two commands: `make run` (the site, zero setup) and `make test` (the whole suite).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: run test stack lint install bench clean messages

$(INSTALLED): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $(INSTALLED)

install: $(INSTALLED)

# The .mo files Django reads, compiled from the committed .po catalogues (git-ignored).
messages: $(INSTALLED)
	$(BIN)/python scripts/compile_messages.py

# Local state of the zero-setup run (settings only read it): the SQLite database lives in
# this directory, and the development SECRET_KEY is generated once so sessions survive restarts.
MYBA_DATA_DIR ?= .data
$(MYBA_DATA_DIR)/secret_key:
	mkdir -p $(MYBA_DATA_DIR)
	umask 077 && $(PYTHON) -c "import secrets; print(secrets.token_urlsafe(50))" > $@

## make run: zero-setup local site on SQLite, inline tasks, offline LLM, local test checkout.
run: $(INSTALLED) messages $(MYBA_DATA_DIR)/secret_key
	DEBUG=1 $(BIN)/python manage.py migrate --noinput -v 0
	DEBUG=1 $(BIN)/python manage.py seed_demo
	DEBUG=1 $(BIN)/python manage.py run_local_fakes & fakes=$$!; \
	trap 'kill $$fakes 2>/dev/null' EXIT INT TERM; \
	DEBUG=1 LOCAL_FAKES=1 $(BIN)/python manage.py runserver 127.0.0.1:$${PORT:-8000}

## make test: the whole suite on PostgreSQL, Redis, a real Celery worker and Chromium.
test: $(INSTALLED) messages
	scripts/test.sh $(PYTEST_ARGS)

## make stack: production-like run here (PostgreSQL, Redis, gunicorn, worker, beat).
stack: $(INSTALLED) messages
	scripts/stack.sh

lint: $(INSTALLED)
	$(BIN)/ruff check .

## make bench: the benchmarks in bench/ on throwaway services (BENCH_ARGS="ledger --seconds 2").
bench: $(INSTALLED) messages
	scripts/bench.sh $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .data
