// Log Analytics and Application Insights with local (key) authentication disabled.
//
// With `DisableLocalAuth` the instrumentation key in the connection string is not enough to
// send telemetry: the app must present an Entra token, which it gets from its managed identity
// (APPLICATIONINSIGHTS_AUTHENTICATION_STRING) and which needs Monitoring Metrics Publisher.

@description('Log Analytics workspace name.')
param logAnalyticsName string

@description('Application Insights component name.')
param appInsightsName string

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Days of retention; 30 is the free allowance of the pay-as-you-go tier.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

resource workspace 'Microsoft.OperationalInsights/workspaces@2025-07-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
    RetentionInDays: retentionInDays
  }
}

@description('Name of the Application Insights component (the app reads its connection string itself).')
output appInsightsName string = appInsights.name

@description('Resource id of the Log Analytics workspace.')
output logAnalyticsId string = workspace.id

@description('Name of the Log Analytics workspace (the posture checker is granted Log Analytics Reader on it).')
output logAnalyticsName string = workspace.name

@description('Workspace (customer) id the Logs query API addresses.')
output logAnalyticsCustomerId string = workspace.properties.customerId
