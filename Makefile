# The things people do. `make run` and `make test` are the README's two commands.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup setup-dev run demo-reset serve test lint typecheck format clean

$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.demo: $(VENV)/.runtime requirements-demo.txt
	$(PY) -m pip install --quiet -r requirements-demo.txt
	touch $@

$(VENV)/.dev: $(VENV)/.demo requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py ensure_admin

setup-dev: $(VENV)/.dev

# Install, migrate, build the demo estate (local emulators, a month of history) and serve it on
# http://127.0.0.1:$(PORT)/ ; Ctrl-C stops everything. Run again: reuses the estate (make demo-reset: replays).
run: setup $(VENV)/.demo
	$(PY) manage.py demo --port $(PORT)

demo-reset: setup $(VENV)/.demo
	$(PY) manage.py demo --port $(PORT) --reset

# Serve your own accounts (no demo) with gunicorn.
serve: setup
	$(VENV)/bin/gunicorn posture.wsgi --bind $(HOST):$(PORT) --workers 2 --access-logfile -

# Install the test tools and run the whole suite (SQLite unless DATABASE_URL says otherwise), one worker
# per core (TEST_WORKERS=0 runs it in this process); each test file stays on one worker, with its fixtures.
TEST_WORKERS ?= auto
test: setup-dev
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: setup-dev typecheck
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# mypy over the two Django-free packages (settings in pyproject.toml [tool.mypy]).
typecheck: setup-dev
	$(VENV)/bin/mypy collectors posture/rules

format: setup-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) var
