# The developer workflow, as executable documentation.
# `make run` and `make test` are the two commands of the README; both build .venv
# from the lock file when it is missing or older than the lock.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CONFIG ?= config.toml

.PHONY: run test typecheck bench lock clean

$(STAMP): requirements.lock pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "timeline needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

venv: $(STAMP)

## make run: the whole service on the embedded default (SQLite, outbox folder, sample feeds).
run: $(STAMP)
	$(BIN)/timeline --config $(CONFIG) init
	$(BIN)/timeline --config $(CONFIG) serve

## make test: the whole suite, then the type check.
test: $(STAMP)
	$(BIN)/python -m pytest -q
	$(BIN)/python -m mypy

typecheck: $(STAMP)
	$(BIN)/python -m mypy

## make bench: every benchmark, printing ratios against baselines run beside them.
bench: $(STAMP)
	$(BIN)/python -m bench

## make lock: re-pin requirements.lock from pyproject.toml (needs pip-tools).
lock:
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --extra dev --strip-extras \
		--no-emit-index-url --no-emit-find-links -o requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache
