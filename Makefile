# One command runs the app on the offline local stack, one runs the tests.
# Set-up (python -m devstack.bootstrap, standard library only) takes the checkout's set-up
# lock, so two `make run` at once do not install into the same folders together; it decides
# what is installed by looking (every pinned package, every locked npm package), never by a
# stamp, and shows pip's and npm's progress. A venv another Python made is rebuilt.
PYTHON ?= python3.11
PYTHON_VERSION := 3.11
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test fast lint typecheck unit integration bench setup clean smoke python-check
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

# Tests. Those that need no stack (the `stack` marker comes from the fixtures a test requests,
# tests/support/marks.py) run on three workers, one more than the standard machine's cores
# (many wait on a subprocess, a browser or a local server: 4:24 on three, 5:10 on two on a
# clean clone that compiled as it went), each module's tests on one worker (its fixtures are
# made once). pytest answers 5 when a selection holds no test, as when PYTEST_ARGS names
# tests of one kind: not a failure.
TEST_WORKERS ?= 3
PARALLEL := -n $(TEST_WORKERS) --dist loadfile
# The stack tests mostly wait on their stacks, so they run on three workers: the modules that
# share a session stack on one (the devstack's, the rehearsal's: each is started once), the
# two fault scenarios one after the other on one (together they starve the other stacks),
# every other module whole on one (tests/support/grouping.py).
STACK_WORKERS ?= 3
STACK_PARALLEL := -n $(STACK_WORKERS) --stack-groups
# The fault scenarios (tests/faults) bring on their faults at fractions of the run, so every
# fault meets jobs in flight at any size: make test runs them at FAULT_JOBS jobs each, and
# make test FAULT_JOBS=1000 at full size. Under 200, a run can end before any vault read
# meets the vault outage, which the fault run rightly refuses.
FAULT_JOBS ?= 200
none_is_fine := || [ $$? -eq 5 ]
# make test runs the tests in a random order, a fresh seed each run (pytest's header prints
# it; make test ORDER_SEED=<seed> repeats a run), then the modules whose tests share a stack
# again in reverse order: no test may lean on another (tests/support/ordering.py). The fault
# run's two tests have a stack each, so its long run is not repeated here.
ORDER_SEED ?=
ORDER := --order random $(if $(ORDER_SEED),--order-seed $(ORDER_SEED))
ORDER_SLICE := tests/integration/test_dependency_errors.py tests/integration/test_hostile_partner.py
# Coverage of every process the tests start, held to a floor for the shipped packages
# (statements and branches together; [tool.coverage] in pyproject.toml). A whole make test
# reaches 94.1 to 94.6% of blueprints/, shared/ and posture/ (the blueprints mostly in the
# hosts of the stack tests); the floor sits under it by the room a random order needs, so
# adding code without its tests fails make test. Raise it as the measured total rises.
COVERAGE := $(PY) -m coverage
# The stack phase measures the processes its tests start (the hosts running the app, the
# emulators), not the pytest workers, whose own tracing was most of coverage's cost there
# (tests/support/subprocess_coverage.py); the no-stack phase traces its tests' own process.
# The option's value is joined by "=": pytest reads a separate word as a path to collect
# before it knows the option, and then misses tests/conftest.py, which defines it.
STACK_COVERAGE := --cover-subprocesses=pyproject.toml
# Each phase ends with its slowest tests, so a run that grows shows where the time went.
SLOWEST := --durations=15 --durations-min=5
COVERAGE_FLOOR := 92
SHIPPED := blueprints/*,shared/*,posture/*

# make test has just run make lint, whose bandit and detect-secrets scans of the whole tree
# these two tests repeat (a minute of CPU); pytest on its own still runs them.
LINTED := --deselect tests/security/test_gates.py::test_tracked_files_hold_no_secret \
	--deselect tests/security/test_gates.py::test_bandit_finds_nothing_of_medium_or_higher_severity
# A test make fast runs that takes over a second is named at the end (tests/support/budget.py).
BUDGET := --fast-budget 1

# A test run starts hundreds of Python processes (xdist workers, stacks, hosts, CLIs) and
# pytest rewrites every test module's asserts: where PYTHONDONTWRITEBYTECODE is set (as on
# the standard machine), each of them compiled its modules from source every time, 16 s of
# every make fast worker's collection against 8 s with the bytecode kept. The test targets
# keep it under .devstack/pycache (git-ignored) whatever the environment says.
TEST_BYTECODE := $(CURDIR)/.devstack/pycache
test fast unit integration: export PYTHONPYCACHEPREFIX := $(TEST_BYTECODE)
test fast unit integration: export PYTHONDONTWRITEBYTECODE :=

# Feedback in under a minute: every test that needs no stack and is not slow, in parallel.
# Three workers stealing each other's queued tests finish first: many of these tests wait on a
# subprocess, a browser or a local server, and no module fixture here costs seconds.
FAST_PARALLEL := -n 3 --dist worksteal
# Folders that hold stack tests only are not even collected: each worker would import them
# to deselect them (tests/unit/test_fast_selection.py holds them to that).
STACK_ONLY := tests/integration tests/conformance tests/lifecycle tests/faults tests/products
fast: setup
	$(PY) -m pytest -m "not stack and not slow" $(FAST_PARALLEL) $(addprefix --ignore=,$(STACK_ONLY)) $(BUDGET) $(PYTEST_ARGS)

unit: setup
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

integration: $(VENV)/.installed node_modules/.installed
	$(PY) -m pytest tests/integration $(PYTEST_ARGS)

# Lint and types first, side by side: each is one process on one core (82 s one after the
# other on a clean clone, 54 s together).
test: setup
	$(MAKE) --no-print-directory -j2 --output-sync=target lint typecheck
	$(COVERAGE) erase
	$(COVERAGE) run -m pytest -m "not stack" $(PARALLEL) $(ORDER) $(SLOWEST) $(BUDGET) $(LINTED) $(PYTEST_ARGS) $(none_is_fine)
	FAULT_RUN_JOBS=$(FAULT_JOBS) ROTATION_LOAD_JOBS=$(FAULT_JOBS) $(PY) -m pytest -m stack $(STACK_PARALLEL) $(STACK_COVERAGE) $(ORDER) $(SLOWEST) $(PYTEST_ARGS) $(none_is_fine)
	$(PY) -m pytest --order reverse $(PARALLEL) $(ORDER_SLICE)
	$(COVERAGE) combine --quiet
	$(COVERAGE) report --skip-covered --sort=cover
	@echo "coverage of blueprints/, shared/ and posture/ (the floor is $(COVERAGE_FLOOR)%):"
	@$(COVERAGE) report --include='$(SHIPPED)' --fail-under=$(COVERAGE_FLOOR) --format=total

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
	rm -rf .devstack .pytest_cache .mypy_cache .ruff_cache .hypothesis .coverage .coverage.* $(VENV) $(INFRA_VENV) node_modules .npm-ci.log
