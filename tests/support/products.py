"""The repository's products installed as a team would: a wheel, one fresh venv per product.

A copy of the repository (what ``git ls-files`` lists, uncommitted changes included) is
built into one wheel; each product (``devstack``, ``posture``, ``migrate``) is then installed
from it with its extra into a venv of its own, the three at once. Installs take every
distribution from a wheelhouse that ``pip download`` filled from the package index with the
same wheel's requirements: the index is asked once per set of pins (the wheelhouse is kept
in the user's cache, named for the pins, so a later run installs offline), and what lands
in each venv is what pip resolves for that extra, nothing preinstalled. Bytecode is not
compiled at install (``--no-compile``): the imports compile what they use.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import tomllib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from devstack.runner import ROOT

PRODUCTS = ("devstack", "posture", "migrate")
DISTRIBUTION = "secretless-functions"
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input"]
INSTALL_TIMEOUT = 900


@dataclass(frozen=True)
class Product:
    name: str
    venv: Path

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    @property
    def python(self) -> Path:
        return self.bin / "python"

    def distributions(self) -> dict[str, str]:
        """Every distribution installed in the venv: normalized name -> version."""
        script = (
            "import importlib.metadata as m, json, re\n"
            "print(json.dumps({re.sub(r'[-_.]+', '-', d.metadata['Name']).lower(): d.version"
            " for d in m.distributions()}))"
        )
        result = run([str(self.python), "-c", script], cwd=self.venv)
        assert result.returncode == 0, result.stderr
        found: dict[str, str] = json.loads(result.stdout)
        return found


@dataclass(frozen=True)
class Built:
    wheel: Path
    products: dict[str, Product]


def pyproject() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)


def extras() -> dict[str, list[str]]:
    project = pyproject()["project"]
    assert isinstance(project, dict)
    found: dict[str, list[str]] = project["optional-dependencies"]
    return found


def build_requires() -> list[str]:
    system = pyproject()["build-system"]
    assert isinstance(system, dict)
    found: list[str] = system["requires"]
    return found


def clean_env(**extra: str) -> dict[str, str]:
    """An environment without this checkout on it: no PYTHONPATH, no venv of the tests."""
    keep = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
    env = {name: os.environ[name] for name in keep if name in os.environ}
    ours = str(Path(sys.executable).parent)
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if p != ours)
    env.update(extra)
    return env


def run(
    argv: list[str], *, cwd: Path, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=cwd,
        env=env if env is not None else clean_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _checked(argv: list[str], *, cwd: Path, what: str) -> None:
    env = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    result = run(argv, cwd=cwd, env=env, timeout=INSTALL_TIMEOUT)
    assert result.returncode == 0, f"{what} failed:\n{result.stdout[-3000:]}\n{result.stderr}"


def copy_repository(dest: Path) -> Path:
    """The files git knows of (tracked, and new ones not ignored), as they are on disk."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def wheelhouse_dir() -> Path:
    """Where the wheels for this set of pins are kept between runs."""
    key = json.dumps(
        [extras(), build_requires(), platform.machine(), sys.version_info[:2]], sort_keys=True
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "secretless-functions-tests" / f"wheelhouse-{digest}"


def fill_wheelhouse(source: Path) -> Path:
    """The wheelhouse for the current pins, downloaded from the index the first time."""
    target = wheelhouse_dir()
    if (target / ".complete").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".filling-", dir=target.parent))
    try:
        everything = f"{source}[{','.join(PRODUCTS)}]"
        download = [*PIP, "download", "--dest", str(staging)]
        _checked([*download, *build_requires()], cwd=staging, what="pip download (build)")
        _checked([*download, everything], cwd=staging, what="pip download (products)")
        for own in staging.glob("secretless*"):
            own.unlink()
        (staging / ".complete").touch()
        if not target.exists():
            staging.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def build(workdir: Path) -> Built:
    """The wheel from a copy of the repository and one venv per product, installed at once."""
    source = copy_repository(workdir / "repository")
    wheelhouse = fill_wheelhouse(source)
    offline = ["--no-index", "--find-links", str(wheelhouse)]
    dist = workdir / "dist"
    _checked(
        [*PIP, "wheel", "--no-deps", *offline, "--wheel-dir", str(dist), str(source)],
        cwd=workdir,
        what="pip wheel",
    )
    (wheel,) = dist.glob("secretless_functions-*.whl")

    def install(name: str) -> Product:
        venv = workdir / f"venv-{name}"
        _checked(
            [sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=workdir, what="venv"
        )
        product = Product(name, venv)
        argv = [*PIP, "--python", str(product.python), "install", "--no-compile", *offline]
        _checked([*argv, f"{wheel}[{name}]"], cwd=workdir, what=f"pip install [{name}]")
        return product

    with ThreadPoolExecutor(max_workers=len(PRODUCTS)) as pool:
        products = dict(zip(PRODUCTS, pool.map(install, PRODUCTS), strict=True))
    return Built(wheel, products)
