# Two commands for a newcomer: `make run` (install, migrate, load the demo area, serve on
# http://127.0.0.1:5000) and `make test` (ruff, mypy, then the whole suite on SQLite and on
# PostgreSQL).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := PORTAL_ENV=development $(VENV)/bin/flask --app wsgi
PG_TEST_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
CHROMIUM ?= /usr/bin/chromium

.PHONY: install assets browser run test test-sqlite test-postgresql lint format typecheck coverage bench bench-tools lock

# Every package, pip itself included, comes from the lock with its hashes; pip refuses anything
# else. requirements.lock is the same for production (no test tools). After editing
# requirements*.txt, `make lock` compiles both again.
$(VENV)/.installed: requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	touch $@

PIP_COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	--no-emit-index-url --no-emit-find-links

lock:
	$(PIP_COMPILE) -o requirements.lock requirements.txt
	$(PIP_COMPILE) -o requirements-dev.lock requirements-dev.txt

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

assets: $(VENV)/.installed node_modules/.installed
	$(PY) scripts/build_assets.py

install: $(VENV)/.installed assets

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here);
# the PDF tests read statements back with poppler's pdftotext.
browser:
	@test -x $(CHROMIUM) -a -x /usr/bin/pdftotext || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium poppler-utils; \
	  else echo "Install Chromium and poppler first: sudo apt-get install chromium poppler-utils" >&2; exit 1; fi; }

# The web server and the worker (closing votes, reminders, email) together, from the Procfile.
run: install
	$(FLASK) db upgrade
	$(FLASK) load-demo --if-empty
	PORTAL_ENV=development PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/honcho start

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# mypy over portal/, configured in pyproject.toml (strict on portal/voting/rules.py).
typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

# Branch coverage of portal/ over the whole suite on SQLite, browser tests included.
coverage: install browser
	$(PY) -m pytest --cov --cov-report=term --cov-report=html:instance/coverage

test-sqlite: install browser
	$(PY) -m pytest

test-postgresql: install browser
	PORTAL_TEST_DATABASE_URL=$(PG_TEST_URL) $(PY) -m pytest

test: lint typecheck test-sqlite test-postgresql

# The HTTP benchmarks drive the servers with Debian's wrk.
bench-tools:
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; \
	  else echo "Install wrk first: sudo apt-get install wrk" >&2; exit 1; fi; }

bench: install bench-tools
	$(PY) bench/bench_statements.py
	$(PY) bench/bench_casting.py
	$(PY) bench/bench_tally.py
	$(PY) bench/bench_recount.py
	$(PY) bench/bench_import_england.py
	$(PY) bench/bench_faults.py
	$(PY) bench/bench_agreement_roll.py
