// Key Vault for the one secret the app cannot avoid: the partner API key.
//
// Access is by Azure RBAC only (no access policies), deletes are recoverable and cannot be
// purged early. The template creates no secret: the value is set by a person, once, with
// the command docs/deploy.md gives, and read by the app just before each partner call.
// Every data-plane call (who read or set the key, from where, allowed or not) is sent to Log
// Analytics as AuditEvent records.

@description('Key Vault name (3-24 letters, digits and hyphens).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('When true, the public endpoint is closed and traffic arrives through a private endpoint.')
param privateNetworking bool = false

@description('Log Analytics workspace that receives the vault\'s audit log.')
param logAnalyticsWorkspaceId string

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: {
      family: 'A'
      name: 'standard'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: privateNetworking ? 'Disabled' : 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: privateNetworking ? 'Deny' : 'Allow'
    }
  }
}

// The vault's audit trail (category AuditEvent): each secret read, write and denied attempt.
resource auditLog 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: vault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        category: 'AuditEvent'
        enabled: true
      }
    ]
  }
}

@description('Resource id of the vault.')
output id string = vault.id

@description('Name of the vault.')
output name string = vault.name

@description('Vault URI, e.g. https://<name>.vault.azure.net/.')
output uri string = vault.properties.vaultUri
