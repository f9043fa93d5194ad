// The partner key rotates itself (docs/rotation.md): Key Vault -> Event Grid system topic ->
// Storage queue -> a function app of its own, under an identity of its own.
//
// Separation: the jobs API's identity keeps Key Vault Secrets User (read); only the rotation
// identity may write the partner secret (Key Vault Secrets Officer scoped to that one secret).
// The rotation runs in its own Flex Consumption app with its own storage account (host state,
// deployment package, the events queue, the dead letters, the lease and state container), so
// no code of the jobs API can ask for the rotation identity's token or replace the rotation
// app's package. Event Grid delivers with the system topic's managed identity
// (rotation-events.bicep), not to a webhook carrying a function key.
//
// Every role assignment here is named from its scope, its principal and its role, and names
// its principal by a parameter: a recreated identity gets new assignments instead of
// colliding with the old ones (RoleAssignmentUpdateNotPermitted,
// https://learn.microsoft.com/azure/role-based-access-control/troubleshooting).

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Seeds resource names (the deployment\'s resource token).')
param resourceToken string

@description('Key Vault holding the partner secret.')
param keyVaultName string

@description('Key Vault URI.')
param keyVaultUri string

@description('Name of the partner secret the rotation writes.')
param partnerApiKeySecretName string

@description('Whether the partner secret exists yet: a role assignment needs its scope to exist, so the secret-scoped write is granted on the first provision after the key is set.')
param partnerKeyExists bool = false

@description('Base URL of the partner API (its key-management routes are under it).')
param partnerApiUrl string

@description('Principal id of the jobs API\'s identity: it reads the rotation state for the posture checker.')
param appPrincipalId string

@description('Application Insights component to send telemetry to.')
param appInsightsName string

@description('Resource id of the rotation\'s user-assigned identity.')
param identityId string

@description('Client id of the rotation\'s identity.')
param identityClientId string

@description('Principal (object) id of the rotation\'s identity.')
param identityPrincipalId string

@description('The rotation\'s storage account (infra/main.bicep creates it).')
param storageName string

@description('Blob endpoint of that account, with a trailing slash.')
param storageBlobEndpoint string

@description('Queue endpoint of that account, with a trailing slash.')
param storageQueueEndpoint string

@description('Table endpoint of that account, with a trailing slash.')
param storageTableEndpoint string

@description('Queue Event Grid delivers the vault\'s events to.')
param eventsQueueName string

@description('Container of the rotation lease and state.')
param stateContainerName string

@description('Container Event Grid writes undeliverable events to.')
param deadLetterContainerName string

@description('Container holding the rotation app\'s deployment package.')
param deploymentContainerName string

@description('Subnet for outbound virtual network integration; empty for none.')
param subnetId string = ''

@description('NCRONTAB schedule of the daily safety net.')
param rotationSchedule string = '0 30 2 * * *'

var roleIds = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  'Storage Blob Data Reader': '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  'Monitoring Metrics Publisher': '3913510d-42f4-4e42-8a64-420c390055eb'
}

// The rotation's own host storage (Blob Data Owner, Queue and Table Data Contributor, as the
// Functions host needs), holding the events queue and the lease and state container too.
var rotationStorageRoles = [
  'Storage Blob Data Owner'
  'Storage Queue Data Contributor'
  'Storage Table Data Contributor'
]
// Writing the partner secret, scoped to the one secret. Officer carries more than rotation
// uses (delete, backup, restore, update): docs/rotation.md, "Why Secrets Officer", says why
// no custom role.
var rotationSecretRoles = [
  'Key Vault Secrets Officer'
]
var rotationTelemetryRoles = [
  'Monitoring Metrics Publisher'
]
// The jobs API's posture checker reads the rotation state (last rotation, next due, failure).
var appStateRoles = [
  'Storage Blob Data Reader'
]

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource partnerSecret 'Microsoft.KeyVault/vaults/secrets@2023-07-01' existing = {
  parent: vault
  name: partnerApiKeySecretName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource stateContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: stateContainerName
}

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' = {
  name: 'evgt-kv-${resourceToken}'
  location: location
  tags: tags
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: vault.id
    topicType: 'Microsoft.KeyVault.vaults'
  }
}

