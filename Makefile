# The two commands a new user needs: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test install lint typecheck unit integration e2e conformance bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The demo stack also needs dlt and dbt (extras; dbt-core pinned ~=1.11.0 in pyproject).
DEMO_STAMP := $(VENV)/.installed-demo

$(DEMO_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install -q -e '.[dev,dbt,dlt]'
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
	$(BIN)/mypy
	scripts/with-postgres.sh scripts/with-seaweedfs.sh scripts/ci-podman.sh $(BIN)/python -m pytest -q -p no:cacheprovider tests --ignore=tests/e2e/ui
	scripts/ci-chromium.sh $(BIN)/python -m pytest -q -p no:cacheprovider tests/e2e/ui
	$(BIN)/python scripts/conformance.py --corpus ../shared/kestra-corpus --check --run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest -q tests/unit

bench: $(STAMP)
	for script in bench/*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .tercel .mypy_cache .ruff_cache .pytest_cache
