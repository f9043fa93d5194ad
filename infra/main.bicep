// azd entry point: one resource group with everything the app needs, secretless.
//
// Identity: one user-assigned managed identity runs the app and holds every data-plane role.
// No resource here hands out a key, a SAS or a connection string built from a key, and no
// output carries a secret. See docs/deploy.md for the walk-through and tests/infra for the
// offline checks that hold this template to those claims.

targetScope = 'subscription'

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds resource names.')
param environmentName string

// azd offers only these regions when it asks for a location (the `azd` location metadata),
// and ARM refuses any other before creating anything. They are the regions that offer the
// Flex Consumption plan, as listed by the Azure Functions Flex Consumption azd quickstarts;
// `az functionapp list-flexconsumption-locations` gives the current list (docs/deploy.md).
@minLength(1)
@description('Region for every resource (must offer the Flex Consumption plan).')
@allowed([
  'australiaeast'
  'australiasoutheast'
  'brazilsouth'
  'canadacentral'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'italynorth'
  'japaneast'
  'koreacentral'
  'northcentralus'
  'northeurope'
  'norwayeast'
  'southafricanorth'
  'southcentralus'
  'southeastasia'
  'southindia'
  'spaincentral'
  'swedencentral'
  'uaenorth'
  'uksouth'
  'ukwest'
  'westcentralus'
  'westeurope'
  'westus'
  'westus2'
  'westus3'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of whoever runs azd; gets the roles local development and setting the partner key need. Empty: none.')
param principalId string = ''

@description('Kind of that principal: User for a developer, ServicePrincipal for CI.')
@allowed([
  'User'
  'ServicePrincipal'
  'Group'
])
param principalType string = 'User'

@minLength(1)
@description('Client id of the Entra app registration that protects the API (the preprovision hook creates or finds it).')
param apiClientId string

@minLength(1)
@description('Base URL of the partner API the jobs endpoint calls.')
param partnerApiUrl string

@description('Put Storage and Key Vault behind private endpoints in a virtual network (default off).')
param vnetEnabled bool = false

@description('The partner key secret exists in the vault (PARTNER_KEY_EXISTS, which the preprovision hook derives from Azure before every provision): only then can the app identity be granted read, and the rotation identity write, on that one secret, since a role assignment needs its scope to exist.')
param partnerKeyExists bool = false

@description('How the app authenticates to the partner: key (the key in Key Vault, rotated by the rotation app) or entra (a token from the partner\'s tenant, with the app\'s identity as the federated credential of a multi-tenant app registration: no secret at all; docs/partner-entra.md).')
@allowed([
  'key'
  'entra'
])
param partnerAuth string = 'key'

@description('With entra: the partner\'s tenant id, which issues the token.')
param partnerTenantId string = ''

@description('With entra: the partner API\'s scope, <its application id URI>/.default.')
param partnerScope string = ''

@description('Random salt of the Key Vault name, kept in the azd environment (KEY_VAULT_SALT) by the hooks: a purge-protected vault keeps its name for 90 days after deletion, so each new deployment after `azd down` gets a new name.')
param keyVaultSalt string = ''

var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
// With entra there is no partner key: no secret, no grants on it, nothing to rotate.
var entraPartner = partnerAuth == 'entra'
var tags = {
  'azd-env-name': environmentName
}
var deploymentContainerName = 'app-package-${resourceToken}'
// No salt (an environment provisioned before salts, or CI's fixed choice) keeps the plain name.
var keyVaultSaltedToken = take(toLower(uniqueString(subscription().id, environmentName, location, keyVaultSalt)), 13)
var keyVaultName = empty(keyVaultSalt) ? 'kv-${resourceToken}' : 'kv-${keyVaultSaltedToken}'
var partnerApiKeySecretName = 'partner-api-key'
// The rotation's storage account (infra/modules/rotation.bicep): its host state, deployment
// package, the events queue, the dead-letter container and the lease and state container.
var rotationEventsQueueName = 'key-events'
var rotationStateContainerName = 'rotation'
var rotationDeadLetterContainerName = 'key-events-deadletter'
var rotationDeploymentContainerName = 'app-package-rot-${resourceToken}'

resource rg 'Microsoft.Resources/resourceGroups@2025-04-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module identity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  scope: rg
  name: 'identity'
  params: {
    name: 'id-${resourceToken}'
    location: location
    tags: tags
    enableTelemetry: false
  }
}

// The rotation's own identity (docs/rotation.md): created here, beside the app's, so every
// role assignment names its principal by a parameter the deployment knows from the start.
module rotationIdentity 'br/public:avm/res/managed-identity/user-assigned-identity:0.4.1' = {
  scope: rg
  name: 'rotation-identity'
  params: {
    name: 'id-rot-${resourceToken}'
    location: location
    tags: tags
    enableTelemetry: false
  }
}

module monitoring 'modules/monitoring.bicep' = {
  scope: rg
  name: 'monitoring'
  params: {
    logAnalyticsName: 'log-${resourceToken}'
    appInsightsName: 'appi-${resourceToken}'
    location: location
    tags: tags
  }
}

// Two accounts: the host's own (runtime state and the deployment package) and the app's data
// (the JobsStorage connection), so the app's narrow queue and container roles mean something.
module hostStorage 'modules/storage.bicep' = {
  scope: rg
  name: 'host-storage'
  params: {
    name: 'sthost${resourceToken}'
    location: location
    tags: tags
    containerNames: [
      deploymentContainerName
    ]
    tablesEnabled: true
    privateNetworking: vnetEnabled
  }
}

module jobsStorage 'modules/storage.bicep' = {
  scope: rg
  name: 'jobs-storage'
  params: {
    name: 'stjobs${resourceToken}'
    location: location
    tags: tags
    containerNames: [
      'jobs'
      'results'
      'posture'
    ]
    queueNames: [
      'jobs'
      'jobs-poison'
    ]
    privateNetworking: vnetEnabled
  }
}

// The rotation app's own account, closed like the others when vnetEnabled.
module rotationStorage 'modules/storage.bicep' = {
  scope: rg
  name: 'rotation-storage'
  params: {
    name: 'strot${resourceToken}'
    location: location
    tags: tags
    containerNames: [
      rotationDeploymentContainerName
      rotationStateContainerName
      rotationDeadLetterContainerName
    ]
    queueNames: [
      rotationEventsQueueName
      '${rotationEventsQueueName}-poison'
    ]
    tablesEnabled: true
    privateNetworking: vnetEnabled
  }
}

module keyVault 'modules/keyvault.bicep' = {
  scope: rg
  name: 'key-vault'
  params: {
    name: keyVaultName
    location: location
    // The vault carries its name's salt as a tag, so the preprovision hook can tell with a
    // control-plane read which vault of the group the coming provision uses, and whether the
    // partner key exists in it (docs/deploy.md, "Day two").
    tags: union(tags, {
      'key-vault-salt': keyVaultSalt
    })
    privateNetworking: vnetEnabled
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsId
  }
}

module network 'modules/network.bicep' = if (vnetEnabled) {
  scope: rg
  name: 'network'
  params: {
    vnetName: 'vnet-${resourceToken}'
    location: location
    tags: tags
    hostStorageId: hostStorage.outputs.id
    jobsStorageId: jobsStorage.outputs.id
    rotationStorageId: rotationStorage.outputs.id
    keyVaultId: keyVault.outputs.id
  }
}

module rbac 'modules/rbac.bicep' = {
  scope: rg
  name: 'rbac'
  params: {
    appPrincipalId: identity.outputs.principalId
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
    hostStorageName: hostStorage.outputs.name
    jobsStorageName: jobsStorage.outputs.name
    keyVaultName: keyVault.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    partnerApiKeySecretName: partnerApiKeySecretName
    partnerKeyExists: partnerKeyExists && !entraPartner
  }
}

// With entra: the app registration the partner trusts, its one credential the app's identity.
module partnerApp 'modules/partner-app.bicep' = if (entraPartner) {
  scope: rg
  name: 'partner-app'
  params: {
    uniqueName: 'secretless-partner-${resourceToken}'
    displayName: 'secretless-functions-${environmentName}-partner'
    identityPrincipalId: identity.outputs.principalId
    ownerPrincipalId: principalId
  }
}

// The posture checker's read access on this group and its workspace (docs/posture.md).
module postureRbac 'modules/posture-rbac.bicep' = {
  scope: rg
  name: 'posture-rbac'
  params: {
    appPrincipalId: identity.outputs.principalId
    logAnalyticsName: monitoring.outputs.logAnalyticsName
  }
}

// The key rotation: its own app and identity, the vault's Event Grid system topic, the queue;
// with vnetEnabled, the same network shape as the jobs app (its own delegated subnet). Not
// with entra: there is no key to rotate (its identity and storage account stay, idle and
// without a role, so a switch back to key keeps their names and the network's shape).
module rotation 'modules/rotation.bicep' = if (!entraPartner) {
  scope: rg
  name: 'rotation'
  params: {
    location: location
    tags: tags
    resourceToken: resourceToken
    keyVaultName: keyVault.outputs.name
    keyVaultUri: keyVault.outputs.uri
    partnerApiKeySecretName: partnerApiKeySecretName
    partnerKeyExists: partnerKeyExists && !entraPartner
    partnerApiUrl: partnerApiUrl
    appPrincipalId: identity.outputs.principalId
    appInsightsName: monitoring.outputs.appInsightsName
    identityId: rotationIdentity.outputs.resourceId
    identityClientId: rotationIdentity.outputs.clientId
    identityPrincipalId: rotationIdentity.outputs.principalId
    storageName: rotationStorage.outputs.name
    storageBlobEndpoint: rotationStorage.outputs.blobEndpoint
    storageQueueEndpoint: rotationStorage.outputs.queueEndpoint
    storageTableEndpoint: rotationStorage.outputs.tableEndpoint
    eventsQueueName: rotationEventsQueueName
    stateContainerName: rotationStateContainerName
    deadLetterContainerName: rotationDeadLetterContainerName
    deploymentContainerName: rotationDeploymentContainerName
    subnetId: vnetEnabled ? network.outputs.rotationSubnetId : ''
  }
}

// The app is created after its role assignments, so its first start already has them (they
// still take minutes to propagate; docs/deploy.md says what to expect).
module app 'modules/function-app.bicep' = {
  scope: rg
  name: 'function-app'
  params: {
    planName: 'plan-${resourceToken}'
    appName: 'func-${resourceToken}'
    location: location
    tags: tags
    identityId: identity.outputs.resourceId
    identityClientId: identity.outputs.clientId
    hostBlobEndpoint: hostStorage.outputs.blobEndpoint
    hostQueueEndpoint: hostStorage.outputs.queueEndpoint
    hostTableEndpoint: hostStorage.outputs.tableEndpoint
    deploymentContainerName: deploymentContainerName
    jobsBlobEndpoint: jobsStorage.outputs.blobEndpoint
    jobsQueueEndpoint: jobsStorage.outputs.queueEndpoint
    keyVaultUri: keyVault.outputs.uri
    appInsightsName: monitoring.outputs.appInsightsName
    partnerApiUrl: partnerApiUrl
    partnerApiKeySecretName: partnerApiKeySecretName
    partnerAuth: partnerAuth
    partnerTenantId: partnerTenantId
    partnerAppClientId: entraPartner ? partnerApp.outputs.appId : ''
    partnerScope: partnerScope
    apiClientId: apiClientId
    subnetId: vnetEnabled ? network.outputs.appSubnetId : ''
    logAnalyticsCustomerId: monitoring.outputs.logAnalyticsCustomerId
    rotationStateContainerUrl: entraPartner ? '' : rotation.outputs.stateContainerUrl
  }
  dependsOn: [
    rbac
  ]
}

// Outputs azd stores in .azure/<env>/.env; the postprovision hook builds local.settings.json
// from them. Names, URLs and ids only: nothing here is a secret.
output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = app.outputs.name
output SERVICE_API_NAME string = app.outputs.name
output SERVICE_API_URI string = app.outputs.uri
output API_CLIENT_ID string = apiClientId
output AZURE_UAMI_CLIENT_ID string = identity.outputs.clientId
output AZURE_STORAGE_HOST_BLOB_ENDPOINT string = hostStorage.outputs.blobEndpoint
output AZURE_STORAGE_HOST_QUEUE_ENDPOINT string = hostStorage.outputs.queueEndpoint
output AZURE_STORAGE_HOST_TABLE_ENDPOINT string = hostStorage.outputs.tableEndpoint
output AZURE_STORAGE_JOBS_BLOB_ENDPOINT string = jobsStorage.outputs.blobEndpoint
output AZURE_STORAGE_JOBS_QUEUE_ENDPOINT string = jobsStorage.outputs.queueEndpoint
output KEY_VAULT_NAME string = keyVault.outputs.name
output KEY_VAULT_URI string = keyVault.outputs.uri
output PARTNER_API_URL string = partnerApiUrl
output PARTNER_API_KEY_SECRET_NAME string = partnerApiKeySecretName
output VNET_ENABLED bool = vnetEnabled
output SERVICE_ROTATION_NAME string = entraPartner ? '' : rotation.outputs.name
// azure.yaml's rotation service deploys to the app of this name: the rotation app, or with
// entra (no rotation app) the jobs app, whose APP_FUNCTIONS=api leaves the rotation out.
output SERVICE_ROTATION_RESOURCE_NAME string = entraPartner ? app.outputs.name : rotation.outputs.name
output ROTATION_CLIENT_ID string = entraPartner ? '' : rotation.outputs.clientId
output PARTNER_AUTH string = partnerAuth
output PARTNER_TENANT_ID string = partnerTenantId
output PARTNER_SCOPE string = partnerScope
output PARTNER_APP_CLIENT_ID string = entraPartner ? partnerApp.outputs.appId : ''
