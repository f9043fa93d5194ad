// What the posture checker reads, granted to the app's identity on this deployment's own
// resource group only: Reader on the group (resource properties, role assignments, vault
// diagnostic settings, deployment history; no data, no keys, no app settings) and Log
// Analytics Reader on the workspace (the app's telemetry, scanned for leaked secrets).
// Grants above the group (subscription Reader for the Defender rule) and Microsoft Graph
// permissions are an administrator's decision: docs/posture.md gives the commands.
// tests/infra/test_rbac.py holds this file against the rules' needs.

@description('Principal (object) id of the app\'s user-assigned managed identity.')
param appPrincipalId string

@description('Log Analytics workspace that holds the app\'s telemetry.')
param logAnalyticsName string

// Built-in role ids, from the Azure built-in roles reference, looked up by name below.
var roleIds = {
  Reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7'
  'Log Analytics Reader': '73c42c96-874c-492b-b04d-ab87d138a893'
}

// The control-plane rules (STG-*, KV-*, APP-*, MI-LEAST-PRIVILEGE, DEPLOY-SECRETS, ...).
var appGroupRoles = [
  'Reader'
]

// LOG-SECRETS: the Logs query API over the app's tables.
var appWorkspaceRoles = [
  'Log Analytics Reader'
]

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' existing = {
  name: logAnalyticsName
}

resource appGroup 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in appGroupRoles: {
  name: guid(resourceGroup().id, appPrincipalId, roleIds[role])
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource appWorkspace 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in appWorkspaceRoles: {
  name: guid(workspace.id, appPrincipalId, roleIds[role])
  scope: workspace
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]
