// The app registration the partner trusts (PARTNER_AUTH=entra): multi-tenant, and with no
// secret of any kind. Its one credential is federated: the app's user-assigned identity, as
// Microsoft's "Configure an application to trust a managed identity" lays it out (issuer: this
// tenant's v2.0 authority; subject: the identity's object id; audience: the cloud's token
// exchange audience). The partner provisions it in its own tenant and grants it an app role
// (infra/scripts/partner-tenant-consent.sh); then the app's identity gets the partner's token
// with nothing stored anywhere (docs/partner-entra.md).
//
// Microsoft Graph resources, through Bicep's Microsoft Graph extension (bicepconfig.json
// names the version); property names as the extension's v1.0 types define them
// (microsoftgraph/msgraph-bicep-types, generated/.../v1.0/1.0.0/types.md). Deploying them needs
// the right to create app registrations (a user who may, or Application.ReadWrite.OwnedBy for
// a pipeline's identity: docs/partner-entra.md).
extension microsoftGraphV1

@minLength(1)
@description('Graph\'s alternate key of the registration, unique in the tenant and immutable: the same name finds the same registration on every provision.')
param uniqueName string

@minLength(1)
@description('Display name of the registration.')
param displayName string

@minLength(1)
@description('Object (principal) id of the app\'s user-assigned identity: the federated credential\'s subject.')
param identityPrincipalId string

@description('Object id of whoever runs azd: the registration\'s owner, who can manage it later. Empty: no owner (the posture checker flags it).')
param ownerPrincipalId string = ''

// The issuer of a managed identity's token for the exchange is this tenant's v2.0 authority
// (loginEndpoint ends with a slash).
var issuer = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'

// The audience that token carries, per cloud (the same page lists the three).
var exchangeAudiences = {
  AzureCloud: 'api://AzureADTokenExchange'
  AzureUSGovernment: 'api://AzureADTokenExchangeUSGov'
  AzureChinaCloud: 'api://AzureADTokenExchangeChina'
}

resource registration 'Microsoft.Graph/applications@v1.0' = {
  uniqueName: uniqueName
  displayName: displayName
  // Multi-tenant: the partner's tenant can provision it (a service principal of its own).
  signInAudience: 'AzureADMultipleOrgs'
  // No passwordCredentials, no keyCredentials: the federated credential below is the only one.
  owners: {
    relationships: empty(ownerPrincipalId) ? [] : [
      ownerPrincipalId
    ]
  }

  resource managedIdentity 'federatedIdentityCredentials@v1.0' = {
    name: '${registration.uniqueName}/app-identity'
    description: 'The jobs app\'s user-assigned managed identity: its token for the exchange is this app\'s client assertion.'
    issuer: issuer
    subject: identityPrincipalId
    audiences: [
      exchangeAudiences[environment().name]
    ]
  }
}

@description('Client (application) id of the registration: PARTNER_APP_CLIENT_ID.')
output appId string = registration.appId

@description('Object id of the registration (Graph\'s id), for the posture checker and the consent script.')
output objectId string = registration.id
