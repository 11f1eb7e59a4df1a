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

.PHONY: install run check-port test test-postgres lint format bench clean cluster cluster-stop

$(BIN)/.installed: requirements.txt requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "Python 3.12 or 3.13 is needed (none found)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(BIN)/.installed

# The first `make run` writes a development .env (never committed): DEBUG on and a generated key, which
# every `manage.py` command typed by hand beside `make run` then reads too. An existing .env is kept.
.env:
	@umask 077; { echo "# Development settings, written by the first \`make run\` (see .env.example for the rest)."; \
	  echo "DEBUG=true"; \
	  echo "SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))')"; \
	} > $@
	@echo "Wrote .env for development (DEBUG=true, a generated SECRET_KEY)."

# The port is checked first, so a taken one stops `make run` before it migrates or seeds (no SMS sent).
# The demo data is printed and kept in var/demo.json (0600), where the README's walkthrough reads it.
# Ctrl-C (or a TERM) reaches both processes; the trap waits for them and the recipe exits 0. GNU make
# itself, having got the Ctrl-C too, then ends as interrupted (status 130), quietly. If either process
# ends by itself (the port taken after all, a crash), the other is stopped and `make run` fails with it.
run: check-port install .env
	DEBUG=true $(BIN)/python manage.py migrate --no-input
	@mkdir -p var; set -o pipefail; umask 077; DEBUG=true $(BIN)/python manage.py seed_demo | tee var/demo.json
	DEBUG=true $(BIN)/python manage.py make_dev_ca
	@echo "Web: http://127.0.0.1:$(PORT)/  (API docs /api/docs/, admin /admin/)  Ctrl-C stops both."
	@trap 'trap - INT TERM; kill $$(jobs -p) 2>/dev/null; wait; exit 0' INT TERM; \
	  DEBUG=true $(BIN)/python manage.py db_worker & \
	  DEBUG=true $(BIN)/python manage.py runserver 127.0.0.1:$(PORT) --noreload & \
	  wait -n; status=$$?; trap - INT TERM; kill $$(jobs -p) 2>/dev/null; wait; exit $$status

check-port:
	@$(or $(PYTHON),python3) scripts/check_port.py $(PORT)

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

# Load benchmark (see docs/benchmark.md): fresh PostgreSQL databases $(BENCH_DB) (the service) and
# $(BENCH_DB)_peer (django-phone-verify, in its own virtualenv var/peer-venv), gunicorn, then wrk
# (BENCH_DRIVER=wrk, Debian's package) or locust (BENCH_DRIVER=locust) on loopback.
BENCH_DB ?= ehealth_bench
BENCH_DRIVER ?= wrk
bench: install
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	@if [ "$(BENCH_DRIVER)" = wrk ] && ! command -v wrk >/dev/null; then apt-get install -y -qq wrk >/dev/null; fi
	for db in $(BENCH_DB) $(BENCH_DB)_peer; do su postgres -c "dropdb --if-exists $$db" 2>/dev/null || true; done
	DATABASE_URL=$$(scripts/postgres.sh $(BENCH_DB)) BENCH_PEER_DATABASE_URL=$$(scripts/postgres.sh $(BENCH_DB)_peer) \
	  BENCH_DRIVER=$(BENCH_DRIVER) $(BIN)/python bench/run.py

# The production shape on loopback (PostgreSQL, 2 gunicorn, 2 db_workers, nginx on :8100); see docs/operations.md.
cluster: install
	scripts/cluster.sh

cluster-stop:
	scripts/cluster-stop.sh
