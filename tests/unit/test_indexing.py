"""Indexing the app loads no SDK a function needs only when it runs.

The Functions host indexes the app by importing ``function_app``; on Flex Consumption
every new instance pays for that import before its first request (P1 in
docs/performance.md measures it). The Key Vault and Storage SDKs, azure-core,
azure-identity, requests, urllib3 and PyJWT are imported on first use; the feature
packages re-export the names that need them lazily (:mod:`shared._lazy`), and the
exceptions the HTTP functions catch live in modules that import none of them.
"""

from __future__ import annotations

import json
import subprocess
import sys

from devstack.runner import ROOT

#: Top-level packages (or package prefixes) indexing must not load.
ON_FIRST_USE = (
    "azure.core",
    "azure.identity",
    "azure.keyvault",
    "azure.storage",
    "requests",
    "urllib3",
    "jwt",
    "cryptography",
    "opentelemetry",  # tracing is off without an exporter to send to: nothing of it loads
    "uuid",  # it loads the platform module: a job id is made on the first request
    "platform",
    "shared.rotation",  # an app that hosts the rotation reads its settings at start-up
)

_INDEX = """
import json, sys
sys.path.insert(0, ".")
settings = json.load(open("local.settings.sample.json"))["Values"]
import os
os.environ.update(settings)
already = set(sys.modules)  # the interpreter's, and a coverage tracer's when one runs
import function_app
{after}
print(json.dumps(sorted(set(sys.modules) - already)))
"""


def loaded_by_indexing(after: str = "") -> list[str]:
    """The modules a fresh interpreter loads importing ``function_app`` (then running
    ``after``), with the sample's settings: those it held before do not count."""
    result = subprocess.run(
        [sys.executable, "-c", _INDEX.format(after=after)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    modules: list[str] = json.loads(result.stdout.splitlines()[-1])
    return modules


def too_early(modules: list[str]) -> list[str]:
    """The modules of ``modules`` that belong to a package loaded on first use."""
    return sorted(
        name
        for name in modules
        if any(name == prefix or name.startswith(prefix + ".") for prefix in ON_FIRST_USE)
    )


def test_indexing_the_app_loads_no_sdk_of_first_use() -> None:
    modules = loaded_by_indexing()
    assert "function_app" in modules
    assert "blueprints.jobs" in modules
    assert too_early(modules) == []


def test_the_check_sees_a_lazily_exported_name_load_its_sdk() -> None:
    """Reading one lazily exported name loads its SDK, and the check says so: the names
    are lazy because nothing read them yet, not because the check cannot see."""
    found = too_early(loaded_by_indexing("from shared.vault import SecretProvider"))
    assert "azure.core" in found
    found = too_early(loaded_by_indexing("from shared.outbound import OutboundClient"))
    assert "requests" in found
