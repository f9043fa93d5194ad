"""bandit and detect-secrets, run exactly as ``make lint`` runs them, and proven able to fail.

Each scanner runs over the real tree (it must be clean) and over a tiny positive
generated here at run time (it must fail on it with the same options): an exclusion
or a threshold that silently disabled a scanner would turn the gate into decoration.
"""

from __future__ import annotations

import base64
import json
import random
import secrets
import string
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.security import gates


@pytest.mark.slow  # make lint runs the same scan first
def test_bandit_finds_nothing_of_medium_or_higher_severity() -> None:
    result = gates.run(gates.bandit_command())
    assert result.returncode == 0, result.stdout + result.stderr


def test_bandit_fails_on_a_generated_positive(tmp_path: Path) -> None:
    planted = tmp_path / "app" / "runner.py"
    planted.parent.mkdir()
    planted.write_text(
        "import subprocess\n\n\ndef run(command: str) -> int:\n"
        "    return subprocess.call(command, shell=True)\n"
    )
    result = gates.run([*gates.bandit_command([planted.parent]), "--format", "json"])
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert {issue["test_id"] for issue in report["results"]} == {"B602"}
    assert {issue["issue_severity"] for issue in report["results"]} == {"HIGH"}


@pytest.mark.slow  # make lint runs the same scan first; it reads every tracked file
def test_tracked_files_hold_no_secret() -> None:
    files = gates.tracked_files()
    assert len(files) > 50, "too few tracked files: is this a git checkout?"
    result = gates.run(gates.secrets_command(files))
    assert result.returncode == 0, result.stdout + result.stderr


def _fake_access_key_id() -> str:
    return "AK" + "IA" + "".join(secrets.choice(string.ascii_uppercase) for _ in range(16))


def keyword_positive(draw: Callable[[], str] = lambda: secrets.token_urlsafe(24)) -> str:
    """A random key of the kind detect-secrets' keyword detector is documented to catch.

    Its value pattern starts with a look-ahead for a word character (``(?=\\w+)``, the
    ``SECRET`` pattern of detect_secrets/plugins/keyword.py, 1.5.0: "match only with
    words"), so a value that begins with ``-`` (one ``token_urlsafe`` draw in 64) is not
    a keyword finding; such a draw is drawn again. The project's own code scan catches
    dash-led keys too (tests/security/test_code_scan.py).
    """
    while True:
        value = draw()
        if value[0].isalnum() or value[0] == "_":
            return value


@pytest.mark.slow
def test_detect_secrets_fails_on_generated_positives(tmp_path: Path) -> None:
    key_value = keyword_positive()
    planted = {
        "keyword.py": f'partner_api_key = "{key_value}"\n',
        "cloud.env": f"ACCESS_KEY_ID={_fake_access_key_id()}\n",
        "key.pem": "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n",
    }
    for name, text in planted.items():
        (tmp_path / name).write_text(text)
    for name in planted:
        result = gates.run([*gates.secrets_command([tmp_path / name]), "--json"])
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        assert name in result.stdout


def test_detect_secrets_exclusions_are_only_names_and_short_words(tmp_path: Path) -> None:
    """What the exclusion pattern lets through is exactly what the gate documents."""
    benign = tmp_path / "settings.py"
    benign.write_text(
        'PARTNER_API_KEY_SECRET_NAME = "partner-api-key"\n'
        'PARTNER_API_KEY_HEADER = "X-Api-Key"\n'
        'secret = "get"\n'
    )
    assert gates.run(gates.secrets_command([benign])).returncode == 0
    suspicious = tmp_path / "more.py"
    assignment = "sec" + "ret = "
    suspicious.write_text(f'{assignment}"partner-api-key-{secrets.token_hex(8)}"\n')
    assert gates.run(gates.secrets_command([suspicious])).returncode == 1


@pytest.mark.slow
def test_detect_secrets_catches_a_thousand_generated_keys_in_a_row(tmp_path: Path) -> None:
    """The positive of the gate test, drawn 1,000 times from a seeded generator (a repeatable
    run) and scanned in one file: every line is a keyword finding."""
    rng = random.Random(250)
    drawn: list[str] = []

    def draw() -> str:  # what secrets.token_urlsafe(24) draws, seeded
        drawn.append(base64.urlsafe_b64encode(rng.randbytes(24)).decode().rstrip("="))
        return drawn[-1]

    values = [keyword_positive(draw) for _ in range(1000)]
    assert any(v.startswith("-") for v in drawn), "no dash-led draw was put aside"
    planted = tmp_path / "keys.py"
    planted.write_text("".join(f'partner_api_key_{i} = "{v}"\n' for i, v in enumerate(values)))
    result = gates.run([*gates.secrets_command([planted]), "--json"])
    assert result.returncode == 1, result.stderr
    findings = json.loads(result.stdout)["results"][str(planted)]
    caught = {f["line_number"] for f in findings if f["type"] == "Secret Keyword"}
    assert caught == set(range(1, 1001))
