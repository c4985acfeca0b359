# The two commands a new user needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install bytecode lint typecheck unit integration e2e conformance bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(MAKE) --no-print-directory bytecode
	touch $(STAMP)

install: $(STAMP)

# An editable install has no compiled bytecode, and where PYTHONDONTWRITEBYTECODE is set (many
# container images, these machines) Python never writes it: every `tercel` command would
# compile the package again. Compile it once; a changed module is recompiled as usual.
bytecode:
	$(BIN)/python -m compileall -q -j 0 tercel

# The demo stack also needs dlt and dbt (extras; dbt-core pinned ~=1.11.0 in pyproject).
DEMO_STAMP := $(VENV)/.installed-demo

$(DEMO_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install -q -e '.[dev,dbt,dlt]'
	$(MAKE) --no-print-directory bytecode
	touch $(DEMO_STAMP)

## run: install into .venv and start the server (http://127.0.0.1:8080) with the example flows
## and the demo analytics stack of examples/demo (see README.md, "The demo")
run: $(DEMO_STAMP)
	$(BIN)/tercel validate examples/flows examples/demo/flows
	DO_NOT_TRACK=1 DBT_SEND_ANONYMOUS_USAGE_STATS=False RUNTIME__DLTHUB_TELEMETRY=false \
		$(BIN)/python scripts/demo.py --flows examples/flows

## test: install what the tests need, start the services they use (PostgreSQL, SeaweedFS, Podman,
## Chromium), run them. Playwright's sync API keeps an event loop running for its whole
## session, which would break every asyncio test after it: browser tests get their own session.
test: $(DEMO_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	scripts/with-postgres.sh scripts/with-seaweedfs.sh scripts/ci-podman.sh $(BIN)/python -m pytest -q -p no:cacheprovider tests --ignore=tests/e2e/ui
	scripts/ci-chromium.sh $(BIN)/python -m pytest -q -p no:cacheprovider tests/e2e/ui
	$(BIN)/python scripts/conformance.py --corpus ../shared/kestra-corpus --check --run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

## unit / integration / e2e: one tier of the suite (tiers are marked from the folders in
## tests/conftest.py); integration and e2e start PostgreSQL and Podman as `make test` does.
unit: $(STAMP)
	$(BIN)/python -m pytest -q -m unit tests

integration: $(DEMO_STAMP)
	scripts/with-postgres.sh scripts/ci-podman.sh $(BIN)/python -m pytest -q -m integration tests --ignore=tests/e2e/ui

e2e: $(DEMO_STAMP)
	$(BIN)/python -m pytest -q tests/e2e --ignore=tests/e2e/ui
	scripts/ci-chromium.sh $(BIN)/python -m pytest -q tests/e2e/ui

## conformance: Kestra's own test flows (../shared/kestra-corpus) validated and run
conformance: $(STAMP)
	$(BIN)/python scripts/conformance.py --corpus ../shared/kestra-corpus --check --run

bench: $(STAMP)
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .tercel .mypy_cache .ruff_cache .pytest_cache
