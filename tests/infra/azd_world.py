"""A small azd world to run the real hook scripts in: an environment store, Azure, the tools.

The hooks (infra/hooks/*.sh) and the key script (infra/scripts/set-partner-key.sh) are copied
byte for byte into a project folder of their own (postprovision writes local.settings.json
next to them), and run with fake ``az``, ``azd`` and ``curl`` first on PATH
(tests/infra/fakecli.py), which keep the azd environment in a JSON file and play Azure
Resource Manager's Key Vault answers from ``cloud.json``.

What azd itself does between the hooks is played here, as azd's source and docs describe it:

- a hook gets the environment's values as environment variables, and azd reads the
  environment again after ``preprovision`` (azd 1.21.0, "Reload env before loading parameters
  in bicep provider"), then substitutes ``${NAME}`` and ``${NAME=default}`` in
  infra/main.parameters.json with them;
- ``provision`` deploys main.bicep: the group ``rg-<env>``, the vault (its name changes with
  the salt; tagged with it, as main.bicep does), and, only when ``partnerKeyExists`` is true,
  the role assignments scoped to the partner secret, which ARM refuses when the secret does
  not exist (a role assignment's scope must exist). Then it records main.bicep's outputs;
- ``down`` deletes the group; purge protection keeps the vault's name taken
  (https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

from tests.infra.conftest import INFRA

FAKECLI = Path(__file__).with_name("fakecli.py")
SECRET = "partner-api-key"
TOOLS = ("az", "azd", "curl")


class World:
    """One azd project, one environment, one subscription, played offline."""

    def __init__(self, base: Path, *, shell: str = "sh", ci: bool = False) -> None:
        self.shell, self.ci = shell, ci
        self.project, self.state, self.bin = base / "project", base / "state", base / "bin"
        for folder in (self.state, self.bin, self.project / "infra"):
            folder.mkdir(parents=True)
        for sub in ("hooks", "scripts"):
            shutil.copytree(INFRA / sub, self.project / "infra" / sub)
        shutil.copy2(INFRA / "main.parameters.json", self.project / "infra")
        shutil.copy2(INFRA / "main.bicep", self.project / "infra")
        for tool in TOOLS:
            wrapper = self.bin / tool
            wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{FAKECLI}" {tool} "$@"\n')
            wrapper.chmod(0o755)
        # A token built at run time: no token-shaped literal in the repository.
        (self.state / "token.txt").write_text(f"t-{uuid.uuid4().hex}")
        (self.state / "cloud.json").write_text(json.dumps({"groups": {}, "deleted": []}))
        self.subscription = str(uuid.UUID(int=7))
        self.env_name, self.location = "dev", "eastus2"
        self.grants: list[tuple[str, str]] = []  # (vault, secret) the provisions granted on
        self.reset_env()

    # --- the azd environment ---------------------------------------------------------------
    def reset_env(self, **values: str) -> None:
        """A new .azure/<env>/.env, as azd creates for a fresh checkout (CI runs)."""
        env = {"AZURE_ENV_NAME": self.env_name, "AZURE_LOCATION": self.location,
               "AZURE_SUBSCRIPTION_ID": self.subscription, "API_CLIENT_ID": str(uuid.UUID(int=9)),
               "PARTNER_API_URL": "https://partner.example/", **values}  # fmt: skip
        (self.state / "azd-env.json").write_text(json.dumps(env))

    def env(self) -> dict[str, str]:
        env: dict[str, str] = json.loads((self.state / "azd-env.json").read_text())
        return env

    def cloud(self) -> dict[str, Any]:
        cloud: dict[str, Any] = json.loads((self.state / "cloud.json").read_text())
        return cloud

    def calls(self) -> list[dict[str, Any]]:
        """Every call the fake tools recorded, in order."""
        lines = (self.state / "calls.jsonl").read_text().splitlines()
        return [json.loads(line) for line in lines]

    def _save_cloud(self, cloud: dict[str, Any]) -> None:
        (self.state / "cloud.json").write_text(json.dumps(cloud))

    # --- running the real scripts ------------------------------------------------------------
    def run(self, script: str, *, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """Run infra/<script> as azd would: the environment's values as variables."""
        process_env = {
            "PATH": f"{self.bin}:/usr/bin:/bin",
            "FAKECLI_STATE": str(self.state),
            "HOME": str(self.state),
            **({"GITHUB_ACTIONS": "true"} if self.ci else {}),
            **self.env(),
        }
        proc = subprocess.run(
            [self.shell, str(self.project / "infra" / script)],
            env=process_env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            cwd=self.project,
            check=False,
        )
        assert proc.returncode == 0, f"{script} failed:\n{proc.stdout}\n{proc.stderr}"
        return proc

    # --- what azd and ARM do -------------------------------------------------------------------
    def parameters(self) -> dict[str, str]:
        """main.parameters.json with the environment substituted, as azd does."""
        env = self.env()
        raw = json.loads((self.project / "infra" / "main.parameters.json").read_text())

        def substitute(match: re.Match[str]) -> str:
            return env.get(match[1], match[2] or "")

        return {
            name: re.sub(r"\$\{(\w+)(?:=([^}]*))?\}", substitute, str(spec["value"]))
            for name, spec in raw["parameters"].items()
        }

    def provision(self) -> list[str]:
        """Deploy main.bicep as far as the vault and the secret-scoped grants go; the refusals
        ARM would answer are returned (empty: the deployment succeeded)."""
        params, cloud = self.parameters(), self.cloud()
        salt = params["keyVaultSalt"]
        digest = hashlib.sha256(f"{self.subscription}|{self.env_name}|{salt}".encode())
        vault = f"kv-{digest.hexdigest()[:13]}"
        group = cloud["groups"].setdefault(f"rg-{self.env_name}", {"vaults": {}})
        if vault not in group["vaults"]:
            if vault in cloud["deleted"]:
                return [f"VaultAlreadyExists: {vault} is soft-deleted and purge-protected"]
            group["vaults"][vault] = {"tags": {"key-vault-salt": salt}, "secrets": []}
        self._save_cloud(cloud)
        if params["partnerKeyExists"] == "true":
            if SECRET not in group["vaults"][vault]["secrets"]:
                return [f"a role assignment on {SECRET} in {vault}, which does not exist there"]
            self.grants.append((vault, SECRET))
        # main.bicep's outputs, as azd records them; an output echoing an input keeps its value.
        env = self.env()
        outputs = re.findall(r"^output (\w+) ", (INFRA / "main.bicep").read_text(), re.M)
        recorded = {name: f"https://{name.lower()}.example/" for name in outputs}
        recorded.update({"KEY_VAULT_NAME": vault, "PARTNER_API_KEY_SECRET_NAME": SECRET,
                         "AZURE_RESOURCE_GROUP": f"rg-{self.env_name}", "VNET_ENABLED": "false",
                         "AZURE_TENANT_ID": str(uuid.UUID(int=3))})  # fmt: skip
        for given in ("API_CLIENT_ID", "PARTNER_API_URL", "AZURE_LOCATION"):
            recorded[given] = env[given]
        recorded["PARTNER_AUTH"] = env.get("PARTNER_AUTH") or "key"  # the parameter's default
        env.update(recorded)
        (self.state / "azd-env.json").write_text(json.dumps(env))
        return []

    def up(self) -> list[str]:
        """``azd up``'s provisioning half: preprovision, provision, postprovision."""
        self.run("hooks/preprovision.sh")
        refused = self.provision()
        if not refused:
            self.run("hooks/postprovision.sh")
        return refused

    def down(self) -> None:
        """``azd down --purge``: the group goes, the vault stays soft-deleted; then postdown."""
        cloud = self.cloud()
        group = cloud["groups"].pop(f"rg-{self.env_name}", {"vaults": {}})
        cloud["deleted"].extend(group["vaults"])
        self._save_cloud(cloud)
        self.run("hooks/postdown.sh")

    def set_key(self) -> None:
        """A person stores the partner key (read from standard input, never an argument)."""
        self.run("scripts/set-partner-key.sh", stdin=f"k-{uuid.uuid4().hex}\n")
