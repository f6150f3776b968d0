# Two commands: `make dev` (install, start the local platform, seed demo data, open Dagster)
# and `make test` (install, start what the tests need, run everything, stop what it started).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
export DAGSTER_HOME := $(CURDIR)/.tardis/dagster

.PHONY: dev test test-cluster install platform-up platform-down lint format validate demo benchmark benchmark-smoke clean package

# Every script in benchmarks/ takes `--smoke` (a tiny size); `make test` runs each once that way so a
# benchmark that no longer runs fails CI. `make test BENCHMARK_SMOKE=0` skips them.
BENCHMARKS := $(sort $(wildcard benchmarks/*.py))
BENCHMARK_SMOKE ?= 1
# Two pytest workers: integration tests mostly wait on Spark, Kafka and dbt, so two streams fill the two
# cores; tests/conftest.py keeps a file (and the demo's shared tables' users) on one worker.
# `make test PYTEST_WORKERS=0` runs everything in one process.
PYTEST_WORKERS ?= 2
PYTEST_PARALLEL = $(if $(filter 0,$(PYTEST_WORKERS)),,-n $(PYTEST_WORKERS) --dist loadgroup)

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

# Starts the platform, runs lint, the whole suite and the benchmarks' smoke runs, and always stops
# what it started.
test: install
	@started=0; \
	if ! $(BIN)/tardis local status >/dev/null 2>&1; then started=1; fi; \
	$(BIN)/tardis local up || exit 1; \
	set --; if [ $$started = 1 ] && [ "$(CLUSTER_PASS)" = 1 ]; then set -- -m "not cluster_only"; fi; \
	$(MAKE) --no-print-directory lint && $(BIN)/python -m pytest $(PYTEST_PARALLEL) "$$@" $(PYTEST_ARGS) \
		&& { [ "$(BENCHMARK_SMOKE)" = 0 ] || $(MAKE) --no-print-directory benchmark-smoke; }; rc=$$?; \
	if [ $$started = 1 ]; then \
		$(BIN)/tardis local down; \
		if [ $$rc = 0 ] && [ "$(CLUSTER_PASS)" = 1 ]; then $(MAKE) --no-print-directory test-cluster; rc=$$?; fi; \
	else echo "make test: the platform was already running, so the cluster pass is left to 'make test-cluster'"; fi; \
	exit $$rc

# The core landing, std and vault tests (marker `cluster`) again with Spark on a standalone master and
# two 1-core workers (the Connect server their driver), so their jobs run in executors of other JVMs
# as on a real cluster; ~4 minutes. Starts the platform that way and stops it at the end.
CLUSTER_PASS ?= 1
test-cluster: install
	@TARDIS_SPARK_CLUSTER=1 $(BIN)/tardis local down >/dev/null; \
	TARDIS_SPARK_CLUSTER=1 $(BIN)/tardis local up --cluster || exit 1; \
	TARDIS_SPARK_CLUSTER=1 $(BIN)/python -m pytest $(PYTEST_PARALLEL) -m cluster $(PYTEST_ARGS); rc=$$?; \
	TARDIS_SPARK_CLUSTER=1 $(BIN)/tardis local down; \
	exit $$rc

# The job bundle EMR runs (dist/: entry points, spark_jobs.zip, requirements-cluster.txt, manifest.json).
package: install
	$(BIN)/python -m tardis_dagster.tooling.package dist

benchmark: install
	$(BIN)/python benchmarks/load_definitions.py

# Each benchmark once at its tiny size: checks it still runs (its figures mean nothing at that size).
# Needs the local platform (`make test` has started it).
benchmark-smoke: install
	@for script in $(BENCHMARKS); do \
		echo "benchmark smoke: $$script --smoke"; \
		$(BIN)/python $$script --smoke || { echo "benchmark smoke failed: $$script" >&2; exit 1; }; \
	done

clean: platform-down
	rm -rf .tardis
