#!/bin/sh
# azd postprovision hook (POSIX sh). Writes local.settings.json so `func start` on this
# machine runs the same code against the resources just provisioned, as the signed-in
# developer (az login): identity-based settings only, no __credential (that would force a
# managed identity, which a laptop does not have), no AZURE_CLIENT_ID, no secret.
#
# A laptop must never take work meant for the cloud app: the functions that consume
# production work (the jobs queue worker, the poison-queue handler, the posture timer) are
# switched off locally with the host's AzureWebJobs.<function>.Disabled setting, so they
# neither dequeue messages the cloud worker should process nor take the timer's lease. The
# HTTP functions stay on. Then it prints how to store the partner API key, or with
# PARTNER_AUTH=entra the consent step the partner's tenant takes instead.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
target="$root/local.settings.json"

# Functions that consume production work (blueprints/worker.py, blueprints/posture.py,
# blueprints/outbox.py, blueprints/rotation.py).
consumers="process_job record_poisoned_job posture_timer outbox_timer rotate_on_event rotation_timer"

require() {
  eval "value=\${$1:-}"
  if [ -z "$value" ]; then
    echo "postprovision: $1 is not set; run this hook through azd (azd provision)." >&2
    exit 1
  fi
}
for name in AZURE_STORAGE_HOST_BLOB_ENDPOINT AZURE_STORAGE_HOST_QUEUE_ENDPOINT \
  AZURE_STORAGE_HOST_TABLE_ENDPOINT AZURE_STORAGE_JOBS_BLOB_ENDPOINT \
  AZURE_STORAGE_JOBS_QUEUE_ENDPOINT KEY_VAULT_URI KEY_VAULT_NAME PARTNER_API_URL \
  PARTNER_API_KEY_SECRET_NAME AZURE_TENANT_ID API_CLIENT_ID; do
  require "$name"
done
command -v python3 >/dev/null 2>&1 || {
  echo "postprovision: python3 is needed to write local.settings.json" >&2
  exit 1
}

if [ -f "$target" ]; then
  mv "$target" "$target.bak"
  echo "postprovision: kept the previous local.settings.json as local.settings.json.bak"
fi

# NAME VALUE pairs; python's json.dumps does the quoting, whatever the values hold.
set -- \
  FUNCTIONS_WORKER_RUNTIME python \
  AzureWebJobsStorage__blobServiceUri "$AZURE_STORAGE_HOST_BLOB_ENDPOINT" \
  AzureWebJobsStorage__queueServiceUri "$AZURE_STORAGE_HOST_QUEUE_ENDPOINT" \
  AzureWebJobsStorage__tableServiceUri "$AZURE_STORAGE_HOST_TABLE_ENDPOINT" \
  JobsStorage__queueServiceUri "$AZURE_STORAGE_JOBS_QUEUE_ENDPOINT" \
  JobsStorage__blobServiceUri "$AZURE_STORAGE_JOBS_BLOB_ENDPOINT" \
  KEY_VAULT_URI "$KEY_VAULT_URI" \
  PARTNER_API_URL "$PARTNER_API_URL" \
  PARTNER_API_KEY_SECRET_NAME "$PARTNER_API_KEY_SECRET_NAME" \
  PARTNER_API_KEY_HEADER X-Api-Key \
  SECRET_CACHE_TTL_SECONDS 300 \
  POSTURE_SCHEDULE "0 0 */6 * * *" \
  OUTBOX_SCHEDULE "0 */1 * * * *" \
  CALLER_TOKEN_ISSUERS "https://login.microsoftonline.com/$AZURE_TENANT_ID/v2.0" \
  CALLER_TOKEN_AUDIENCES "api://$API_CLIENT_ID,$API_CLIENT_ID" \
  CALLER_TOKEN_JWKS_URL "https://login.microsoftonline.com/$AZURE_TENANT_ID/discovery/v2.0/keys" \
  ROTATION_SCHEDULE "0 30 2 * * *" \
  PARTNER_AUTH "${PARTNER_AUTH:-key}"
if [ "${PARTNER_AUTH:-key}" = "entra" ]; then
  set -- "$@" PARTNER_TENANT_ID "${PARTNER_TENANT_ID:-}" \
    PARTNER_APP_CLIENT_ID "${PARTNER_APP_CLIENT_ID:-}" PARTNER_SCOPE "${PARTNER_SCOPE:-}"
fi
for function in $consumers; do
  set -- "$@" "AzureWebJobs.$function.Disabled" true
done
umask 077
python3 - "$@" > "$target" <<'PY'
import json
import sys

pairs = sys.argv[1:]
values = dict(zip(pairs[::2], pairs[1::2]))
print(json.dumps({"IsEncrypted": False, "Values": values}, indent=2))
PY
echo "postprovision: wrote local.settings.json (identity-based, no secrets; the queue and"
echo "  timer functions are disabled locally so they never take the cloud app's work)."

if [ "${PARTNER_AUTH:-key}" = "entra" ]; then
  api=${PARTNER_SCOPE:-}
  cat <<EOF3

PARTNER_AUTH=entra: there is no key to store. The app registration ${PARTNER_APP_CLIENT_ID:-}
trusts the app's managed identity; the partner's tenant must now provision it and grant it
its app role, once, by an administrator there:

  infra/scripts/partner-tenant-consent.sh ${PARTNER_APP_CLIENT_ID:-} --api ${api%/.default}

This machine has no managed identity: locally, the partner call works on the devstack
(make run ARGS="--partner-auth entra"), not against the partner (docs/partner-entra.md).
EOF3
  exit 0
fi

cat <<EOF2

Next: store the partner API key in Key Vault, once. The template never sets it.
The script reads it from the terminal with echo off (never shown, never in shell history,
never on a command line) and gives it an expiry date:

  infra/scripts/set-partner-key.sh

With VNET_ENABLED=true the vault has no public endpoint and the script stores the key
through Azure Resource Manager instead (--via arm); see docs/deploy.md.
Role assignments can take a few minutes to apply; if it answers 403 (Forbidden), wait and
run it again.
EOF2
