# Two entry points that work on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,dev]'
	touch $@

# The preflight prints the apt-get line for missing xcb libraries instead of Qt's plugin error.
run: $(VENV)/.installed
	$(BIN)/python -m streamimages_desktop.ui.app.preflight
	$(BIN)/streamimages gui

test: $(VENV)/.installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy streamimages_desktop

bench: $(VENV)/.installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/import_speed.py
	$(BIN)/python benchmarks/cache_speed.py
	$(BIN)/python benchmarks/cache_workbench.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/gallery.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python benchmarks/viewer.py
	$(BIN)/python benchmarks/scale.py
	$(BIN)/python benchmarks/hostile_jpeg.py
	$(BIN)/python benchmarks/team_library.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache
