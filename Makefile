# Two commands do all the set-up: `make demo` and `make test`. Each builds .venv itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: demo test lint typecheck bench bench-peers bench-scale docs notebook stubs clean

# pip 25.1 or newer installs the dependency groups (--group) of pyproject.toml.
$(VENV)/.created:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"
	touch $@

# The user extras the tests exercise; the tools themselves come from the dev group.
TEST_EXTRAS := svg,viz,cli,plot,sklearn,scipy,dask

# The demo needs only the package and its demo extra; the tests need everything.
$(VENV)/.demo-installed: pyproject.toml $(VENV)/.created
	$(PY) -m pip install --quiet -e ".[demo]"
	touch $@

$(VENV)/.installed: pyproject.toml $(VENV)/.created
	$(PY) -m pip install --quiet -e ".[$(TEST_EXTRAS)]" --group dev
	touch $@

demo: $(VENV)/.demo-installed
	$(VENV)/bin/tinygrad-lr demo

test: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) tests/typing/check.py
	$(PY) -m pytest

# pyright (basic) and mypy on examples/, the README's code and a typed user script, as a
# user's editor checks them (tests/typing/check.py); part of `make test`.
typecheck: $(VENV)/.installed
	$(PY) tests/typing/check.py

# Regenerate tinygrad_lr/_registered.pyi (the Tensor methods and tg.* functions the ops
# attach, for type checkers) after adding or changing an op; a test fails while it is stale.
stubs: $(VENV)/.installed
	$(PY) -m tinygrad_lr._stubgen

# Benchmarks against hand-written numpy (a few minutes; never part of `make test`).
$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install --quiet --group bench
	touch $@

bench: $(VENV)/.bench-installed
	$(PY) -m benchmarks

# The same, with PyTorch eager and jax.jit measured in the same run (the bench-peers group).
$(VENV)/.peers-installed: $(VENV)/.bench-installed
	$(PY) -m pip install --quiet --group bench-peers
	touch $@

bench-peers: $(VENV)/.peers-installed
	$(PY) -m benchmarks

# Fit time and memory against rows: in memory, streamed from a memory map, Dask with 2
# local workers, and dask-ml when it installs (optional: its column is left out if not).
bench-scale: $(VENV)/.installed
	$(PY) -m pip install --quiet "dask-ml>=2024.4" || echo "dask-ml did not install; skipping it"
	$(PY) -m benchmarks.scale --doc docs/scale.md

# The documentation site in site/: regenerate the tutorial's numbers and pictures, the
# visualization guide's pictures and the architecture page's layers (all need Graphviz's
# dot), then build without warnings.
docs: $(VENV)/.installed
	$(PY) docs/make_tutorial.py
	$(PY) docs/make_images.py
	$(PY) docs/make_architecture.py
	$(VENV)/bin/mkdocs build --strict

# The tutorial as a notebook in JupyterLab (adds the notebook extra to .venv).
$(VENV)/.notebook-installed: pyproject.toml $(VENV)/.created
	$(PY) -m pip install --quiet -e ".[notebook]"
	touch $@

# Jupyter refuses to run as root unless told (containers, CI machines).
notebook: $(VENV)/.notebook-installed
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root) examples/tutorial.ipynb

# lint-imports: the layers of pyproject.toml's [tool.importlinter] (docs/architecture.md)
lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(PY) tests/typing/check.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache .hypothesis site
