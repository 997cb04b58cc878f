# Two commands for a fresh machine: `make run` (install, train if needed, serve on embedded
# defaults) and `make test` (the whole suite). uv is installed into the pyenv Python 3.10 if absent.
PYTHON ?= python3
UV := $(PYTHON) -m uv

.PHONY: install model run test bench

install:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen

model: install
	@ls models/*.tar.gz >/dev/null 2>&1 || $(UV) run tawasol train

run: model
	$(UV) run tawasol serve

test: install
	$(UV) run pytest

bench: model
	$(UV) run python -m bench
