# Two commands for a newcomer: `make run` (install, migrate, load the demo area, serve on
# http://127.0.0.1:5000) and `make test` (ruff, mypy, then the whole suite on SQLite and on
# PostgreSQL, failing below the branch coverage floor of the two runs together).

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
FLASK := PORTAL_ENV=development $(VENV)/bin/flask --app wsgi
COVERAGE := $(VENV)/bin/coverage
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

# --ignore-scripts: vnu-jar's install script would download a Java runtime from GitHub when
# none is installed yet; the tests use Debian's (see browser). No other package has one.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	touch $@

assets: $(VENV)/.installed node_modules/.installed
	$(PY) scripts/build_assets.py

install: $(VENV)/.installed assets

# Browser tests drive Debian's Chromium (Playwright cannot download its own browser here);
# the PDF tests read statements back with poppler's pdftotext; the HTML checker (npm's
# vnu-jar) runs on Debian's Java.
browser:
	@test -x $(CHROMIUM) -a -x /usr/bin/pdftotext -a -x /usr/bin/java || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium poppler-utils default-jre-headless; \
	  else echo "Install Chromium, poppler and Java first: sudo apt-get install chromium poppler-utils default-jre-headless" >&2; exit 1; fi; }

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

# Both runs of the suite measure branch coverage of portal/ (configured in pyproject.toml):
# each run, and every Python process it starts (gunicorn and its workers, `flask worker`, the
# recount command), leaves its own .coverage.* file. `make coverage` combines what the runs
# since `make test` began (or since the last `make coverage`) left, writes instance/coverage/
# and fails below the floor, fail_under.
test-sqlite: install browser
	$(COVERAGE) run -m pytest

test-postgresql: install browser
	PORTAL_TEST_DATABASE_URL=$(PG_TEST_URL) $(COVERAGE) run -m pytest

coverage: $(VENV)/.installed
	$(COVERAGE) combine --quiet
	$(COVERAGE) html --quiet -d instance/coverage --fail-under=0
	$(COVERAGE) report

test: lint typecheck
	$(COVERAGE) erase
	$(MAKE) --no-print-directory test-sqlite test-postgresql
	$(MAKE) --no-print-directory coverage

# The HTTP benchmarks drive the servers with Debian's wrk.
bench-tools:
	@command -v wrk >/dev/null || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; \
	  else echo "Install wrk first: sudo apt-get install wrk" >&2; exit 1; fi; }

bench: install bench-tools browser
	$(PY) bench/bench_statements.py
	$(PY) bench/bench_casting.py
	$(PY) bench/bench_tally.py
	$(PY) bench/bench_recount.py
	$(PY) bench/bench_import_england.py
	$(PY) bench/bench_faults.py
	$(PY) bench/bench_agreement_roll.py
	$(PY) bench/bench_lighthouse.py
