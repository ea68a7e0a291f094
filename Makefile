# Berth: the two commands are `make dev` and `make test`. Both set up everything.
PYTHON ?= python3
VENV := .venv
PIP_VERSION := 26.3
PIP_TOOLS_VERSION := 7.6.2
PY := $(VENV)/bin/python
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: reliability dev test test-fast lock setup system-deps cluster cluster-down lint format vendor clean

# requirements*.txt are locks (every package, transitive ones too, with hashes): pip
# installs exactly those files. `make lock` remakes them from requirements*.in.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet pip==$(PIP_VERSION)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.txt
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

## The reliability suite (outside `make test`, about 1 h 20 min): workers killed mid-action,
## a cross-project sweep, generated inputs on every form, websocket drops, the API server
## and Redis restarted, a page on one socket for an hour; figures in docs/reliability.md.
reliability: setup
	$(PY) -m devcluster build
	BERTH_RELIABILITY=1 $(PY) -m tools.test -v -p no:cacheprovider tests/reliability $(PYTEST_ARGS)
	@cat test-artifacts/reliability.json

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

## Remake the locks after changing requirements*.in (pip-tools in a throwaway venv).
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet pip-tools==$(PIP_TOOLS_VERSION)
	.lock-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements.txt requirements.in
	.lock-venv/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links -o requirements-dev.txt requirements-dev.in
	rm -rf .lock-venv

## Refresh static/vendor from vendor/package-lock.json (needs npm; the console does not).
vendor:
	vendor/update.sh

clean:
	rm -rf $(VENV) .data test-artifacts
