"""The migrate tool's fixtures: public apps re-created under tests/fixtures/migrate/.

Each fixture directory holds ``app/`` (the re-created files), ``expected.json`` (the findings
written by reading the original app, before the tool ran on it) and ``SOURCE.md``. Secret
values in ``app/`` are placeholders, ``${FAKE:<shape>}``: :func:`materialize` copies the app
to a directory of its own and replaces each with a value from ``fill`` (the tests pass
tests/support/secret_shapes.py's generators; the benchmark a random value of the length),
so the repository holds no secret-shaped literal and every run knows the secrets it gave.
"""

from __future__ import annotations

import json
import random
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "migrate"
PLACEHOLDER = re.compile(r"\$\{FAKE:([a-z0-9-]+)\}")
Fill = Callable[[str, random.Random], str]


@dataclass(frozen=True, slots=True)
class Expected:
    """One finding a reader of the original app expects the tool to report."""

    kind: str
    service: str
    file: str
    line: int
    severity: str
    anchor: str


@dataclass(frozen=True, slots=True)
class Materialized:
    """A fixture app copied to a directory of its own with generated secrets in place."""

    name: str
    app_dir: Path
    secrets: dict[str, str]  # shape -> the value used for every placeholder of that shape
    model: str

    def expected(self) -> list[Expected]:
        return expected_findings(self.name)


def names() -> list[str]:
    return sorted(p.parent.name for p in FIXTURES.glob("*/expected.json"))


def document(name: str) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((FIXTURES / name / "expected.json").read_text())
    return loaded


def line_of(text: str, anchor: str, occurrence: int) -> int:
    """The 1-based line of the ``occurrence``-th appearance of ``anchor`` in ``text``."""
    start = -1
    for _ in range(occurrence):
        start = text.find(anchor, start + 1)
        if start < 0:
            raise ValueError(f"anchor {anchor!r} (occurrence {occurrence}) is not in the file")
    return text.count("\n", 0, start) + 1


def expected_findings(name: str) -> list[Expected]:
    app = FIXTURES / name / "app"
    found = []
    items = document(name)["findings"]
    assert isinstance(items, list)
    for item in items:
        text = (app / item["file"]).read_text(encoding="utf-8")
        line = line_of(text, item["anchor"], int(item.get("occurrence", 1)))
        found.append(
            Expected(
                item["kind"], item["service"], item["file"], line, item["severity"], item["anchor"]
            )
        )
    return found


def random_fill(shape: str, rng: random.Random) -> str:
    """A value of roughly the shape's length and alphabet (the benchmark's secrets)."""
    import base64

    sizes = {"storage-account-key": 64, "cosmos-key": 64, "legacy-client-secret": 32}
    if shape == "cognitive-key":
        return f"{rng.getrandbits(128):032x}"
    return base64.b64encode(rng.randbytes(sizes.get(shape, 32))).decode()


def materialize(name: str, dest: Path, *, fill: Fill = random_fill, seed: int = 0) -> Materialized:
    """Copy fixture ``name``'s app to ``dest`` with every placeholder replaced."""
    rng = random.Random(f"{name}:{seed}")
    values: dict[str, str] = {}

    def fake(match: re.Match[str]) -> str:
        shape = match.group(1)
        if shape not in values:
            values[shape] = fill(shape, rng)
        return values[shape]

    shutil.copytree(FIXTURES / name / "app", dest)
    for path in sorted(dest.rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if PLACEHOLDER.search(text):
                path.write_text(PLACEHOLDER.sub(fake, text), encoding="utf-8")
    return Materialized(name, dest, values, str(document(name)["model"]))
