# The two commands of the README (`make demo`, `make test`) and `make lint`. Each creates .venv and
# installs teamcast into it first, but only when pyproject.toml or setup.py changed since the last
# install (stamp files in .venv), so a second run starts at once.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_BASE := $(VENV)/.installed-base
STAMP_TEST := $(VENV)/.installed-test
STAMP_EXT := build/.kernel-built
# mypy needs a folder named after the package; the repository root is the package (setup.py maps it).
TYPECHECK := build/typecheck

.PHONY: demo test lint install ext bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# What users get: no test extras.
$(STAMP_BASE): pyproject.toml setup.py | $(BIN)/python
	@if [ -f $(STAMP_TEST) ] && [ $(STAMP_TEST) -nt pyproject.toml ] && [ $(STAMP_TEST) -nt setup.py ]; then \
		echo "teamcast is installed (with the test extras)"; \
	else \
		$(BIN)/python -m pip install --quiet -e . ; \
	fi
	@touch $@

$(STAMP_TEST): pyproject.toml setup.py | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	@touch $@ $(STAMP_BASE)

install: $(STAMP_TEST)

$(STAMP_EXT): ext/_kernel.pyx ext/_serial.pyx ext/_stats.pyx plugins/_tables.pyx setup.py $(STAMP_TEST)
	$(BIN)/python setup.py --quiet build_ext --inplace
	@mkdir -p build && touch $@

ext: $(STAMP_EXT)

demo: $(STAMP_BASE)
	$(BIN)/teamcast demo --workspace demo.db

lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@mkdir -p $(TYPECHECK) && ln -sfn ../.. $(TYPECHECK)/teamcast
	cd $(TYPECHECK) && ../../$(BIN)/mypy --config-file ../../pyproject.toml -p teamcast

test: ext
	@scripts/ensure-test-tools
	$(BIN)/pytest -q

bench: ext
	$(BIN)/python bench/run.py

clean:
	rm -rf build dist *.egg-info ext/*.c ext/*.so ext/*.html plugins/*.c plugins/*.so plugins/*.html $(VENV)/.installed-*
