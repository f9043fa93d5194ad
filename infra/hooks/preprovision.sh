#!/bin/sh
# azd preprovision hook (POSIX sh). Three jobs, all kept in the azd environment so a re-run
# finds what the first run made:
#
# 1. KEY_VAULT_SALT: a random salt for the Key Vault name. The vault has purge protection,
#    so after `azd down` its name stays taken for 90 days; the postdown hook draws a new
#    salt, and this one draws the first (CI passes its own, see docs/deploy.md).
# 2. PARTNER_KEY_EXISTS: whether the partner key is in the vault this provision will use,
#    asked of Azure Resource Manager every time (a control-plane read: names, no value), never
#    remembered: the grants scoped to that secret can only be made once it exists, and a
#    remembered "yes" is wrong after `azd down` (a new, empty vault) and unknown to CI. With
#    PARTNER_AUTH=entra there is no key (docs/partner-entra.md): always false, nothing asked.
# 3. API_CLIENT_ID: the Entra app registration that protects the API. It is created once and
#    found again by its client id (never by display name, which anyone in the tenant can
#    reuse), and changed only if the signed-in user owns it. It exposes the app roles in
#    app-roles.json, accepts v2 tokens for api://<client id>, pre-authorizes the Azure CLI so
#      az account get-access-token --resource api://<client id>
#    works, and requires an app role assignment before anyone gets a token for it. It has no
#    client secret and no certificate: the API only validates bearer tokens.
#
# Set API_CLIENT_ID yourself (azd env set API_CLIENT_ID <id>) to use a registration this
# hook did not create; it is then used as is. CI always does this: creating registrations
# needs directory permissions a deployment identity should not have.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
: "${AZURE_ENV_NAME:?run this hook through azd}"
azure_cli_app_id="04b07795-8ddb-461a-bbee-02f9e1bf7b46"
graph="https://graph.microsoft.com/v1.0"

fail() {
  echo "preprovision: $*" >&2
  exit 1
}

in_ci() {
  [ "${GITHUB_ACTIONS:-}" = "true" ] || [ "${TF_BUILD:-}" = "True" ]
}

new_uuid() {
  if command -v uuidgen >/dev/null 2>&1; then uuidgen | tr 'A-F' 'a-f'
  elif [ -r /proc/sys/kernel/random/uuid ]; then cat /proc/sys/kernel/random/uuid
  else python3 -c 'import uuid; print(uuid.uuid4())'
  fi
}

is_guid() {
  printf '%s' "$1" | grep -Eq '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
}

# Request bodies are built by json.dumps, never by pasting values into a JSON string.
graph_body() {
  python3 - "$@" <<'PY'
import json
import sys

kind, *args = sys.argv[1:]
scope = {
    "adminConsentDescription": "Lets the signed-in user call the API.",
    "adminConsentDisplayName": "Call the secretless functions API",
    "isEnabled": True,
    "type": "User",
    "userConsentDescription": "Lets you call the API as yourself.",
    "userConsentDisplayName": "Call the secretless functions API",
    "value": "user_impersonation",
}
if kind == "scopes":  # app id, scope id
    app_id, scope_id = args
    body = {
        "identifierUris": [f"api://{app_id}"],
        "api": {"requestedAccessTokenVersion": 2, "oauth2PermissionScopes": [{**scope, "id": scope_id}]},
    }
elif kind == "api":  # scope id, pre-authorized client app id: the whole api object again,
    scope_id, client = args  # since a PATCH replaces a complex property as a whole
    body = {
        "api": {
            "requestedAccessTokenVersion": 2,
            "oauth2PermissionScopes": [{**scope, "id": scope_id}],
            "preAuthorizedApplications": [{"appId": client, "delegatedPermissionIds": [scope_id]}],
        }
    }
elif kind == "assignment-required":
    body = {"appRoleAssignmentRequired": True}
elif kind == "role":  # principal id, resource (service principal) id, app role id
    principal, resource, role = args
    body = {"principalId": principal, "resourceId": resource, "appRoleId": role}
else:
    raise SystemExit(f"unknown body {kind}")
print(json.dumps(body))
PY
}

# --- 1. the Key Vault name's salt -----------------------------------------------------------
# Only for an environment never provisioned: one that already has a vault (KEY_VAULT_NAME)
# keeps it, under its unsalted name.
if [ -z "${KEY_VAULT_SALT:-}" ] && [ -z "${KEY_VAULT_NAME:-}" ] && ! in_ci; then
  salt=$(new_uuid | cut -c1-8)
  azd env set KEY_VAULT_SALT "$salt"
  KEY_VAULT_SALT=$salt
  echo "preprovision: Key Vault name salt $salt (kept in the azd environment)"
