# Two entry points for a fresh Debian machine with Python 3.10+:
#   make run   set up .venv and serve the web map at http://127.0.0.1:8000/
#   make test  set up .venv and system packages (chromium), then run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test setup system-deps lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

setup: $(BIN)/.installed

run: setup
	$(BIN)/fossilgis serve --host $(HOST) --port $(PORT)

system-deps:
	scripts/install-system-deps.sh

test: setup system-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check fossilgis webmap tests bench

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
