#!/bin/sh
# The partner's side of PARTNER_AUTH=entra, run once by an administrator of the partner's
# tenant (docs/partner-entra.md): provision our app registration there and grant it the app
# role the partner's API requires. Nothing here is secret and nothing secret is created.
#
#   infra/scripts/partner-tenant-consent.sh CLIENT_ID --api API [--role ROLE] [--dry-run]
#
#   CLIENT_ID  our multi-tenant app registration (azd env get-value PARTNER_APP_CLIENT_ID)
#   --api      the partner API's application id or identifier URI (api://...)
#   --role     the app role value the API requires of callers (default: the API's only
#              application role; refused when it has several)
#   --dry-run  print the steps, change nothing
#
# Signed in to the partner's tenant: az login --tenant <partner tenant id> --allow-no-subscriptions
# The steps, each what an administrator could also do in the Entra admin center:
#   1. the service principal of CLIENT_ID in this tenant (az ad sp create --id CLIENT_ID), as
#      the admin consent URL https://login.microsoftonline.com/<tenant>/adminconsent?client_id=
#      CLIENT_ID would create it; without it Entra answers AADSTS700016 to our token request;
#   2. an app role assignment of ROLE on the API's service principal to that service
#      principal (Graph: POST /servicePrincipals/<api>/appRoleAssignedTo), which is admin
#      consent to an application permission; without it the token carries no role and the
#      API answers 403.
# Needs Cloud Application Administrator (or Application Administrator) in the partner's tenant
# to create the service principal, and Privileged Role Administrator or the API's owner for
# the app role assignment (Graph: AppRoleAssignment.ReadWrite.All).
set -eu

graph="https://graph.microsoft.com/v1.0"
client=""
api=""
role=""
dry=false

fail() {
  echo "partner-tenant-consent: $*" >&2
  exit 2
}

is_guid() {
  printf '%s' "$1" | grep -Eq '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
}

while [ $# -gt 0 ]; do
  case "$1" in
    --api) api=${2:-}; [ -n "$api" ] || fail "--api needs the API's application id or URI"; shift 2 ;;
    --role) role=${2:-}; [ -n "$role" ] || fail "--role needs an app role value"; shift 2 ;;
    --dry-run) dry=true; shift ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0"; exit 0 ;;
    -*) fail "unknown option $1 (see --help)" ;;
    *) [ -z "$client" ] || fail "one client id only (see --help)"; client=$1; shift ;;
  esac
done
is_guid "$client" || fail "CLIENT_ID must be the app registration's client id, a GUID (see --help)"
[ -n "$api" ] || fail "--api is required: the partner API's application id or identifier URI"

run() {
  if $dry; then
    echo "  would run: $*"
  else
    "$@"
  fi
}

command -v az >/dev/null 2>&1 || fail "the Azure CLI (az) is needed; install it, then az login --tenant <partner tenant>"
tenant=$(az account show --query tenantId -o tsv 2>/dev/null || true)
is_guid "$tenant" || fail "sign in to the partner's tenant first: az login --tenant <tenant id> --allow-no-subscriptions"
echo "partner-tenant-consent: in tenant $tenant$($dry && echo ' (dry run: nothing changes)')"

# The API's service principal, by application id or identifier URI (a filter value quoted by
# doubling any quote in it, as OData wants).
quoted=$(printf '%s' "$api" | sed "s/'/''/g")
if is_guid "$api"; then
  filter="appId eq '$quoted'"
else
  filter="servicePrincipalNames/any(n:n eq '$quoted')"
fi
api_sp=$(az ad sp list --filter "$filter" --query "[0].id" -o tsv)
is_guid "$api_sp" || fail "no service principal of the API $api in tenant $tenant"
roles=$(az ad sp show --id "$api_sp" \
  --query "appRoles[?isEnabled && contains(allowedMemberTypes, 'Application')].value" -o tsv)
if [ -z "$role" ]; then
  count=$(printf '%s\n' "$roles" | grep -c . || true)
  [ "$count" = "1" ] || fail "the API defines $count application roles ($(echo $roles)); choose one with --role"
  role=$roles
fi
role_id=$(az ad sp show --id "$api_sp" --query "appRoles[?value=='$role'].id | [0]" -o tsv)
is_guid "$role_id" || fail "the API has no application role $role (it has: $(echo $roles))"

# 1. our app, provisioned in this tenant
sp=$(az ad sp list --filter "appId eq '$client'" --query "[0].id" -o tsv)
if is_guid "$sp"; then
  echo "partner-tenant-consent: 1. the app $client is provisioned here (service principal $sp)"
else
  echo "partner-tenant-consent: 1. provisioning the app $client here"
  if $dry; then
    run az ad sp create --id "$client"
    sp="<service principal of $client>"
  else
    sp=$(az ad sp create --id "$client" --query id -o tsv)
    is_guid "$sp" || fail "az ad sp create gave no object id: is $client a multi-tenant registration?"
  fi
fi

# 2. the app role, granted by this tenant's administrator (admin consent)
granted=""
if is_guid "$sp"; then
  granted=$(az rest --method GET --url "$graph/servicePrincipals/$api_sp/appRoleAssignedTo" \
    --query "value[?principalId=='$sp' && appRoleId=='$role_id'] | length(@)" -o tsv)
fi
if [ "$granted" = "1" ]; then
  echo "partner-tenant-consent: 2. the app already holds the role $role"
else
  echo "partner-tenant-consent: 2. granting the app the role $role of the API"
  body=$(python3 -c 'import json, sys; print(json.dumps({"principalId": sys.argv[1], "resourceId": sys.argv[2], "appRoleId": sys.argv[3]}))' "$sp" "$api_sp" "$role_id")
  run az rest --method POST --url "$graph/servicePrincipals/$api_sp/appRoleAssignedTo" \
    --headers "Content-Type=application/json" --body "$body" --output none
fi
echo "partner-tenant-consent: done. Tokens for the API now reach the app: PARTNER_TENANT_ID=$tenant"
