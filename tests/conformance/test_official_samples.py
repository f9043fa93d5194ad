"""The official Storage and Key Vault samples on the local stack, as docs/devstack.md lists them.

Run unchanged, with the environment ``devstack env`` prints (the identity endpoint, the
CA bundle) plus the variable each sample reads: the azure-keyvault-secrets samples
(``VAULT_URL``, ``DefaultAzureCredential``: github.com/Azure/azure-sdk-for-python,
sdk/keyvault/azure-keyvault-secrets/samples) run whole; of the Storage samples, only the
OAuth part of the queue authentication sample runs, called by itself
(sdk/storage/azure-storage-queue/samples/queue_samples_authentication.py: its script runs
the connection-string part first, which exits without a keyed connection string, and the
deployed account, like the devstack, refuses keys). The async samples need aiohttp, which
the project does not install. A stack of its own: the samples leave secrets without an
expiry behind, which the session stack's posture checks would rightly report.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.runner import RunningStack
from tests.conformance.samples import Unreachable, samples
from tests.support.stacks import Stacks

pytestmark = pytest.mark.slow  # a stack of its own, and the samples fetched from PyPI

#: Runs a sample file unchanged, with ``time.sleep`` capped: backup_restore_operations.py
#: sleeps a minute after its purge because Azure's purge takes a while ("wait before
#: restoring the backup to avoid a conflict"). The emulated vault purges at once, so a
#: second is as good a wait there, and a vault that needed the minute would fail the
#: sample's restore (409 Conflict) instead of passing it.
CAPPED_SLEEP = (
    "import runpy, sys, time; "
    "_sleep = time.sleep; time.sleep = lambda seconds: _sleep(min(seconds, {cap})); "
    "sys.argv = [sys.argv[1]]; runpy.run_path(sys.argv[0], run_name='__main__')"
)
SLEEP_CAP_SECONDS = 1.0

KEY_VAULT_SAMPLES = [
    "hello_world.py",
    "list_operations.py",
    "backup_restore_operations.py",
    "recover_purge_operations.py",
]


@pytest.fixture(scope="module")
def sample_stack(
    stacks: Stacks, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningStack]:
    with stacks.running(tmp_path_factory.mktemp("samples-stack"), host="none") as stack:
        yield stack


@pytest.fixture(scope="module")
def fetched(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("samples")
    try:
        return {
            package: samples(package, folder)
            for package in ("azure-keyvault-secrets", "azure-storage-queue")
        }
    except Unreachable as exc:
        pytest.skip(f"the official samples come from PyPI, which is unreachable here ({exc})")


def run(folder: Path, env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *argv],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize("sample", KEY_VAULT_SAMPLES)
def test_the_key_vault_samples_run_unchanged(
    sample: str, sample_stack: RunningStack, fetched: dict[str, Path]
) -> None:
    env = {**sample_stack.app_env, "VAULT_URL": str(sample_stack.endpoints["vault"])}
    code = CAPPED_SLEEP.format(cap=SLEEP_CAP_SECONDS)
    result = run(fetched["azure-keyvault-secrets"], env, "-c", code, sample)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def test_the_queue_samples_oauth_part_runs_by_itself(
    sample_stack: RunningStack, fetched: dict[str, Path]
) -> None:
    folder = fetched["azure-storage-queue"]
    env = {
        **sample_stack.app_env,
        "STORAGE_ACCOUNT_QUEUE_URL": str(sample_stack.endpoints["queue"]),
    }
    whole = run(folder, env, "queue_samples_authentication.py")
    assert whole.returncode == 1  # stops at its connection-string part, as docs/devstack.md says
    assert "Test: authentication_by_connection_string" in whole.stdout
    oauth = run(
        folder,
        env,
        "-c",
        "from queue_samples_authentication import QueueAuthSamples; "
        "QueueAuthSamples().authentication_by_oauth()",
    )
    assert oauth.returncode == 0, oauth.stdout[-2000:] + oauth.stderr[-2000:]
