# Two commands: `make dev` (install, start the local platform, seed demo data, open Dagster)
# and `make test` (install, start what the tests need, run everything, stop what it started).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)/.tardis/dagster

.PHONY: dev test install platform-up platform-down lint format validate demo benchmark clean

install: $(STAMP) $(DAGSTER_HOME)/dagster.yaml

# Reinstall only when the dependency list changes; pip's wheel cache keeps the pyspark build.
$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml: dagster.yaml
	mkdir -p $(DAGSTER_HOME) && cp dagster.yaml $@

platform-up: install
	$(BIN)/tardis local up

platform-down:
	-test -x $(BIN)/tardis && $(BIN)/tardis local down

validate: install
	$(BIN)/tardis validate product_specs

demo: platform-up
	$(BIN)/tardis demo files
	$(BIN)/tardis demo produce
	$(BIN)/tardis demo costs

lint: install
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

dev: install validate demo
	$(BIN)/dagster dev -w workspace.yaml

# Starts the platform, runs lint and the whole suite, and always stops what it started.
test: install
	@started=0; \
	if ! $(BIN)/tardis local status >/dev/null 2>&1; then started=1; fi; \
	$(BIN)/tardis local up || exit 1; \
	$(MAKE) --no-print-directory lint && $(BIN)/python -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$started = 1 ]; then $(BIN)/tardis local down; fi; \
	exit $$rc

benchmark: install
	$(BIN)/python benchmarks/load_definitions.py

clean: platform-down
	rm -rf .tardis
