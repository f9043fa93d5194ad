"""Each product installed from the repository into a fresh venv, run on an app that is not
this one, and bringing its own dependencies only.

``pip install 'secretless-functions[devstack]'`` (and ``[posture]``, ``[migrate]``) from a
copy of the repository (tests/support/products.py); then the installed commands: ``devstack
up`` on a small app of another team (an HTTP API, a queue trigger, a blob, identity-based
connections, a package of its own named ``shared``) with Azurite installed on first start,
``posture --fail-on high`` on that app's environment, and ``migrate scan|fix|verify`` on a
re-created public app. The tests run in this order on purpose: the stack starts with the
first one and installs Azurite while the next ones run.
"""

from __future__ import annotations

import json
import random
import re
import zipfile

import pytest
import requests

from tests.products.conftest import OrdersStack
from tests.support import migrate_fixtures as mf
from tests.support import products as p
from tests.support import secret_shapes
from tests.support.waiting import eventually

#: Slow (venvs, an npm ci), and ``stack``: the devstack it installs is started here. Every test
#: of the module asks for ``stacks`` so the module runs in one phase and builds its venvs once.
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("stacks")]

#: What only one product needs: another product's venv must hold none of it.
ONLY = {
    "devstack": {"azure-functions", "azure-data-tables", "starlette", "uvicorn", "trustme"},
    "posture": {"azure-mgmt-resource", "azure-mgmt-resourcegraph", "azure-monitor-query"},
    "migrate": {"libcst"},
}
#: migrate judges with posture's rules: posture's dependencies are its own too.
INCLUDES = {"devstack": {"devstack"}, "posture": {"posture"}, "migrate": {"migrate", "posture"}}
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^;\s]+)$")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(product: str) -> dict[str, str]:
    found = {}
    for extra in INCLUDES[product]:
        for requirement in p.extras()[extra]:
            if match := PIN.match(requirement):
                found[normalized(match[1])] = match[2]
    return found


@pytest.mark.timeout(1800)  # the first run on a machine downloads every wheel once
def test_the_wheel_holds_the_products_and_their_library_not_the_app(built: p.Built) -> None:
    with zipfile.ZipFile(built.wheel) as wheel:
        names = wheel.namelist()
    tops = {name.split("/")[0] for name in names if not name.startswith("secretless_functions-")}
    assert tops == {"shared", "posture", "devstack", "migrate"}
    assert "devstack/node/package-lock.json" in names
    assert "function_app.py" not in names
    assert not [name for name in names if name.endswith("host.json")]


def test_the_installed_devstack_installs_azurite_on_its_first_start(
    orders_stack: OrdersStack,
) -> None:
    """The installed devstack has no project around it: it says it installs Azurite (npm ci
    from the lock it carries) into the user's cache, and does so there."""
    line = eventually(
        lambda: re.search(r"installing Azurite 3\.35\.0 into (\S+)", orders_stack.output()),
        timeout=120,
    )
    assert line[1].startswith(str(orders_stack.cache))


@pytest.mark.parametrize("product", p.PRODUCTS)
def test_each_venv_holds_its_product_pins_and_nothing_another_product_needs(
    built: p.Built, product: str
) -> None:
    installed = built.products[product].distributions()
    assert installed["secretless-functions"] == "0.1.0"
    wrong = {name: installed.get(name) for name, version in pins(product).items()}
    assert {n: v for n, v in wrong.items() if v != pins(product)[n]} == {}
    others = set().union(*(ONLY[o] for o in p.PRODUCTS if o not in INCLUDES[product]))
    assert ONLY[product] <= installed.keys()
    assert others & installed.keys() == set(), f"{product} drags in {others & installed.keys()}"


def test_what_only_one_product_needs_is_pinned_by_that_product_alone() -> None:
    """The lists above follow pyproject.toml: each name in one extra's pins and no other."""
    for product, names in ONLY.items():
        holders = {extra for extra in p.PRODUCTS for name in names if name in pins(extra)}
        assert names <= pins(product).keys()
        assert holders <= {extra for extra in p.PRODUCTS if product in INCLUDES[extra]}


_IMPORT_ALL = """
import importlib, json, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
    if not info.name.endswith("__main__"):
        importlib.import_module(info.name)
print(json.dumps([package.__file__, sorted(sys.modules)]))
"""


@pytest.mark.parametrize("product", p.PRODUCTS)
def test_every_module_of_a_product_imports_in_its_own_venv(built: p.Built, product: str) -> None:
    venv = built.products[product]
    result = p.run([str(venv.python), "-c", _IMPORT_ALL, product], cwd=venv.venv)
    assert result.returncode == 0, result.stderr[-3000:]
    location, _ = json.loads(result.stdout)
    assert location.startswith(str(venv.venv)), "imported from the checkout, not the install"


