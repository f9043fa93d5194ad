// Every role assignment of the deployment, in one place, each at the narrowest scope the
// resource allows. tests/infra checks this file against a table of what each connection the
// code uses needs, and checks every role id below against the built-in role's name.

@description('Principal (object) id of the app\'s user-assigned managed identity.')
param appPrincipalId string

@description('Principal id of whoever runs azd (a developer or a CI service principal); empty for none.')
param deployerPrincipalId string = ''

@description('Kind of the deploying principal, so the assignment does not wait on directory lookups.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param deployerPrincipalType string = 'User'

@description('Host storage account (AzureWebJobsStorage and the deployment package).')
param hostStorageName string

@description('Jobs storage account (the JobsStorage connection: queue and result blobs).')
param jobsStorageName string

@description('Key Vault holding the partner API key.')
param keyVaultName string

@description('Application Insights component the app sends telemetry to.')
param appInsightsName string

@description('Name of the Key Vault secret holding the partner API key: the one secret the app may read.')
param partnerApiKeySecretName string

@description('That secret exists (it is set by a person after the first provision); a role assignment needs its scope to exist.')
param partnerKeyExists bool = false

// Built-in role ids, from the Azure built-in roles reference. A role is always named here and
// looked up by name below, so a wrong id cannot hide behind a right-looking name elsewhere.
var roleIds = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  'Storage Queue Data Reader': '19e7f393-937e-4f77-808e-94535e297925'
  'Storage Queue Data Message Processor': '8a0f0c08-91a1-4084-bc3d-661d67233fed'
  'Storage Queue Data Message Sender': 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6'
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  'Key Vault Reader': '21090545-7ca7-4776-b22c-e363652d74d2'
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb'
}

// --- the app's identity -------------------------------------------------------------------

// AzureWebJobsStorage: the host keeps leases, timer schedules and keys in blobs, may use
// queues and tables for its own bookkeeping and diagnostics, and Flex pulls the deployment
// package from a container of this account. Nothing of the app's data lives here.
var appHostStorageRoles = [
  'Storage Blob Data Owner'
  'Storage Queue Data Contributor'
  'Storage Table Data Contributor'
]

// JobsStorage queue `jobs`: the worker's trigger reads and deletes (Reader + Message
// Processor); the HTTP API enqueues (Message Sender).
var appJobsQueueRoles = [
  'Storage Queue Data Reader'
  'Storage Queue Data Message Processor'
  'Storage Queue Data Message Sender'
]

// JobsStorage queue `jobs-poison`: the host creates-if-missing and writes poisoned messages
// here, and the poison handler reads and deletes them. Contributor on this one queue only.
var appPoisonQueueRoles = [
  'Storage Queue Data Contributor'
]

// JobsStorage containers `jobs` (job state), `results` and `posture` (reports): read/write.
var appContainerRoles = [
  'Storage Blob Data Contributor'
]

// The vault, two grants on purpose (Key Vault RBAC allows a role at a single secret's scope):
// - the partner key, and no other secret: Secrets User on that one secret (getSecret);
// - the posture checker lists every secret's metadata (names, expiry, last update) across
//   the vault: Key Vault Reader at vault scope carries secrets/readMetadata/action and no
//   action that reads a value.
var appPartnerKeyRoles = [
  'Key Vault Secrets User'
]
var appVaultRoles = [
  'Key Vault Reader'
]

// Application Insights with local auth disabled accepts telemetry only with this role.
var appInsightsRoles = [
  'Monitoring Metrics Publisher'
]

// --- the deploying principal (local development against the cloud, setting the key) -------
// Only a person (or a group of people) gets these data-plane roles: they exist so a developer
// can run the app locally against the cloud resources and set the partner key. A CI service
// principal only deploys (control plane) and never reads or writes the data, so it gets none.
var deployerGetsDataRoles = !empty(deployerPrincipalId) && deployerPrincipalType != 'ServicePrincipal'

var deployerHostStorageRoles = [
  'Storage Blob Data Owner'
  'Storage Queue Data Contributor'
  'Storage Table Data Contributor'
]

var deployerJobsStorageRoles = [
  'Storage Blob Data Contributor'
  'Storage Queue Data Contributor'
]

var deployerVaultRoles = [
  'Key Vault Secrets Officer'
]

resource hostStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: hostStorageName
}

resource jobsStorage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: jobsStorageName
}

resource jobsQueueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: jobsStorage
  name: 'default'
}

resource jobsQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  parent: jobsQueueService
  name: 'jobs'
}

resource poisonQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  parent: jobsQueueService
  name: 'jobs-poison'
}

resource jobsBlobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: jobsStorage
  name: 'default'
}

resource jobsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: jobsBlobService
  name: 'jobs'
}

resource resultsContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: jobsBlobService
  name: 'results'
}

resource postureContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: jobsBlobService
  name: 'posture'
}

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource partnerKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = {
  parent: vault
  name: partnerApiKeySecretName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource appHostStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in appHostStorageRoles: {
  name: guid(hostStorage.id, appPrincipalId, roleIds[role])
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource appJobsQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in appJobsQueueRoles: {
  name: guid(jobsQueue.id, appPrincipalId, roleIds[role])
  scope: jobsQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource appPoisonQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in appPoisonQueueRoles: {
  name: guid(poisonQueue.id, appPrincipalId, roleIds[role])
  scope: poisonQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource appJobsContainer 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in appContainerRoles: {
  name: guid(jobsContainer.id, appPrincipalId, roleIds[role])
  scope: jobsContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource appResultsContainer 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in appContainerRoles: {
  name: guid(resultsContainer.id, appPrincipalId, roleIds[role])
  scope: resultsContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource appPostureContainer 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in appContainerRoles: {
  name: guid(postureContainer.id, appPrincipalId, roleIds[role])
  scope: postureContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource appVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in appVaultRoles: {
  name: guid(vault.id, appPrincipalId, roleIds[role])
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource appPartnerKey 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in appPartnerKeyRoles: if (partnerKeyExists) {
  name: guid(partnerKey.id, appPrincipalId, roleIds[role])
  scope: partnerKey
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource appTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in appInsightsRoles: {
  name: guid(appInsights.id, appPrincipalId, roleIds[role])
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource deployerHostStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in deployerHostStorageRoles: if (deployerGetsDataRoles) {
  name: guid(hostStorage.id, deployerPrincipalId, roleIds[role])
  scope: hostStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}]

resource deployerJobsStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in deployerJobsStorageRoles: if (deployerGetsDataRoles) {
  name: guid(jobsStorage.id, deployerPrincipalId, roleIds[role])
  scope: jobsStorage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}]

resource deployerVault 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in deployerVaultRoles: if (deployerGetsDataRoles) {
  name: guid(vault.id, deployerPrincipalId, roleIds[role])
  scope: vault
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}]
