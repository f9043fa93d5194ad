#!/bin/sh
# Give the deployment identity of .github/workflows/azure-dev.yml the right to create the
# template's role assignments, and no wider role-assignment right.
#
#   infra/scripts/ci-identity-roles.sh --assignee OBJECT_ID [--subscription ID]
#                                      [--resource-group NAME] [--wide]
#
# Default, narrow: Role Based Access Control Administrator with a condition that lets the
# identity create and delete assignments of the built-in roles infra/ assigns, and only to
# service principals (the managed identities the template creates), following Microsoft's
# "Constrain roles and principal types" example
# (https://learn.microsoft.com/azure/role-based-access-control/delegate-role-assignments-examples).
# Then it removes User Access Administrator from the identity, which `azd pipeline config`
# grants by default and with which it could give itself any role, Owner included.
#
# --wide: User Access Administrator, no condition: any role to anyone. An explicit opt-in for
# a template you extend faster than you update the list below (docs/deploy.md says the cost).
#
# OBJECT_ID is the service principal's object id (az ad sp show --id <client id> --query id).
# Provisioning also needs Contributor on the subscription (the template creates its resource
# group): `azd pipeline config --principal-role Contributor` gives that and nothing else.
# Run this as someone who may assign roles (Owner or User Access Administrator).
set -eu

# The built-in roles infra/ assigns (tests/infra/test_ci_identity.py holds this list to the
# template, both ways), from the Azure built-in roles reference.
ROLES="
b7e6dc6d-f1e8-4753-8033-0f276bb0955b Storage Blob Data Owner
ba92f5b4-2d11-453d-a403-e96b0029c9fe Storage Blob Data Contributor
2a2b9908-6ea1-4ae2-8e65-a410df84e7d1 Storage Blob Data Reader
974c5e8b-45b9-4653-ba55-5f855dd0fb88 Storage Queue Data Contributor
19e7f393-937e-4f77-808e-94535e297925 Storage Queue Data Reader
8a0f0c08-91a1-4084-bc3d-661d67233fed Storage Queue Data Message Processor
c6a89b2d-59bc-44d0-9896-0f6e12d7b80a Storage Queue Data Message Sender
0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3 Storage Table Data Contributor
4633458b-17de-408a-b874-0445c86b69e6 Key Vault Secrets User
b86a8fe4-44ce-4948-aee5-eccb2c155cd7 Key Vault Secrets Officer
21090545-7ca7-4776-b22c-e363652d74d2 Key Vault Reader
3913510d-42f4-4e42-8a64-420c390055eb Monitoring Metrics Publisher
acdd72a7-3385-48ef-bd42-f606fba81ae7 Reader
73c42c96-874c-492b-b04d-ab87d138a893 Log Analytics Reader
"
RBAC_ADMINISTRATOR=f58310d9-a9f6-439a-9e8d-f62e7b41a168
USER_ACCESS_ADMINISTRATOR=18d7d88d-d35e-4fb5-a5c3-7773c20a72d9

fail() {
  echo "ci-identity-roles: $*" >&2
  exit 2
}

assignee="" subscription="" group="" wide=false
while [ $# -gt 0 ]; do
  case "$1" in
    --assignee) assignee=${2:?--assignee needs the service principal\'s object id}; shift 2 ;;
    --subscription) subscription=${2:?--subscription needs an id}; shift 2 ;;
    --resource-group) group=${2:?--resource-group needs a name}; shift 2 ;;
    --wide) wide=true; shift ;;
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) fail "unknown option $1 (see --help)" ;;
  esac
done
printf '%s' "$assignee" | grep -Eq '^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$' ||
  fail "--assignee takes the deployment identity's object id (a GUID): az ad sp show --id <client id> --query id -o tsv"
if [ -z "$subscription" ]; then
  subscription=$(az account show --query id -o tsv)
fi
scope="/subscriptions/$subscription"
[ -z "$group" ] || scope="$scope/resourceGroups/$group"

if [ "$wide" = true ]; then
  echo "ci-identity-roles: --wide: User Access Administrator on $scope, no condition; the" >&2
  echo "  identity can then give any role to anyone, itself included (docs/deploy.md)." >&2
  az role assignment create --assignee-object-id "$assignee" \
    --assignee-principal-type ServicePrincipal --role "$USER_ACCESS_ADMINISTRATOR" \
    --scope "$scope" --output none
  exit 0
fi

ids=$(printf '%s\n' "$ROLES" | awk 'NF { print $1 }' | paste -sd, - | sed 's/,/, /g')
types="'ServicePrincipal'"
condition="((!(ActionMatches{'Microsoft.Authorization/roleAssignments/write'})) OR (@Request[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {$ids} AND @Request[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {$types})) AND ((!(ActionMatches{'Microsoft.Authorization/roleAssignments/delete'})) OR (@Resource[Microsoft.Authorization/roleAssignments:RoleDefinitionId] ForAnyOfAnyValues:GuidEquals {$ids} AND @Resource[Microsoft.Authorization/roleAssignments:PrincipalType] ForAnyOfAnyValues:StringEqualsIgnoreCase {$types}))"

az role assignment create --assignee-object-id "$assignee" \
  --assignee-principal-type ServicePrincipal --role "$RBAC_ADMINISTRATOR" --scope "$scope" \
  --condition "$condition" --condition-version 2.0 \
  --description "Role assignments of the secretless-functions template only" --output none
echo "ci-identity-roles: Role Based Access Control Administrator on $scope, limited to" \
  "$(printf '%s\n' "$ROLES" | awk 'NF' | wc -l | tr -d ' ') roles, for service principals"

# `azd pipeline config` grants User Access Administrator on the subscription by default.
wide_ids=$(az role assignment list --scope "/subscriptions/$subscription" \
  --role "$USER_ACCESS_ADMINISTRATOR" --query "[?principalId=='$assignee'].id" -o tsv)
if [ -n "$wide_ids" ]; then
  # shellcheck disable=SC2086 # one id per word
  az role assignment delete --ids $wide_ids --output none
  echo "ci-identity-roles: removed User Access Administrator from the identity"
fi
