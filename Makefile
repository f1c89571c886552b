# The two commands: `make demo` and `make test`. Both set up .venv first (nothing global is needed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: demo test dev clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c requirements.lock -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/transparency demo

test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2

dev: $(STAMP)
	DAGSTER_HOME=$(CURDIR)/.dagster_home $(BIN)/dagster dev -m pipelines.definitions

clean:
	rm -rf $(VENV) data reports/*/ reports/index.html reports/analytics.duckdb .dagster_home