@pytest.mark.parametrize(("venv", "command"), [("devstack", "posture"), ("posture", "devstack")])
def test_a_command_without_its_extra_names_what_to_install(
    built: p.Built, venv: str, command: str
) -> None:
    here = built.products[venv]
    result = p.run([str(here.bin / command), "--help"], cwd=here.venv)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert f"{command} needs the [{command}] extra" in line
    assert f"'secretless-functions[{command}] @ file://" in line
    for name in ONLY[command]:
        assert name in line


def test_migrate_scans_and_fixes_a_public_app_and_asks_for_the_stack_to_verify(
    built: p.Built, tmp_path
) -> None:
    migrate = built.products["migrate"]
    app = mf.materialize("uptime-monitor", tmp_path / "app")
    command = str(migrate.bin / "migrate")
    scan = p.run([command, "scan", str(app.app_dir), "--format", "json"], cwd=tmp_path)
    assert scan.returncode == 1, scan.stderr  # findings at or above the default threshold
    found = {(f["kind"], f["file"], f["line"]) for f in json.loads(scan.stdout)["findings"]}
    assert {(e.kind, e.file, e.line) for e in app.expected()} <= found
    fixed = tmp_path / "fixed"
    fix = p.run([command, "fix", str(app.app_dir), "--out", str(fixed)], cwd=tmp_path)
    assert fix.returncode == 0, fix.stderr
    rescan = p.run([command, "scan", str(fixed), "--format", "json"], cwd=tmp_path)
    assert len(json.loads(rescan.stdout)["findings"]) < len(found)
    verify = p.run([command, "verify", str(fixed)], cwd=tmp_path)
    assert verify.returncode == 2
    assert "secretless-functions[devstack]" in verify.stderr.strip().splitlines()[-1]
    for value in app.secrets.values():
        for output in (scan, fix, rescan, verify):
            assert value not in output.stdout + output.stderr


@pytest.mark.timeout(900)  # waits for the first start: Azurite's npm ci, then the stack
def test_the_installed_devstack_serves_another_app_with_identity_connections(
    orders_stack: OrdersStack,
) -> None:
    api = orders_stack.endpoints()["api"]
    assert requests.get(f"{api}/hello", timeout=30).status_code == 401  # Easy Auth emulated
    minted = orders_stack.command("token")
    assert minted.returncode == 0, minted.stderr
    auth = {"Authorization": f"Bearer {minted.stdout.strip()}"}
    hello = requests.get(f"{api}/hello", headers=auth, timeout=30)
    assert hello.text == "hello from the orders app, own shared package"  # the app's shared
    taken = requests.post(f"{api}/orders/o-17", data=b"two pears", headers=auth, timeout=30)
    assert taken.status_code == 202, taken.text

    def receipt() -> str | None:
        answer = requests.get(f"{api}/receipts/o-17", headers=auth, timeout=30)
        return answer.text if answer.status_code == 200 else None

    assert eventually(receipt, timeout=120) == "receipt o-17: two pears"  # queue -> blob
    marks = list(orders_stack.cache.glob("secretless-devstack/azurite-3.35.0-*/.installed"))
    assert len(marks) == 1


#: The rules that judge an app's settings and its connections (as migrate verify does); the
#: others need the deployment's subscription, vault or tenant, which a local stack has not.
ENVIRONMENT_RULES = (
    "RT-ENV-SECRETS",
    "RT-CRED-FALLBACK",
    "RT-CONN-KEYED",
    "RT-SAS-CLASSIFY",
    "RT-CONN-TOKEN",
)


def test_posture_judges_that_app_environment_and_fails_the_gate_on_a_key(
    built: p.Built, orders_stack: OrdersStack
) -> None:
    orders_stack.endpoints()
    exported = orders_stack.command("env", "--format", "json")
    assert exported.returncode == 0, exported.stderr
    env = {**json.loads(exported.stdout), "PATH": p.clean_env()["PATH"]}
    posture = [str(built.products["posture"].bin / "posture"), "--format", "json"]
    posture += ["--fail-on", "high", *(f"--rule={rule}" for rule in ENVIRONMENT_RULES)]
    clean = p.run(posture, cwd=orders_stack.workdir, env=env)
    assert clean.returncode == 0, clean.stderr
    results = {r["id"]: r for r in json.loads(clean.stdout)["results"]}
    assert {rule: results[rule]["status"] for rule in ENVIRONMENT_RULES} == dict.fromkeys(
        ENVIRONMENT_RULES, "pass"
    )
    judged = {e["setting"] for e in results["RT-CONN-TOKEN"]["evidence"] if e["outcome"] == "ok"}
    assert {"ORDERS__queueServiceUri", "ORDERS__blobServiceUri"} <= judged
    planted = secret_shapes.storage_connection_string_planted(random.Random(17))
    keyed = p.run(posture, cwd=orders_stack.workdir, env={**env, "LEGACY": planted.text})
    assert keyed.returncode == 1, keyed.stderr
    assert "RT-CONN-KEYED (high) fail" in keyed.stderr
    assert planted.value not in keyed.stdout + keyed.stderr
