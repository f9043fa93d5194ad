// Optional private networking (vnetEnabled): a virtual network both function apps (the jobs
// API and the key rotation) integrate with for outbound traffic, each through a delegated
// subnet of its own, and private endpoints so Storage and Key Vault can close their public
// endpoints. Off by default: it adds cost and makes local development against the cloud
// resources impossible from outside the network (see docs/deploy.md).

@description('Virtual network name.')
param vnetName string

@description('Azure region.')
param location string

@description('Tags applied to every resource.')
param tags object = {}

@description('Resource id of the host storage account.')
param hostStorageId string

@description('Resource id of the jobs storage account.')
param jobsStorageId string

@description('Resource id of the key rotation\'s storage account.')
param rotationStorageId string

@description('Resource id of the Key Vault.')
param keyVaultId string

// Private DNS zone names differ per cloud (privatelink.blob.core.windows.net in Azure,
// privatelink.blob.core.usgovcloudapi.net in Azure Government, ...): derive every one from
// environment() instead of writing the public cloud's. The vault's zone is the vault DNS
// suffix with 'vault' read as 'vaultcore' (privatelink.vaultcore.azure.net and its
// counterparts), per the private endpoint DNS zone values reference
// (https://learn.microsoft.com/azure/private-link/private-endpoint-dns).
var storageSuffix = environment().suffixes.storage
var vaultZone = 'privatelink${replace(environment().suffixes.keyvaultDns, '.vault.', '.vaultcore.')}'

// One private endpoint per (resource, sub-resource) the app reaches.
var endpoints = [
  {
    name: 'host-blob'
    target: hostStorageId
    groupId: 'blob'
    zone: 'privatelink.blob.${storageSuffix}'
  }
  {
    name: 'host-queue'
    target: hostStorageId
    groupId: 'queue'
    zone: 'privatelink.queue.${storageSuffix}'
  }
  {
    name: 'host-table'
    target: hostStorageId
    groupId: 'table'
    zone: 'privatelink.table.${storageSuffix}'
  }
  {
    name: 'jobs-blob'
    target: jobsStorageId
    groupId: 'blob'
    zone: 'privatelink.blob.${storageSuffix}'
  }
  {
    name: 'jobs-queue'
    target: jobsStorageId
    groupId: 'queue'
    zone: 'privatelink.queue.${storageSuffix}'
  }
  {
    name: 'rot-blob'
    target: rotationStorageId
    groupId: 'blob'
    zone: 'privatelink.blob.${storageSuffix}'
  }
  {
    name: 'rot-queue'
    target: rotationStorageId
    groupId: 'queue'
    zone: 'privatelink.queue.${storageSuffix}'
  }
  {
    name: 'rot-table'
    target: rotationStorageId
    groupId: 'table'
    zone: 'privatelink.table.${storageSuffix}'
  }
  {
    name: 'vault'
    target: keyVaultId
    groupId: 'vault'
    zone: vaultZone
  }
]

var zoneNames = [
  'privatelink.blob.${storageSuffix}'
  'privatelink.queue.${storageSuffix}'
  'privatelink.table.${storageSuffix}'
  vaultZone
]

resource appSubnetNsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: '${vnetName}-app-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}

resource endpointSubnetNsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: '${vnetName}-pe-nsg'
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: vnetName
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        '10.0.0.0/16'
      ]
    }
    subnets: [
      {
        // Flex Consumption integrates through a subnet delegated to Microsoft.App/environments.
        name: 'app'
        properties: {
          addressPrefix: '10.0.1.0/24'
          networkSecurityGroup: {
            id: appSubnetNsg.id
          }
          delegations: [
            {
              name: 'flex'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        // The rotation app's own: an App Service plan integrates through a subnet no other
        // plan uses ("the target Subnet ... is not in use by another App Service Plan",
        // https://learn.microsoft.com/rest/api/appservice/web-apps/create-or-update-swift-virtual-network-connection-with-check).
        name: 'rotation'
        properties: {
          addressPrefix: '10.0.3.0/24'
          networkSecurityGroup: {
            id: appSubnetNsg.id
          }
          delegations: [
            {
              name: 'flex'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'private-endpoints'
        properties: {
          addressPrefix: '10.0.2.0/24'
          networkSecurityGroup: {
            id: endpointSubnetNsg.id
          }
          privateEndpointNetworkPolicies: 'Disabled'
        }
      }
    ]
  }
}

resource zones 'Microsoft.Network/privateDnsZones@2024-06-01' = [for zoneName in zoneNames: {
  name: zoneName
  location: 'global'
  tags: tags
}]

resource zoneLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2024-06-01' = [for (zoneName, i) in zoneNames: {
  parent: zones[i]
  name: '${vnetName}-link'
  location: 'global'
  tags: tags
  properties: {
    registrationEnabled: false
    virtualNetwork: {
      id: vnet.id
    }
  }
}]

resource privateEndpoints 'Microsoft.Network/privateEndpoints@2024-05-01' = [for endpoint in endpoints: {
  name: 'pe-${endpoint.name}'
  location: location
  tags: tags
  properties: {
    subnet: {
      id: '${vnet.id}/subnets/private-endpoints'
    }
    privateLinkServiceConnections: [
      {
        name: endpoint.name
        properties: {
          privateLinkServiceId: endpoint.target
          groupIds: [
            endpoint.groupId
          ]
        }
      }
    ]
  }
}]

resource zoneGroups 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-05-01' = [for (endpoint, i) in endpoints: {
  parent: privateEndpoints[i]
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: endpoint.groupId
        properties: {
          privateDnsZoneId: resourceId('Microsoft.Network/privateDnsZones', endpoint.zone)
        }
      }
    ]
  }
  dependsOn: [
    zones
  ]
}]

@description('Subnet the jobs API app integrates with for outbound traffic.')
output appSubnetId string = '${vnet.id}/subnets/app'

@description('Subnet the key rotation app integrates with for outbound traffic.')
output rotationSubnetId string = '${vnet.id}/subnets/rotation'