fi

# --- 2. does the partner key exist? ---------------------------------------------------------
# The vault this provision uses is the one in rg-<env> tagged with the current salt
# (main.bicep tags it; a vault from before the tag is found by KEY_VAULT_NAME). Asked with
# azd's own login, the identity that provisions, in CI too. Anything unclear counts as "no":
# the grants on the secret are then only not made this time (a deployment never removes
# them), where a wrong "yes" fails the whole provision.
arm_endpoint() {
  case "$(azd config get cloud.name 2>/dev/null | tr -d '"')" in
    AzureUSGovernment) echo "https://management.usgovcloudapi.net" ;;
    AzureChinaCloud) echo "https://management.chinacloudapi.cn" ;;
    *) echo "https://management.azure.com" ;;
  esac
}

# GET an ARM path into the file $2; prints the HTTP status (000 when there was no answer).
# The token goes to curl on standard input, never on its command line.
arm_get() {
  printf 'Authorization: Bearer %s\n' "$arm_token" |
    curl --silent --header @- --output "$2" --write-out '%{http_code}' "$arm$1" ||
    true
}

partner_key_exists=false
secret_name=${PARTNER_API_KEY_SECRET_NAME:-partner-api-key}
if [ "${PARTNER_AUTH:-key}" = "entra" ]; then
  echo "preprovision: PARTNER_AUTH=entra: the partner takes a token, there is no key to look for"
elif [ -n "${AZURE_SUBSCRIPTION_ID:-}" ] && ! command -v curl >/dev/null 2>&1; then
  echo "preprovision: curl is needed to ask Azure whether the partner key exists; taking it" \
    "as absent this time" >&2
elif [ -n "${AZURE_SUBSCRIPTION_ID:-}" ]; then
  arm=$(arm_endpoint)
  arm_token=$(azd auth token --output json 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])' 2>/dev/null || true)
  answer=$(mktemp)
  vaults="/subscriptions/$AZURE_SUBSCRIPTION_ID/resourceGroups/rg-$AZURE_ENV_NAME/providers/Microsoft.KeyVault/vaults"
  status=$(arm_get "$vaults?api-version=2023-07-01" "$answer")
  vault=""
  case "$status" in
    200)
      vault=$(python3 - "$answer" "${KEY_VAULT_SALT:-}" "${KEY_VAULT_NAME:-}" <<'PY'
import json
import sys

path, salt, known = sys.argv[1:]
vaults = json.load(open(path, encoding="utf-8")).get("value", [])
tagged = [v for v in vaults if "key-vault-salt" in (v.get("tags") or {})]
match = [v for v in tagged if v["tags"]["key-vault-salt"] == salt]
if not tagged:  # provisioned before the tag: the vault the environment last recorded
    match = [v for v in vaults if v.get("name") == known]
print(match[0]["name"] if len(match) == 1 else "")
PY
      ) || vault="" ;; # an answer that is not the documented list: as if no vault
    404) ;; # no resource group: nothing provisioned here yet, or `azd down`
    *) echo "preprovision: could not list the vaults of rg-$AZURE_ENV_NAME (HTTP $status);" \
      "taking the partner key as absent this time" >&2 ;;
  esac
  if [ -n "$vault" ]; then
    status=$(arm_get "$vaults/$vault/secrets/$secret_name?api-version=2023-07-01" "$answer")
    case "$status" in
      200) partner_key_exists=true ;;
      404) ;;
      *) echo "preprovision: could not read $secret_name's metadata in $vault (HTTP $status);" \
        "taking the partner key as absent this time" >&2 ;;
    esac
  fi
  rm -f "$answer"
fi
azd env set PARTNER_KEY_EXISTS "$partner_key_exists"
echo "preprovision: partner key in the vault: $partner_key_exists"

# --- 3. the API's app registration ----------------------------------------------------------
if [ -n "${API_CLIENT_ID:-}" ] && [ "${API_APP_MANAGED:-}" != "true" ]; then
  is_guid "$API_CLIENT_ID" || fail "API_CLIENT_ID is not a client id (a GUID): $API_CLIENT_ID"
  echo "preprovision: using the API app registration $API_CLIENT_ID as it is"
  exit 0
