# One command runs the app on the offline local stack, one runs the tests.
# Set-up is idempotent: the venv and node_modules are rebuilt only when their
# pinned inputs change.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP_FLAGS := --disable-pip-version-check --no-input -q

.PHONY: run test lint typecheck unit integration bench setup clean smoke

INFRA_VENV := .venv-infra

setup: $(VENV)/.installed node_modules/.installed $(INFRA_VENV)/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "setup: installing Python dependencies into $(VENV)"
	@$(PY) -m pip install $(PIP_FLAGS) -r requirements-dev.txt
	@touch $@

# checkov brings a large, self-pinned dependency tree: it lives in its own venv.
$(INFRA_VENV)/.installed: requirements-infra.txt
	@test -x $(INFRA_VENV)/bin/python || $(PYTHON) -m venv $(INFRA_VENV)
	@echo "setup: installing infra checks (checkov) into $(INFRA_VENV)"
	@$(INFRA_VENV)/bin/python -m pip install $(PIP_FLAGS) -r requirements-infra.txt
	@touch $@

node_modules/.installed: package.json package-lock.json
	@echo "setup: installing Azurite (npm ci)"
	@npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The stack needs the app's venv and Azurite, not the infra checks' venv.
run: $(VENV)/.installed node_modules/.installed
	$(PY) -m devstack up $(ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) -m tests.security.gates bandit
	$(PY) -m tests.security.gates secrets

typecheck: setup
	$(VENV)/bin/mypy .

unit: setup
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

integration: $(VENV)/.installed node_modules/.installed
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

test: lint typecheck
	$(PY) -m pytest $(PYTEST_ARGS)

bench: setup
	$(PY) -m bench $(ARGS)

# Post-deploy smoke check (docs/deploy.md): SMOKE_TOKEN=<caller token> make smoke URL=<app URL>.
# ARGS passes more options, e.g. ARGS="--ca-bundle <devstack CA> --wait 300".
smoke: $(VENV)/.installed
	@test -n "$(URL)" || { echo "usage: SMOKE_TOKEN=<token> make smoke URL=<app base URL>" >&2; exit 2; }
	$(PY) -m smoke --url "$(URL)" $(ARGS)

clean:
	rm -rf .devstack .pytest_cache .mypy_cache .ruff_cache
