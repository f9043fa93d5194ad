#!/bin/sh
# azd preprovision hook (POSIX sh). Finds or creates the Entra app registration that
# protects the API, and stores its client id in the azd environment (API_CLIENT_ID) for
# main.parameters.json. The registration exposes the app roles in app-roles.json, accepts
# v2 tokens for api://<client id>, and pre-authorizes the Azure CLI so that
#   az account get-access-token --resource api://<client id>
# works for a signed-in user. It has no client secret and no certificate: the API only
# validates bearer tokens.
#
# Set API_CLIENT_ID yourself (azd env set API_CLIENT_ID <id>) to use an existing
# registration; CI does this, since creating registrations needs directory permissions a
# deployment identity should not have.
set -eu

if [ -n "${API_CLIENT_ID:-}" ]; then
  echo "preprovision: using the API app registration $API_CLIENT_ID"
  exit 0
fi
if ! command -v az >/dev/null 2>&1; then
  echo "preprovision: the Azure CLI (az) is needed to create the API app registration;" >&2
  echo "  install it and run 'az login', or set an existing one: azd env set API_CLIENT_ID <id>" >&2
  exit 1
fi

here=$(cd "$(dirname "$0")" && pwd)
display_name="secretless-functions-${AZURE_ENV_NAME:?run this hook through azd}"
azure_cli_app_id="04b07795-8ddb-461a-bbee-02f9e1bf7b46"
graph="https://graph.microsoft.com/v1.0"

new_uuid() {
  if command -v uuidgen >/dev/null 2>&1; then uuidgen | tr 'A-F' 'a-f'
  elif [ -r /proc/sys/kernel/random/uuid ]; then cat /proc/sys/kernel/random/uuid
  else python3 -c 'import uuid; print(uuid.uuid4())'
  fi
}

app_id=$(az ad app list --display-name "$display_name" --query "[0].appId" -o tsv)
if [ -z "$app_id" ]; then
  echo "preprovision: creating the app registration $display_name"
  app_id=$(az ad app create --display-name "$display_name" --sign-in-audience AzureADMyOrg \
    --app-roles "@$here/app-roles.json" --query appId -o tsv)
fi
object_id=$(az ad app show --id "$app_id" --query id -o tsv)

# A delegated scope lets a user's CLI ask for a token; v2 tokens carry aud=<client id>.
scope_id=$(az ad app show --id "$app_id" --query "api.oauth2PermissionScopes[0].id" -o tsv)
if [ -z "$scope_id" ]; then
  scope_id=$(new_uuid)
  az rest --method PATCH --url "$graph/applications/$object_id" \
    --headers "Content-Type=application/json" --body "{
      \"identifierUris\": [\"api://$app_id\"],
      \"api\": {
        \"requestedAccessTokenVersion\": 2,
        \"oauth2PermissionScopes\": [{
          \"id\": \"$scope_id\", \"value\": \"user_impersonation\", \"type\": \"User\",
          \"isEnabled\": true,
          \"adminConsentDisplayName\": \"Call the secretless functions API\",
          \"adminConsentDescription\": \"Lets the signed-in user call the API.\",
          \"userConsentDisplayName\": \"Call the secretless functions API\",
          \"userConsentDescription\": \"Lets you call the API as yourself.\"
        }]
      }
    }"
fi
az rest --method PATCH --url "$graph/applications/$object_id" \
  --headers "Content-Type=application/json" --body "{
    \"api\": {\"preAuthorizedApplications\": [
      {\"appId\": \"$azure_cli_app_id\", \"delegatedPermissionIds\": [\"$scope_id\"]}
    ]}
  }"

# The enterprise application (service principal) is where app roles are assigned.
sp_id=$(az ad sp list --filter "appId eq '$app_id'" --query "[0].id" -o tsv)
if [ -z "$sp_id" ]; then
  sp_id=$(az ad sp create --id "$app_id" --query id -o tsv)
fi

# Give the signed-in user the everyday roles, so the API can be called right after deploy.
# Admin roles are granted deliberately, by hand (docs/deploy.md).
user_id=$(az ad signed-in-user show --query id -o tsv 2>/dev/null || true)
if [ -n "$user_id" ]; then
  for role in Jobs.Submit Posture.Read; do
    role_id=$(az ad sp show --id "$sp_id" --query "appRoles[?value=='$role'].id | [0]" -o tsv)
    assigned=$(az rest --method GET --url "$graph/servicePrincipals/$sp_id/appRoleAssignedTo" \
      --query "value[?principalId=='$user_id' && appRoleId=='$role_id'] | length(@)" -o tsv)
    if [ "$assigned" = "0" ]; then
      az rest --method POST --url "$graph/servicePrincipals/$sp_id/appRoleAssignedTo" \
        --headers "Content-Type=application/json" \
        --body "{\"principalId\": \"$user_id\", \"resourceId\": \"$sp_id\", \"appRoleId\": \"$role_id\"}" \
        --output none
      echo "preprovision: gave you the app role $role"
    fi
  done
fi

azd env set API_CLIENT_ID "$app_id"
echo "preprovision: API app registration $app_id (audience api://$app_id)"
