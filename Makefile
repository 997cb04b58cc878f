# Two commands for a fresh machine: `make run` (install, train if needed, serve in development
# mode on embedded defaults: simulator page, fake Graph API) and `make test` (the whole suite).
# uv is installed into the pyenv Python 3.10 if absent.
PYTHON ?= python3
UV := $(PYTHON) -m uv

.PHONY: install model run test soak bench

install:
	@$(UV) --version >/dev/null 2>&1 || $(PYTHON) -m pip install --quiet uv
	$(UV) sync --frozen

model: install
	@ls models/*.tar.gz >/dev/null 2>&1 || $(UV) run tawasol train

# Development mode only: it refuses to start when a WHATSAPP_*, SMPP_* or SMS_* variable is set.
run: model
	$(UV) run python -m simulators.dev_server

test: install
	$(UV) run pytest

# The whole-stack soak runs (many minutes each): not part of `make test`.
soak: install
	$(UV) run pytest -m soak -p no:cacheprovider

bench: model
	$(UV) run python -m bench
