"""fix on every public app: the copy compiles, the input is untouched, nothing is written
outside --out, v1 apps get their settings and templates migrated and their code changes
reported, and every finding left in the copy has a reason."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from migrate.errors import OutputError, UsageError
from migrate.fix.runner import fix
from migrate.model import Kind
from migrate.scan.runner import scan
from tests.support import migrate_fixtures as mf
from tests.support.migrate_fixtures import bad_tree


def _hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        digest.update(path.relative_to(root).as_posix().encode())
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()


@pytest.mark.slow
def test_fix_copies_migrates_and_reports(fixture_app: mf.Materialized, tmp_path: Path) -> None:
    before = _hash(fixture_app.app_dir)
    existing = set(tmp_path.rglob("*"))
    out = tmp_path / "out"
    report = fix(fixture_app.app_dir, out)
    assert _hash(fixture_app.app_dir) == before
    written = set(tmp_path.rglob("*")) - existing
    assert all(path == out or out in path.parents for path in written), "written outside --out"
    for path in out.rglob("*.py"):
        compile(path.read_text(), str(path), "exec")
    document = json.loads((out / "migrate-report.json").read_text())
    assert document["findings_after"] == len(scan(out).findings) == len(document["left"])
    assert document["findings_before"] == len(mf.expected_findings(fixture_app.name)) or (
        document["findings_before"] >= document["findings_after"]
    )
    assert report.findings_after < report.findings_before
    assert all(item["why"] and item["why"] != "not changed by the fix" for item in document["left"])
    after = scan(out)
    kinds = {f.kind for f in after.findings}
    # settings are migrated: no keyed connection string and no host storage in string form
    assert not [f for f in after.findings if f.rule in {"MIG-SET-KEYED", "MIG-SET-HOSTSTORAGE"}]
    if fixture_app.model == "v1":
        assert (
            any(
                c["file"].endswith(".json") or c["file"].endswith(".bicep")
                for c in document["changes"]
            )
            or Kind.SETTINGS not in kinds
        )
    if fixture_app.model == "v2":
        left_code = [
            f for f in after.findings if f.kind == Kind.CODE and f.service != "third-party"
        ]
        assert left_code == [], "a v2 app's code is migrated, third-party secrets aside"


def test_v1_code_changes_the_fix_cannot_make_are_reported(tmp_path: Path) -> None:
    app = mf.materialize("data-cleaning-pipeline", tmp_path / "in")
    report = fix(app.app_dir, tmp_path / "out")
    left = {(x.file, x.rule) for x in report.left}
    assert ("CleanTrigger1/clean.py", "MIG-CODE-KEYCRED") in left  # legacy Storage SDK
    why = next(x.why for x in report.left if x.rule == "MIG-CODE-KEYCRED")
    assert "azure-storage-blob 12" in why
    clean = (tmp_path / "out" / "blob_to_smart_contract" / "clean.py").read_text()
    assert 'CLIENT_SECRET = ""' in clean  # the literal is gone from the copy
    arm = json.loads((tmp_path / "out" / "azure-deploy-linux-app-plan.json").read_text())
    names = [s["name"] for s in arm["resources"][2]["properties"]["siteConfig"]["appSettings"]]
    assert "AzureWebJobsStorage__blobServiceUri" in names
    assert "AzureWebJobsStorage" not in names
    assert "AzureWebJobsDashboard" not in names


def test_out_inside_the_input_or_not_empty_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    app = mf.materialize("uptime-monitor", tmp_path / "in")
    before = _hash(app.app_dir)
    with pytest.raises(UsageError, match="inside the input tree"):
        fix(app.app_dir, app.app_dir / "out")
    with pytest.raises(UsageError, match="inside --out"):
        fix(app.app_dir, tmp_path)
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    with pytest.raises(OutputError, match="not an empty directory"):
        fix(app.app_dir, tmp_path / "full")
    assert _hash(app.app_dir) == before


def test_a_user_assigned_identity_is_pinned_everywhere(tmp_path: Path) -> None:
    app = mf.materialize("uptime-monitor", tmp_path / "in")
    client_id = "00000000-0000-4000-8000-0000000000aa"
    fix(app.app_dir, tmp_path / "out", client_id=client_id)
    settings = json.loads((tmp_path / "out" / "local.settings.json.example").read_text())["Values"]
    assert settings["AzureWebJobsStorage__clientId"] == client_id
    assert settings["AzureWebJobsStorage__credential"] == "managedidentity"
    assert settings["AZURE_CLIENT_ID"] == client_id
    helper = (tmp_path / "out" / "secretless_credential.py").read_text()
    assert "ManagedIdentityCredential" in helper
    assert "AZURE_CLIENT_ID" in helper


def test_bad_input_is_copied_safely_and_nothing_outside_out_changes(tmp_path: Path) -> None:
    root, outside, out = tmp_path / "app", tmp_path / "outside", tmp_path / "out"
    bad_tree(root, outside)
    before = _hash(root), _hash(outside)
    existing = set(tmp_path.rglob("*"))
    report = fix(root, out)
    assert (_hash(root), _hash(outside)) == before
    written = set(tmp_path.rglob("*")) - existing
    assert all(path == out or out in path.parents for path in written)
    assert not (out / "linked.py").exists()
    assert not (out / "linked_dir").exists()
    assert {c.file for c in report.skipped} == {"linked.py", "linked_dir"}
    assert (out / "blueprints" / "broken.py").read_text() == (
        root / "blueprints" / "broken.py"
    ).read_text()
    assert "BlobServiceClient(" in (out / "function_app.py").read_text()
