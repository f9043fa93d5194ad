// The Flex Consumption (FC1) plan and the function app, with Entra authentication in front.
//
// The app holds no secret of its own: storage, Key Vault and telemetry are reached with the
// user-assigned identity; the deployment package is pulled with the same identity; basic
// publishing credentials (FTP and SCM user/password) are switched off; HTTP callers need an
// Entra token that App Service Authentication validates before any function runs.

@description('Flex Consumption plan name.')
param planName string

@description('Function app name (becomes <name>.azurewebsites.net).')
param appName string

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Resource id of the user-assigned managed identity the app runs as.')
param identityId string

@description('Client id of that identity; the SDKs and the host pick it with AZURE_CLIENT_ID and <CONN>__clientId.')
param identityClientId string

@description('Blob endpoint of the host storage account (AzureWebJobsStorage), with a trailing slash.')
param hostBlobEndpoint string

@description('Queue endpoint of the host storage account, with a trailing slash.')
param hostQueueEndpoint string

@description('Table endpoint of the host storage account, with a trailing slash.')
param hostTableEndpoint string

@description('Container in the host storage account that holds the deployment package.')
param deploymentContainerName string

@description('Blob endpoint of the jobs storage account (JobsStorage), with a trailing slash.')
param jobsBlobEndpoint string

@description('Queue endpoint of the jobs storage account, with a trailing slash.')
param jobsQueueEndpoint string

@description('Key Vault URI.')
param keyVaultUri string

@description('Application Insights component to send telemetry to.')
param appInsightsName string

@description('Base URL of the partner API.')
param partnerApiUrl string

@description('Name of the Key Vault secret that holds the partner API key (the value is set by a person).')
param partnerApiKeySecretName string

@description('key or entra: how the app authenticates to the partner (docs/partner-entra.md).')
@allowed([
  'key'
  'entra'
])
param partnerAuth string = 'key'

@description('With entra: the partner\'s tenant id.')
param partnerTenantId string = ''

@description('With entra: client id of the app registration whose federated credential is the app\'s identity.')
param partnerAppClientId string = ''

@description('With entra: the partner API\'s scope (<application id URI>/.default).')
param partnerScope string = ''

@description('Client id of the Entra app registration whose tokens the API accepts.')
param apiClientId string

@description('Subnet for outbound virtual network integration; empty for none.')
param subnetId string = ''

@description('Log Analytics workspace (customer) id whose app telemetry the posture checker scans.')
param logAnalyticsCustomerId string

@description('Container of the key rotation\'s state; the posture checker reads it (docs/rotation.md).')
param rotationStateContainerUrl string

@description('Share of job traces kept, 0 to 1, as text (0 turns tracing off).')
param tracingSampleRatio string = '1'

@description('Upper bound of instances; the cost ceiling of the plan.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Every setting the app reads in Azure, and nothing else: tests/infra holds this list
// against shared/settings/. The runtime (python 3.11) is declared in functionAppConfig,
// because Flex Consumption rejects FUNCTIONS_WORKER_RUNTIME as an app setting.
var appSettings = {
  AzureWebJobsStorage__blobServiceUri: hostBlobEndpoint
  AzureWebJobsStorage__queueServiceUri: hostQueueEndpoint
  AzureWebJobsStorage__tableServiceUri: hostTableEndpoint
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId
  JobsStorage__queueServiceUri: jobsQueueEndpoint
  JobsStorage__blobServiceUri: jobsBlobEndpoint
  JobsStorage__credential: 'managedidentity'
  JobsStorage__clientId: identityClientId
  AZURE_CLIENT_ID: identityClientId
  AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential'
  KEY_VAULT_URI: keyVaultUri
  PARTNER_API_URL: partnerApiUrl
  PARTNER_API_KEY_SECRET_NAME: partnerApiKeySecretName
  PARTNER_API_KEY_HEADER: 'X-Api-Key'
  // With entra the app reads no vault: the token comes from the partner's tenant, through
  // this cloud's authority, with the identity as the registration's federated credential.
  PARTNER_AUTH: partnerAuth
  PARTNER_TENANT_ID: partnerTenantId
  PARTNER_APP_CLIENT_ID: partnerAppClientId
  PARTNER_SCOPE: partnerScope
  PARTNER_AUTHORITY_HOST: environment().authentication.loginEndpoint
  SECRET_CACHE_TTL_SECONDS: '300'
  POSTURE_SCHEDULE: '0 0 */6 * * *'
  APP_FUNCTIONS: 'api'
  ROTATION_STATE_CONTAINER_URL: rotationStateContainerUrl
  // The connection string names the ingestion endpoint; with local auth disabled on the
  // component it is not a credential. The token comes from the identity below.
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
  // OpenTelemetry (host.json telemetryMode): the worker hands each invocation its trace
  // context, and the app exports its spans and logs with the same identity (docs/tracing.md).
  PYTHON_ENABLE_OPENTELEMETRY: 'true'
  TRACING_SAMPLE_RATIO: tracingSampleRatio
  // The posture checker judges this group with the Reader role infra/modules/posture-rbac.bicep
  // grants, and scans the telemetry of this workspace.
  POSTURE_SUBSCRIPTION_IDS: subscription().subscriptionId
  POSTURE_RESOURCE_GROUPS: resourceGroup().name
  POSTURE_LOG_WORKSPACE_ID: logAnalyticsCustomerId
  // The outbox reconciler: jobs cut off between their state write and their message.
  OUTBOX_SCHEDULE: '0 */1 * * * *'
  // The app verifies callers' tokens itself too (zero trust), as authsettingsV2 below does:
  // the registration asks for v2 tokens (requestedAccessTokenVersion 2), whose issuer is
  // the v2 authority and whose audience is the client id (or the api:// URI).
  CALLER_TOKEN_ISSUERS: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
  CALLER_TOKEN_AUDIENCES: 'api://${apiClientId},${apiClientId}'
  CALLER_TOKEN_JWKS_URL: '${environment().authentication.loginEndpoint}${tenant().tenantId}/discovery/v2.0/keys'
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
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
  name: appName
  location: location
  tags: union(tags, {
    'azd-service-name': 'api'
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
          value: '${hostBlobEndpoint}${deploymentContainerName}'
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
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      remoteDebuggingEnabled: false
      cors: {
        allowedOrigins: []
        supportCredentials: false
      }
      appSettings: [for setting in items(appSettings): {
        name: setting.key
        value: setting.value
      }]
    }
  }
}

// Basic publishing credentials are a username and password: a shared secret. Deployments go
// through Entra (azd, the deploy workflow's federated login) instead.
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

// App Service Authentication validates the caller's Entra token before a function runs and
// answers 401 itself; the functions are ANONYMOUS at the function level (a function key would
// be a shared secret). No client secret: validating bearer tokens needs none.
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
      excludedPaths: [
        '/api/health'
        '/api/openapi.json'
      ]
    }
    httpSettings: {
      requireHttps: true
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: apiClientId
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'
        }
        validation: {
          allowedAudiences: [
            'api://${apiClientId}'
            apiClientId
          ]
        }
      }
    }
    login: {
      tokenStore: {
        enabled: false
      }
    }
  }
}

@description('Name of the function app.')
output name string = site.name

@description('HTTPS base URL of the function app.')
output uri string = 'https://${site.properties.defaultHostName}'
