#!/bin/sh
# Store (or rotate) the partner API key in the deployment's Key Vault, with an expiry date.
#
#   infra/scripts/set-partner-key.sh [--via data|arm] [--expires-in-days N]
#
# The key is read from the terminal with echo off, or from standard input when that is not
# a terminal (a password manager's CLI piped in). It is never shown, never in shell
# history, never an argument of any command (where `ps` would show it), and goes to the
# Azure CLI on standard input only.
#
# Two ways in, both with the signed-in Azure CLI identity:
#   --via data  Key Vault's own endpoint (az keyvault secret set). Needs Key Vault Secrets
#               Officer (the deployment gives it to whoever ran azd) and network access to
#               the vault: with VNET_ENABLED=true its public endpoint is closed and this
#               answers 403 from outside the virtual network.
#   --via arm   Azure Resource Manager, PUT Microsoft.KeyVault/vaults/secrets (the same call
#               a template's secret resource makes). Key Vault's firewall applies to the data
#               plane only, so this works with the public endpoint closed. Needs the control-
#               plane action Microsoft.KeyVault/vaults/secrets/write (Contributor, or Key Vault
#               Contributor, on the vault; whoever ran azd up has it).
# Default: arm when the azd environment has VNET_ENABLED=true, data otherwise.
#
# Values come from the azd environment (azd env get-values): KEY_VAULT_NAME,
# PARTNER_API_KEY_SECRET_NAME, AZURE_RESOURCE_GROUP, AZURE_SUBSCRIPTION_ID, VNET_ENABLED.
set -eu

via=""
days=90
while [ $# -gt 0 ]; do
  case "$1" in
    --via) via=${2:?--via needs data or arm}; shift 2 ;;
    --expires-in-days) days=${2:?--expires-in-days needs a number}; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0"; exit 0 ;;
    *) echo "set-partner-key: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$days" in
  ''|*[!0-9]*) echo "set-partner-key: --expires-in-days takes a whole number" >&2; exit 2 ;;
esac

setting() {
  value=$(azd env get-value "$1" 2>/dev/null || true)
  case "$value" in ERROR*) value="" ;; esac
  printf '%s' "$value"
}
vault=$(setting KEY_VAULT_NAME)
secret=$(setting PARTNER_API_KEY_SECRET_NAME)
[ -n "$vault" ] && [ -n "$secret" ] || {
  echo "set-partner-key: KEY_VAULT_NAME or PARTNER_API_KEY_SECRET_NAME not in the azd environment; run azd provision first" >&2
  exit 1
}
if [ -z "$via" ]; then
  if [ "$(setting VNET_ENABLED)" = "true" ]; then via=arm; else via=data; fi
fi
case "$via" in data|arm) ;; *) echo "set-partner-key: --via takes data or arm" >&2; exit 2 ;; esac

# The expiry, as ISO 8601 for az keyvault and as seconds since the epoch for ARM.
expires=$(python3 -c 'import datetime, sys; print((datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=int(sys.argv[1]))).strftime("%Y-%m-%dT%H:%M:%SZ"))' "$days")
expires_epoch=$(python3 -c 'import datetime, sys; print(int(datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))' "$expires")

if [ -t 0 ]; then
  printf 'Partner API key (not shown): ' >&2
  stty -echo
  trap 'stty echo' EXIT INT TERM
  IFS= read -r key || true
  stty echo
  trap - EXIT INT TERM
  echo >&2
else
  IFS= read -r key || true
fi
[ -n "$key" ] || { echo "set-partner-key: no key given" >&2; exit 1; }

if [ "$via" = "data" ]; then
  printf '%s' "$key" | az keyvault secret set --vault-name "$vault" --name "$secret" \
    --file /dev/stdin --expires "$expires" --output none
else
  group=$(setting AZURE_RESOURCE_GROUP)
  subscription=$(setting AZURE_SUBSCRIPTION_ID)
  [ -n "$group" ] && [ -n "$subscription" ] || {
    echo "set-partner-key: AZURE_RESOURCE_GROUP or AZURE_SUBSCRIPTION_ID not in the azd environment" >&2
    exit 1
  }
  # A URL without a host is sent to the current cloud's Resource Manager endpoint by az rest.
  url="/subscriptions/$subscription/resourceGroups/$group/providers/Microsoft.KeyVault/vaults/$vault/secrets/$secret?api-version=2023-07-01"
  # The body is built from standard input (the key) by json.dumps and piped on.
  printf '%s' "$key" | python3 -c 'import json, sys; print(json.dumps({"properties": {"value": sys.stdin.read(), "attributes": {"enabled": True, "exp": int(sys.argv[1])}}}))' "$expires_epoch" \
    | az rest --method put --url "$url" --headers "Content-Type=application/json" \
      --body @/dev/stdin --output none
fi
unset key
echo "set-partner-key: stored $secret in $vault via $via, expiring $expires"
# The app's identity may read this one secret only: that grant is scoped to the secret, so
# it can exist only once the secret does (infra/modules/rbac.bicep, partnerKeyExists). The
# last provision recorded whether it found the key; the next one asks Azure again (the
# preprovision hook), so nothing is recorded here.
if [ "$(setting PARTNER_KEY_EXISTS)" != "true" ]; then
  echo "set-partner-key: first key in this vault: run 'azd provision' once more, so the app's"
  echo "  identity is granted read, and the rotation's write, on this secret (and no other)."
fi
