# The project's commands. `make run` and `make test` are all a newcomer needs.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
export PYENV_VERSION ?= 3.13.0:3.12.1

# The first Python >= 3.12 found: on PATH, through pyenv, or in pyenv's versions folder.
PYTHON ?= $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python3.13 \
	$$HOME/.pyenv/versions/3.12*/bin/python3.12; do \
	  if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; \
	  then echo $$p; break; fi; done)

.PHONY: install run test test-postgres lint format bench clean cluster cluster-stop

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or 3.13 is needed (none found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

run: install
	DEBUG=true $(BIN)/python manage.py migrate --no-input
	DEBUG=true $(BIN)/python manage.py seed_demo
	@echo "Web: http://127.0.0.1:$(PORT)/  (API docs /api/docs/, admin /admin/)  Ctrl-C stops both."
	@trap 'kill 0' INT TERM EXIT; \
	  DEBUG=true $(BIN)/python manage.py db_worker & \
	  DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:$(PORT) --noreload & \
	  wait

# The whole suite: SQLite by default, PostgreSQL when DATABASE_URL points at one.
test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache

# Load benchmark (DESIGN §8): a fresh PostgreSQL database `ehealth_bench`, gunicorn, locust headless.
bench: install
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	su postgres -c "dropdb --if-exists ehealth_bench" 2>/dev/null || true
	DATABASE_URL=$$(scripts/postgres.sh ehealth_bench) $(BIN)/python bench/run.py

# The production shape on loopback (PostgreSQL, 2 gunicorn, 2 db_workers, nginx on :8100); see README.
cluster: install
	scripts/cluster.sh

cluster-stop:
	scripts/cluster-stop.sh
