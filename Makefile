PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench

.PHONY: demo demo-compute test lint bench clean venv

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# The test suite also runs the Spark engine on local[2]; the demo does not need pyspark.
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,spark]'
	@touch $(TEST_STAMP)

$(BENCH_STAMP): $(TEST_STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,spark,bench]'
	@touch $(BENCH_STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m fenji.demo --out demo-data
	@mkdir -p demo-out
	$(BIN)/fenji scan demo-data --catalogue sqlite:///demo-out/catalogue.db \
		--format html --output demo-report.html

# Three parties on one machine: PSI, joint statistics and federated training (docs/compute.md).
demo-compute: $(STAMP)
	PATH="$(CURDIR)/$(BIN):$$PATH" bash scripts/demo_compute.sh

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/pytest -n 2 tests

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) demo-data demo-out demo-report.html .pytest_cache .mypy_cache .ruff_cache