resource rotationStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in rotationStorageRoles: {
  name: guid(account.id, identityPrincipalId, roleIds[role])
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource rotationSecret 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in rotationSecretRoles: if (partnerKeyExists) {
  name: guid(partnerSecret.id, identityPrincipalId, roleIds[role])
  scope: partnerSecret
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource rotationTelemetry 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in rotationTelemetryRoles: {
  name: guid(appInsights.id, identityPrincipalId, roleIds[role])
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: identityPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource appState 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in appStateRoles: {
  name: guid(stateContainer.id, appPrincipalId, roleIds[role])
  scope: stateContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

// Near-expiry and expired events of the partner secret, delivered and dead-lettered with the
// topic's identity. A module, so the topic's principal id (known only once the topic exists)
// reaches its role assignments' names as a parameter.
module events 'rotation-events.bicep' = {
  name: 'rotation-events'
  params: {
    topicName: topic.name
    topicPrincipalId: topic.identity.principalId
    storageName: storageName
    eventsQueueName: eventsQueueName
    deadLetterContainerName: deadLetterContainerName
    partnerApiKeySecretName: partnerApiKeySecretName
  }
}

// Every setting the rotation app reads (tests/infra/test_rotation_infra.py holds the list
// against shared/settings/).
var appSettings = {
  AzureWebJobsStorage__blobServiceUri: storageBlobEndpoint
  AzureWebJobsStorage__queueServiceUri: storageQueueEndpoint
  AzureWebJobsStorage__tableServiceUri: storageTableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  AzureFunctionsJobHost__extensions__queues__messageEncoding: 'none'
  AZURE_CLIENT_ID: identityClientId
  AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential'
  APP_FUNCTIONS: 'rotation'
  KEY_VAULT_URI: keyVaultUri
  PARTNER_API_URL: partnerApiUrl
  PARTNER_API_KEY_SECRET_NAME: partnerApiKeySecretName
  PARTNER_API_KEY_HEADER: 'X-Api-Key'
  SECRET_CACHE_TTL_SECONDS: '300'
  ROTATION_CLIENT_ID: identityClientId
  ROTATION_STATE_CONTAINER_URL: '${storageBlobEndpoint}${stateContainerName}'
  ROTATION_SCHEDULE: rotationSchedule
  ROTATION_GRACE_SECONDS: '900'
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  PYTHON_ENABLE_OPENTELEMETRY: 'true'
  TRACING_SAMPLE_RATIO: '1'
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: 'plan-rot-${resourceToken}'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: 'func-rot-${resourceToken}'
  location: location
  tags: union(tags, {
    'azd-service-name': 'rotation'
  })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storageBlobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
      scaleAndConcurrency: {
        maximumInstanceCount: 40
        instanceMemoryMB: 2048
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      remoteDebuggingEnabled: false
      appSettings: [for setting in items(appSettings): {
        name: setting.key
        value: setting.value
      }]
    }
  }
  dependsOn: [
    rotationStorage
  ]
}

resource ftpPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmPublishing 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

// The rotation app serves no HTTP function: every request is refused before the host, the
// host's admin endpoints included (docs/rotation.md says how to make it rotate now).
resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'authsettingsV2'
  properties: {
    platform: {
      enabled: true
    }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
    }
    httpSettings: {
      requireHttps: true
    }
  }
}

@description('Name of the rotation function app.')
output name string = site.name

@description('URL of the container holding the rotation lease and state.')
output stateContainerUrl string = '${storageBlobEndpoint}${stateContainerName}'

@description('Client id of the rotation identity.')
output clientId string = identityClientId
