# Berth: the two commands are `make dev` and `make test`. Both set up everything.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: dev test test-fast setup system-deps cluster cluster-down lint format vendor clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

system-deps:
	tools/system-deps.sh

setup: system-deps $(VENV)/.installed

## Run Berth (web + worker) with Redis and, unless KUBECONFIG is set, the local cluster.
dev: setup
	$(PY) -m tools.dev

## Set up everything, then run the whole test suite (real cluster, Redis, worker, Chromium).
test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m devcluster build
	$(PY) -m tools.test -v $(PYTEST_ARGS)

## The inner loop: unit and web tests only (no cluster, worker or browser), in seconds.
test-fast: $(VENV)/.installed
	$(PY) -m tools.test -q -m "(unit or web) and not cluster" $(PYTEST_ARGS)

## The local Kubernetes control plane (built on first use).
cluster: $(VENV)/.installed
	$(PY) -m devcluster up

cluster-down: $(VENV)/.installed
	$(PY) -m devcluster down

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

## Refresh static/vendor from vendor/package-lock.json (needs npm; the console does not).
vendor:
	vendor/update.sh

clean:
	rm -rf $(VENV) .data test-artifacts
