"""Every Bicep file parses, so checkov and the consistency tests see all of the template.

pycep-parser is the parser checkov itself uses: a file it cannot parse is one checkov
silently leaves out, which is why a parse failure here is a test failure. Bicep's
``extension`` statement (the Microsoft Graph extension) is newer than pycep-parser 0.5.1,
which refuses a file for it; the dump sets the statement aside and parses the rest
(tests/infra/infra_dump.py), and records the extension in the tree.
"""

from __future__ import annotations

from typing import Any

from tests.infra.conftest import INFRA, ROOT

EXPECTED_FILES = {
    "infra/main.bicep",
    "infra/modules/function-app.bicep",
    "infra/modules/keyvault.bicep",
    "infra/modules/monitoring.bicep",
    "infra/modules/network.bicep",
    "infra/modules/rbac.bicep",
    "infra/modules/storage.bicep",
}


def test_every_bicep_file_parses(dump: dict[str, Any]) -> None:
    errors = {path: parsed["error"] for path, parsed in dump["bicep"].items() if "error" in parsed}
    assert not errors, f"Bicep files that do not parse: {errors}"


def test_the_parser_saw_every_bicep_file(dump: dict[str, Any]) -> None:
    on_disk = {p.relative_to(ROOT).as_posix() for p in INFRA.rglob("*.bicep")}
    assert set(dump["bicep"]) == on_disk
    assert on_disk >= EXPECTED_FILES, f"missing: {EXPECTED_FILES - on_disk}"


def test_main_uses_existing_local_modules_and_pinned_avm(bicep: dict[str, Any]) -> None:
    main = bicep["infra/main.bicep"]
    assert main["modules"], "main.bicep declares no module"
    for symbol, module in main["modules"].items():
        detail = module["detail"]
        if module["type"] == "local":
            assert (INFRA / detail["path"]).is_file(), f"{symbol}: missing {detail['path']}"
            continue
        # Registry modules: Azure Verified Modules only, pinned to an exact version.
        assert module["type"] == "bicep_registry_alias", f"{symbol}: {module['type']}"
        assert detail["alias"] == "public", f"{symbol}: not from br/public: {detail['full']}"
        assert detail["path"].startswith("avm/res/"), f"{symbol}: not an AVM module"
        parts = detail["tag"].split(".")
        exact = len(parts) == 3 and all(p.isdigit() for p in parts)
        assert exact, f"{symbol}: pin an exact version, not {detail['tag']!r}"


def test_an_extension_statement_is_set_aside_and_nothing_else(bicep: dict[str, Any]) -> None:
    from tests.infra.infra_dump import without_extensions

    text = (INFRA / "modules" / "partner-app.bicep").read_text(encoding="utf-8")
    kept, names = without_extensions(text)
    assert names == ["microsoftGraphV1"]
    assert kept.splitlines() == [
        "" if line.startswith("extension ") else line for line in text.splitlines()
    ]
    assert bicep["infra/modules/partner-app.bicep"]["extensions"] == ["microsoftGraphV1"]
    assert all(not tree["extensions"] for path, tree in bicep.items() if "partner-app" not in path)
