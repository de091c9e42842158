# Two entry points for a fresh Debian machine with Python 3.10+:
#   make run   set up .venv and serve the web map at http://127.0.0.1:8000/
#   make test  set up .venv and system packages (chromium), then run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-fast setup system-deps lint format bench clean

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

# quick local loop: no Chromium, no PostgreSQL, no slow end-to-end tests
test-fast: setup
	$(BIN)/python -m pytest -m "not browser and not postgis and not slow" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check fossilgis webmap tests bench notebooks
	$(BIN)/ruff format --check fossilgis webmap tests bench notebooks

format: setup
	$(BIN)/ruff format fossilgis webmap tests bench notebooks

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .pytest_cache test-artifacts
