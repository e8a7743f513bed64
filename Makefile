# `make demo` and `make test` (what CI runs) are the two commands; `make check` is the fast lane while working.
# Each creates .venv and installs the locked versions (requirements.lock, with hashes), then takuso itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCK := requirements.lock
UV_VERSION := 0.13.9
# `make lock` runs the resolver (uv) from a venv of its own, so a lock can be made while .venv is out of date
LOCK_VENV := .venv-lock

.PHONY: demo test check lint lock bench sample clean

$(STAMP): pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r $(LOCK)
	$(BIN)/pip install --quiet --no-deps -e .
	$(BIN)/pip check
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/takuso demo

# Everything: lint (ruff + mypy) and every test, the slow ones too.
test: lint
	$(BIN)/pytest -q

# The fast lane: lint and the tests that take under a second each (the slow ones are marked `slow`).
check: lint
	$(BIN)/pytest -q -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Re-resolve requirements.lock after a change to the dependencies in pyproject.toml (pins kept where they
# still fit); `make lock UPGRADE=1` moves every package to its newest version. Review the diff, then `make test`.
lock:
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install --quiet "uv==$(UV_VERSION)"
	$(LOCK_VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --universal --python-version 3.11 \
		$(if $(UPGRADE),--upgrade) -o $(LOCK)

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/query.py --nights 10 --points 2000

sample: $(STAMP)
	$(BIN)/python -m sample_data --out sample_data/small

# Removes only what a build or a demo makes (never a tracked file: tests/test_make_clean.py checks it).
clean:
	rm -rf $(VENV) $(LOCK_VENV) takuso-warehouse .pytest_cache .ruff_cache .mypy_cache .hypothesis
