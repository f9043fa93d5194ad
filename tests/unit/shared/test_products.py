"""Whether a product is complete where it runs, read from a real installed distribution's
metadata (a dist-info directory made here, on sys.path), and what to type when it is not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared import products

#: Installed in the test venv: pytest; never installed anywhere: the other name.
ABSENT = "no-such-distribution-for-tests"


def install_metadata(
    root: Path, requires: list[str], direct_url: dict[str, object] | None = None
) -> None:
    info = root / "secretless_functions-0.1.0.dist-info"
    info.mkdir(parents=True)
    lines = ["Metadata-Version: 2.4", "Name: secretless-functions", "Version: 0.1.0"]
    lines += [f"Requires-Dist: {requirement}" for requirement in requires]
    (info / "METADATA").write_text("\n".join(lines) + "\n")
    if direct_url is not None:
        (info / "direct_url.json").write_text(json.dumps(direct_url))


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    return tmp_path


def test_a_checkout_reports_nothing_missing() -> None:
    """This venv has no secretless-functions distribution: its requirements files rule."""
    assert products.missing_requirements("devstack") == []
    assert products.incomplete("posture") is None


def test_missing_requirements_follow_the_extra_and_the_extras_it_includes(installed: Path) -> None:
    install_metadata(
        installed,
        [
            'pytest==9.2.0; extra == "posture"',
            f'{ABSENT}==1.0; extra == "posture"',
            'other-absent-one>=1; extra == "devstack"',
            'secretless-functions[posture]; extra == "migrate"',
            f'{ABSENT}-too==2.0 ; extra == "migrate"',
        ],
    )
    assert products.missing_requirements("posture") == [ABSENT]
    assert products.missing_requirements("migrate") == [ABSENT, f"{ABSENT}-too"]
    assert products.missing_requirements("devstack") == ["other-absent-one"]


def test_incomplete_names_what_is_missing_and_where_the_install_came_from(
    installed: Path,
) -> None:
    install_metadata(
        installed,
        [f'{ABSENT}==1.0; extra == "posture"'],
        {"url": "https://example.org/team/tools", "vcs_info": {"vcs": "git", "commit_id": "abc"}},
    )
    line = products.incomplete("posture")
    assert line == (
        f"posture needs the [posture] extra, which is not installed here (missing: {ABSENT}): "
        "install it with pip install "
        "'secretless-functions[posture] @ git+https://example.org/team/tools@abc'"
    )


def test_without_a_recorded_source_the_hint_says_what_to_fill_in(installed: Path) -> None:
    install_metadata(installed, [])
    assert products.install_hint("devstack") == (
        "pip install 'secretless-functions[devstack] @ <the repository's URL or directory>'"
    )
