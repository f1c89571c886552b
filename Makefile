# The two commands: `make demo` and `make test`. Both set up .venv first (nothing global is needed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test dev clean catalogs schemas

# Debian packages, installed when missing (as root, or with sudo) and checked again whenever this Makefile changes:
# libharfbuzz-subset0 for every run (WeasyPrint subsets the embedded fonts with HarfBuzz, so every machine renders
# the same PDF bytes); for the tests also poppler-utils (pdftotext, pdfdetach) and chromium, the browser that
# tests/test_accessibility.py drives with Playwright.
# $(call install_missing,CHECKS): CHECKS append to $$missing the package of each check that fails.
define install_missing
	@missing=; $(1) \
	  if [ -n "$$missing" ]; then \
	    echo "installing$$missing"; \
	    if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	    $$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	  fi
endef

SYSTEM_STAMP := $(VENV)/.system-stamp
$(SYSTEM_STAMP): Makefile
	$(call install_missing,ldconfig -p | grep -q 'libharfbuzz-subset\.so\.0' || missing="$$missing libharfbuzz-subset0";)
	mkdir -p $(VENV) && touch $@

TEST_TOOLS_STAMP := $(VENV)/.test-tools-stamp
$(TEST_TOOLS_STAMP): Makefile
	$(call install_missing,command -v pdfdetach >/dev/null || missing="$$missing poppler-utils"; \
	  command -v chromium >/dev/null || missing="$$missing chromium";)
	mkdir -p $(VENV) && touch $@

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP) $(SYSTEM_STAMP)
	$(BIN)/transparency demo

# The back-office tests need PostgreSQL: scripts/postgres.sh starts a throw-away server (installing PostgreSQL
# when missing) before the tests and stops it after them, pass or fail. If it cannot start, the tests that need it
# are skipped with its error; the others run.
test: $(STAMP) $(SYSTEM_STAMP) $(TEST_TOOLS_STAMP)
	@echo "starting a throw-away PostgreSQL server (scripts/postgres.sh)"; \
	if dsn=$$(bash scripts/postgres.sh start 2>$(VENV)/postgres-start.log); then \
	  export TRANSPARENCY_TEST_PG_DSN="$$dsn"; \
	else \
	  export TRANSPARENCY_TEST_PG_ERROR="$$(tail -n 5 $(VENV)/postgres-start.log | tr '\n' ' ')"; \
	  echo "PostgreSQL did not start (its tests are skipped): $$TRANSPARENCY_TEST_PG_ERROR"; \
	fi; \
	trap 'bash scripts/postgres.sh stop' EXIT; trap 'exit 130' INT TERM; \
	echo "$(BIN)/ruff check ."; $(BIN)/ruff check . || exit 1; \
	echo "$(BIN)/python -m pytest -q -n 2 --dist loadgroup -p no:logging --durations=15"; \
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup -p no:logging --durations=15

# The Dagster UI and daemon on the project's instance settings (dagster.yaml).
dev: $(STAMP) $(SYSTEM_STAMP)
	mkdir -p .dagster_home && cp dagster.yaml .dagster_home/dagster.yaml
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -m pipelines.definitions

clean:
	rm -rf $(VENV) data reports/*/ reports/index.html reports/analytics.duckdb .dagster_home

# The public pages' texts (babel.cfg) extracted and merged into every catalog in locales/; then translate what is
# new (an empty msgstr) and what changed (marked fuzzy): tests/test_i18n.py fails until every text is translated.
# The DORA report files' JSON Schema, from the field table (pipelines/dora/fields.py); a test checks they agree.
schemas: $(STAMP)
	$(BIN)/python -c "from pipelines.dora.document import SCHEMA_FILE, schema_text; SCHEMA_FILE.write_text(schema_text())"

catalogs: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --sort-output -k N_ -o $(VENV)/messages.pot .
	$(BIN)/pybabel update -i $(VENV)/messages.pot -d locales -w 120 --ignore-obsolete
