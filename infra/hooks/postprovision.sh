#!/bin/sh
# azd postprovision hook (POSIX sh). Writes local.settings.json so `func start` on this
# machine runs the same code against the resources just provisioned, as the signed-in
# developer (az login): identity-based settings only, no __credential (that would force a
# managed identity, which a laptop does not have), no AZURE_CLIENT_ID, no secret.
# Then it prints how to store the partner API key without it entering shell history.
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
target="$root/local.settings.json"

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
  PARTNER_API_KEY_SECRET_NAME; do
  require "$name"
done

if [ -f "$target" ]; then
  mv "$target" "$target.bak"
  echo "postprovision: kept the previous local.settings.json as local.settings.json.bak"
fi

# Every value below is a URL, a name or a fixed option: nothing needs escaping for JSON.
cat > "$target" <<JSON
{
  "IsEncrypted": false,
  "Values": {
    "FUNCTIONS_WORKER_RUNTIME": "python",
    "AzureWebJobsStorage__blobServiceUri": "$AZURE_STORAGE_HOST_BLOB_ENDPOINT",
    "AzureWebJobsStorage__queueServiceUri": "$AZURE_STORAGE_HOST_QUEUE_ENDPOINT",
    "AzureWebJobsStorage__tableServiceUri": "$AZURE_STORAGE_HOST_TABLE_ENDPOINT",
    "JobsStorage__queueServiceUri": "$AZURE_STORAGE_JOBS_QUEUE_ENDPOINT",
    "JobsStorage__blobServiceUri": "$AZURE_STORAGE_JOBS_BLOB_ENDPOINT",
    "KEY_VAULT_URI": "$KEY_VAULT_URI",
    "PARTNER_API_URL": "$PARTNER_API_URL",
    "PARTNER_API_KEY_SECRET_NAME": "$PARTNER_API_KEY_SECRET_NAME",
    "PARTNER_API_KEY_HEADER": "X-Api-Key",
    "SECRET_CACHE_TTL_SECONDS": "300",
    "POSTURE_SCHEDULE": "0 0 */6 * * *"
  }
}
JSON
echo "postprovision: wrote local.settings.json (identity-based, no secrets)."

cat <<EOF2

Next: store the partner API key in Key Vault, once. The template never sets it.
It is read from the terminal with echo off, so it is neither shown nor kept in shell history
nor passed on a command line:

  printf 'Partner API key: '; stty -echo; IFS= read -r key; stty echo; echo
  printf '%s' "\$key" | az keyvault secret set --vault-name $KEY_VAULT_NAME \\
      --name $PARTNER_API_KEY_SECRET_NAME --file /dev/stdin --output none; unset key

(PowerShell: Set-AzKeyVaultSecret -VaultName $KEY_VAULT_NAME -Name $PARTNER_API_KEY_SECRET_NAME -SecretValue (Read-Host -AsSecureString 'Partner API key'))
Role assignments can take a few minutes to apply; if that command answers 403 (Forbidden),
wait and run it again. See docs/deploy.md.
EOF2
