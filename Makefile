# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint unit bench clean venv screenshots

$(STAMP): pyproject.toml simulator/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ./simulator -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/otel-auth0 demo

lint: $(STAMP)
	$(BIN)/ruff check otel_auth0 simulator tests features bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -n 4 --dist worksteal -m "not slow" -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python -m bench

# docs/images/*.png: the readiness report and the status page in headless Chromium (Debian's chromium and
# chromium-driver, as .ci/run installs them), from real runs against the simulator.
screenshots: $(STAMP)
	$(BIN)/python -m tests.support.screenshots docs/images

clean:
	rm -rf $(VENV) .otel-auth0 .otel-auth0-demo .pytest_cache .mypy_cache .ruff_cache
