# Every target creates .venv and installs what it needs, so a fresh machine with
# Python 3.11+ needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PEERS := .venv-peers

.PHONY: demo test bench bench-peers bench-scale bench-pipeline lint clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "tidal needs Python 3.11+ (set PYTHON=python3.x)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@# Bytecode for the editable sources, as pip writes it for installed packages: a start
	@# compiles nothing where Python may not write it (PYTHONDONTWRITEBYTECODE).
	$(BIN)/python -m compileall -q src
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/tidal lab s3-fanout --objects 10000

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks

bench: $(STAMP)
	$(BIN)/python -m benchmarks

# seed-000 at its real size (1,000,000 objects): most of an hour, so not part of `make bench`.
bench-scale: $(STAMP)
	$(BIN)/python -m benchmarks.scale

# where seed-000's CPU goes per object: the user's boto3 calls, tidal's server and runtime.
bench-pipeline: $(STAMP)
	$(BIN)/python -m benchmarks.pipeline_cpu

# moto[server] and ministack in their own venv, then the same benchmarks against them.
bench-peers: $(STAMP)
	$(PYTHON) -m venv $(PEERS)
	$(PEERS)/bin/python -m pip install -q --upgrade pip
	$(PEERS)/bin/python -m pip install -q 'moto[server]' ministack
	$(BIN)/python -m benchmarks --peers $(PEERS)

clean:
	rm -rf $(VENV) $(PEERS) .tidal
