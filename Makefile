PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
BENCH_STAMP := $(VENV)/.installed-bench
# The spu extra needs numpy<2: it gets its own venv, used only for the spu PSI tests.
SPU_VENV := .venv-spu
SPU_STAMP := $(SPU_VENV)/.installed

.PHONY: demo demo-compute test test-spu lint bench clean venv

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

# The test suite also runs the Spark engine on local[2]; the demo does not need pyspark.
$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install -q -e '.[dev,spark]'
	@touch $(TEST_STAMP)

$(SPU_STAMP): pyproject.toml
	@test -x $(SPU_VENV)/bin/python || $(PY) -m venv $(SPU_VENV)
	$(SPU_VENV)/bin/python -m pip install -q --upgrade pip
	$(SPU_VENV)/bin/python -m pip install -q -e '.[dev,spu]'
	@touch $(SPU_STAMP)

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
	$(MAKE) test-spu

# PSI on SecretFlow's spu, in its own venv (the tests skip, saying why, where spu cannot install).
test-spu: $(SPU_STAMP)
	$(SPU_VENV)/bin/pytest -n 2 tests/test_compute_psi_spu.py

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) $(SPU_VENV) demo-data demo-out demo-compute demo-report.html .pytest_cache .mypy_cache .ruff_cache
