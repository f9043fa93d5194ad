"""The official Azure SDK samples, from the source distributions of the pinned packages.

The SDK publishes each package's ``samples/`` in its sdist; they are fetched from PyPI's
simple index (the JSON form, PEP 691) at the version requirements.txt pins, checked
against the index's sha256, and unpacked; nothing of them is kept in the project.
"""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import requests

from devstack.bootstrap.pins import read_pins
from devstack.runner import ROOT

INDEX = "https://pypi.org/simple/{name}/"
JSON = "application/vnd.pypi.simple.v1+json"


class Unreachable(RuntimeError):
    """PyPI did not answer: the samples cannot be fetched here."""


def samples(package: str, into: Path) -> Path:
    """The ``samples/`` folder of ``package`` at the version the project pins."""
    version = read_pins(ROOT / "requirements-dev.txt")[package]
    filename = f"{package.replace('-', '_')}-{version}.tar.gz"
    try:
        index = requests.get(INDEX.format(name=package), headers={"Accept": JSON}, timeout=30)
        index.raise_for_status()
        (entry,) = [f for f in index.json()["files"] if f["filename"] == filename]
        archive = requests.get(entry["url"], timeout=120)
        archive.raise_for_status()
    except requests.RequestException as exc:
        raise Unreachable(f"PyPI: {type(exc).__name__}") from exc
    assert hashlib.sha256(archive.content).hexdigest() == entry["hashes"]["sha256"]
    with tarfile.open(fileobj=io.BytesIO(archive.content)) as sdist:
        members = [m for m in sdist.getmembers() if "/samples/" in m.name and m.isfile()]
        sdist.extractall(into, members=members, filter="data")
    return into / filename.removesuffix(".tar.gz") / "samples"