fi
if in_ci; then
  fail "API_CLIENT_ID is not set. CI does not create app registrations: create it once with
  azd up on your machine, then: gh variable set API_CLIENT_ID --body <client id>"
fi
command -v az >/dev/null 2>&1 || fail "the Azure CLI (az) is needed to create the API app
  registration; install it and run 'az login', or set an existing one: azd env set API_CLIENT_ID <id>"
command -v python3 >/dev/null 2>&1 || fail "python3 is needed to build the Microsoft Graph requests"

user_id=$(az ad signed-in-user show --query id -o tsv 2>/dev/null || true)
is_guid "$user_id" || fail "sign in to the Azure CLI as a user (az login): the app registration
  is created and owned by you"

if [ -z "${API_CLIENT_ID:-}" ]; then
  display_name="secretless-functions-$AZURE_ENV_NAME-$(new_uuid | cut -c1-8)"
  echo "preprovision: creating the app registration $display_name"
  app_id=$(az ad app create --display-name "$display_name" --sign-in-audience AzureADMyOrg \
    --app-roles "@$here/app-roles.json" --query appId -o tsv)
  is_guid "$app_id" || fail "az ad app create returned no client id"
  # Kept at once: if a later step fails, the next run finishes this registration instead
  # of creating another.
  azd env set API_CLIENT_ID "$app_id"
  azd env set API_APP_MANAGED true
else
  app_id=$API_CLIENT_ID
  is_guid "$app_id" || fail "API_CLIENT_ID is not a client id (a GUID): $app_id"
fi

object_id=$(az ad app show --id "$app_id" --query id -o tsv)
is_guid "$object_id" || fail "app registration $app_id not found; unset API_CLIENT_ID and
  API_APP_MANAGED (azd env set API_CLIENT_ID '') to create a new one"
owners=$(az ad app owner list --id "$app_id" --query "[?id=='$user_id'] | length(@)" -o tsv)
[ "$owners" = "1" ] || fail "you are not an owner of the app registration $app_id, so this
  hook will not change it; ask an owner, or set API_APP_MANAGED to false to use it as it is"

# A delegated scope lets a user's CLI ask for a token; v2 tokens carry aud=<client id>.
scope_id=$(az ad app show --id "$app_id" \
  --query "api.oauth2PermissionScopes[?value=='user_impersonation'].id | [0]" -o tsv)
if ! is_guid "$scope_id"; then
  scope_id=$(new_uuid)
  az rest --method PATCH --url "$graph/applications/$object_id" \
    --headers "Content-Type=application/json" --body "$(graph_body scopes "$app_id" "$scope_id")"
fi
# The scope must exist before a client can be pre-authorized for it: a second PATCH, with
# the whole api object.
az rest --method PATCH --url "$graph/applications/$object_id" \
  --headers "Content-Type=application/json" --body "$(graph_body api "$scope_id" "$azure_cli_app_id")"

# The enterprise application (service principal) is where app roles are assigned; with
# appRoleAssignmentRequired, Entra issues tokens for the API only to those assigned a role.
sp_id=$(az ad sp list --filter "appId eq '$app_id'" --query "[0].id" -o tsv)
if ! is_guid "$sp_id"; then
  sp_id=$(az ad sp create --id "$app_id" --query id -o tsv)
fi
az rest --method PATCH --url "$graph/servicePrincipals/$sp_id" \
  --headers "Content-Type=application/json" --body "$(graph_body assignment-required)"

# Give the signed-in user the everyday roles, so the API can be called right after deploy.
# Admin roles are granted deliberately, by hand (docs/deploy.md).
for role in Jobs.Submit Posture.Read; do
  role_id=$(az ad sp show --id "$sp_id" --query "appRoles[?value=='$role'].id | [0]" -o tsv)
  is_guid "$role_id" || fail "app role $role missing on $app_id"
  assigned=$(az rest --method GET --url "$graph/servicePrincipals/$sp_id/appRoleAssignedTo" \
    --query "value[?principalId=='$user_id' && appRoleId=='$role_id'] | length(@)" -o tsv)
  if [ "$assigned" = "0" ]; then
    az rest --method POST --url "$graph/servicePrincipals/$sp_id/appRoleAssignedTo" \
      --headers "Content-Type=application/json" \
      --body "$(graph_body role "$user_id" "$sp_id" "$role_id")" --output none
    echo "preprovision: gave you the app role $role"
  fi
done

echo "preprovision: API app registration $app_id (audience api://$app_id)"
