# One command runs the app on the offline local stack, one runs the tests.
# Set-up (python -m devstack.bootstrap, standard library only) takes the checkout's set-up
# lock, so two `make run` at once do not install into the same folders together; it decides
# what is installed by looking (every pinned package, every locked npm package), never by a
# stamp, and shows pip's and npm's progress. A venv another Python made is rebuilt.
PYTHON ?= python3.11
PYTHON_VERSION := 3.11
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint typecheck unit integration bench setup clean smoke python-check
.PHONY: setup-venv setup-node setup-infra

INFRA_VENV := .venv-infra

setup: setup-venv setup-node setup-infra

# The interpreter that builds a venv is checked first, in one line.
define check-python
found=$$($(PYTHON) -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])' 2>/dev/null); \
case "$$found" in \
  $(PYTHON_VERSION).*) ;; \
  "") echo "setup: Python $(PYTHON_VERSION) is needed, but '$(PYTHON)' does not run; install Python $(PYTHON_VERSION) or run make PYTHON=/path/to/python$(PYTHON_VERSION)" >&2; exit 2 ;; \
  *) echo "setup: Python $(PYTHON_VERSION) is needed, but '$(PYTHON)' is Python $$found; install Python $(PYTHON_VERSION) or run make PYTHON=/path/to/python$(PYTHON_VERSION)" >&2; exit 2 ;; \
esac
endef

python-check:
	@$(check-python)

BOOTSTRAP = $(PYTHON) -m devstack.bootstrap

setup-venv:
	@$(check-python); $(BOOTSTRAP) venv $(VENV) requirements-dev.txt --python $(PYTHON)

# checkov brings a large, self-pinned dependency tree: it lives in its own venv.
setup-infra:
	@$(check-python); $(BOOTSTRAP) venv $(INFRA_VENV) requirements-infra.txt --python $(PYTHON)

setup-node:
	@$(check-python); $(BOOTSTRAP) node

# The names earlier Makefiles used for the same steps (other targets still name them).
.PHONY: $(VENV)/.installed node_modules/.installed $(INFRA_VENV)/.installed
$(VENV)/.installed: setup-venv
node_modules/.installed: setup-node
$(INFRA_VENV)/.installed: setup-infra

# The stack needs the app's venv and Azurite, not the infra checks' venv.
run: setup-venv setup-node
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

# No benchmark row reads the infra checks: checkov's venv is not built for them.
bench: setup-venv setup-node
	$(PY) -m bench $(ARGS)

# Post-deploy smoke check (docs/deploy.md): SMOKE_TOKEN=<caller token> make smoke URL=<app URL>.
# ARGS passes more options, e.g. ARGS="--ca-bundle <devstack CA> --wait 300".
smoke: $(VENV)/.installed
	@test -n "$(URL)" || { echo "usage: SMOKE_TOKEN=<token> make smoke URL=<app base URL>" >&2; exit 2; }
	$(PY) -m smoke --url "$(URL)" $(ARGS)

# Everything set-up and the stack made: state, caches, both venvs and node_modules.
clean:
	rm -rf .devstack .pytest_cache .mypy_cache .ruff_cache .hypothesis $(VENV) $(INFRA_VENV) node_modules .npm-ci.log
