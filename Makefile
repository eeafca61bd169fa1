# The two commands of the README. Both create .venv and install teamcast into it first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install ext bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

install: $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"

ext: install
	$(BIN)/python setup.py --quiet build_ext --inplace

demo: install
	$(BIN)/teamcast demo --workspace demo.db

test: ext
	@scripts/ensure-test-tools
	$(BIN)/pytest -q

bench: ext
	$(BIN)/python bench/run.py

clean:
	rm -rf build dist *.egg-info ext/*.c ext/*.so ext/*.html
