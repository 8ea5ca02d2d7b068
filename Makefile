# `make demo` and `make test` set up everything they need on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO := demo
PORT ?= 8000
# pytest-xdist workers for `make test` (tests/conftest.py says how tests are grouped); 0 runs in-process.
TEST_WORKERS ?= 2

.PHONY: demo test chromium goldens bench lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test,bench]"
	touch $(STAMP)

test: $(STAMP) chromium
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadgroup --durations=25

# Debian's Chromium, which tests/test_docs_browser.py drives with Playwright (never a browser Playwright
# downloads itself). If it cannot be installed that test skips loudly, and fails under CI=true.
chromium:
	@test -x /usr/bin/chromium || { \
	  sudo=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  echo "installing Debian's chromium for tests/test_docs_browser.py"; \
	  $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	} || echo "!!! chromium could not be installed: tests/test_docs_browser.py will skip (fail under CI) !!!"

# Generate the API of the bundled Chinook database, install it, run its tests, serve it.
demo: $(STAMP)
	rm -rf $(DEMO)
	$(BIN)/codegen generate sqlite:///examples/chinook.sqlite --name chinook -o $(DEMO)/chinook-api
	$(PYTHON) -m venv $(DEMO)/.venv
	$(DEMO)/.venv/bin/python -m pip install --quiet -e "$(DEMO)/chinook-api[test]"
	cd $(DEMO)/chinook-api && ../.venv/bin/python -m pytest -q
	cp examples/chinook.sqlite $(DEMO)/chinook.db
	@echo "Serving the Chinook API: http://127.0.0.1:$(PORT)/docs (Ctrl-C to stop)"
	cd $(DEMO)/chinook-api && DATABASE_URL=sqlite:///../chinook.db PORT=$(PORT) ../.venv/bin/python -m app

goldens: $(STAMP)
	$(BIN)/python -m pytest tests/test_golden.py --update-goldens

bench: $(STAMP)
	$(BIN)/python bench/bench_reflect.py
	$(BIN)/python bench/bench_generate.py
	$(BIN)/python bench/bench_etl.py

clean:
	rm -rf $(VENV) $(DEMO) .cache bench/out
