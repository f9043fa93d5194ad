#!/bin/sh
# azd postdown hook (POSIX sh). `azd down` deleted the Key Vault, but purge protection keeps
# a deleted vault, and its name, for 90 days (it cannot be purged early). Draw a new name
# salt so the next `azd up` in this environment creates a vault under a new name instead of
# failing on the old one. To get the old vault (and its secret) back instead, see
# docs/deploy.md, "Tear down". CI keeps its salt in a repository variable and is left alone.
#
# The partner key went with the vault: PARTNER_KEY_EXISTS goes back to false at once (the
# preprovision hook asks Azure again before the next provision anyway), so nothing grants a
# role on a secret that the next, empty vault does not hold.
set -eu

azd env set PARTNER_KEY_EXISTS false
if [ "${GITHUB_ACTIONS:-}" = "true" ] || [ "${TF_BUILD:-}" = "True" ]; then
  exit 0
fi
if command -v uuidgen >/dev/null 2>&1; then salt=$(uuidgen | tr 'A-F' 'a-f' | cut -c1-8)
elif [ -r /proc/sys/kernel/random/uuid ]; then salt=$(cut -c1-8 /proc/sys/kernel/random/uuid)
else salt=$(python3 -c 'import uuid; print(uuid.uuid4().hex[:8])')
fi
azd env set KEY_VAULT_SALT "$salt"
echo "postdown: the next azd up creates its Key Vault under a new name (salt $salt);"
echo "  the deleted vault stays recoverable for 90 days: to get it back, recover it and"
echo "  azd env set KEY_VAULT_SALT ${KEY_VAULT_SALT:-''} (docs/deploy.md, Tear down)."
echo "  The partner key is in that vault too: store it again after the next azd up"
echo "  (infra/scripts/set-partner-key.sh), then azd provision once more."
