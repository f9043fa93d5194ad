"""Tiny packages built at run time, so set-up can be exercised offline: a wheel for pip
(found through ``PIP_FIND_LINKS`` with ``PIP_NO_INDEX``) and a tarball for npm (a ``file:``
dependency), and a scratch project holding the set-up code and its inputs."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import shutil
import subprocess
import tarfile
import zipfile
from pathlib import Path

from devstack.runner import ROOT


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def wheel(folder: Path, name: str, version: str) -> Path:
    """A pure-Python wheel of one module, ``<name>/__init__.py``."""
    folder.mkdir(parents=True, exist_ok=True)
    info = f"{name}-{version}.dist-info"
    files = {
        f"{name}/__init__.py": f"VERSION = {version!r}\n".encode(),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: probes\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = [_record_line(path, data) for path, data in files.items()] + [f"{info}/RECORD,,"]
    path = folder / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as archive:
        for member, data in files.items():
            archive.writestr(member, data)
        archive.writestr(f"{info}/RECORD", "\n".join(record) + "\n")
    return path


def tarball(folder: Path, name: str, version: str) -> Path:
    """An npm package tarball (``package/package.json`` and ``package/index.js``)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{version}.tgz"
    members = {
        "package/package.json": json.dumps({"name": name, "version": version}).encode(),
        "package/index.js": b"module.exports = 1;\n",
    }
    with tarfile.open(path, "w:gz") as archive:
        for member, data in members.items():
            entry = tarfile.TarInfo(member)
            entry.size = len(data)
            archive.addfile(entry, io.BytesIO(data))
    return path


def project(root: Path) -> Path:
    """A scratch checkout: the set-up code, a requirements file pinning a local wheel, a
    package.json locking a local tarball (its lock made by npm, offline)."""
    shutil.copytree(
        ROOT / "devstack" / "bootstrap",
        root / "devstack" / "bootstrap",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    (root / "devstack" / "__init__.py").write_text("")
    wheel(root / "wheels", "devux_probe", "1.0")
    (root / "requirements.txt").write_text("devux-probe==1.0\n")
    (root / "requirements-dev.txt").write_text("# pinned\n-r requirements.txt\n")
    tarball(root / "vendor", "devux-probe", "1.0.0")
    manifest = {
        "name": "scratch",
        "private": True,
        "devDependencies": {"devux-probe": "file:vendor/devux-probe-1.0.0.tgz"},
    }
    (root / "package.json").write_text(json.dumps(manifest))
    subprocess.run(
        ["npm", "install", "--package-lock-only", "--offline", "--no-audit", "--no-fund"],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=120,
    )
    return root


def offline_env(root: Path) -> dict[str, str]:
    """pip finds packages in the project's ``wheels/`` only."""
    import os

    return {
        **os.environ,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(root / "wheels"),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
