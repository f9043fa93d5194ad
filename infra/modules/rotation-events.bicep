// The vault's near-expiry and expired events of the partner secret, into the rotation's queue,
// with the system topic's own identity; what cannot be delivered lands in a blob container,
// written with the same identity (docs/rotation.md).
//
// Event Grid delivers to a Storage queue with a managed identity that holds Storage Queue
// Data Message Sender, and dead-letters to a container with one that holds Storage Blob Data
// Contributor (https://learn.microsoft.com/azure/event-grid/add-identity-roles), and only a
// system-assigned identity gets through a storage firewall, through the trusted-services
// exception (https://learn.microsoft.com/azure/event-grid/deliver-events-using-managed-identity).
// The subscription is created after both grants: Event Grid's steps are identity, roles,
// then the subscription (https://learn.microsoft.com/azure/event-grid/managed-service-identity).

@description('The vault\'s Event Grid system topic (infra/modules/rotation.bicep).')
param topicName string

@description('Principal id of the topic\'s system-assigned identity.')
param topicPrincipalId string

@description('The rotation\'s storage account, holding the queue and the dead-letter container.')
param storageName string

@description('Queue the events are delivered to.')
param eventsQueueName string

@description('Container undeliverable events are written to.')
param deadLetterContainerName string

@description('Name of the partner secret: the only secret whose events are delivered.')
param partnerApiKeySecretName string

var roleIds = {
  'Storage Queue Data Message Sender': 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  'Storage Blob Data Contributor': 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
}
// Event Grid's system topic writes events to the one queue...
var topicQueueRoles = [
  'Storage Queue Data Message Sender'
]
// ...and the events it gave up on to the one container.
var topicDeadLetterRoles = [
  'Storage Blob Data Contributor'
]

resource topic 'Microsoft.EventGrid/systemTopics@2025-02-15' existing = {
  name: topicName
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource eventsQueue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = {
  parent: queueService
  name: eventsQueueName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource deadLetterContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = {
  parent: blobService
  name: deadLetterContainerName
}

resource topicQueue 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in topicQueueRoles: {
  name: guid(eventsQueue.id, topicPrincipalId, roleIds[role])
  scope: eventsQueue
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: topicPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

resource topicDeadLetter 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for role in topicDeadLetterRoles: {
  name: guid(deadLetterContainer.id, topicPrincipalId, roleIds[role])
  scope: deadLetterContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleIds[role])
    principalId: topicPrincipalId
    principalType: 'ServicePrincipal'
  }
}]

// Key Vault events carry the secret's name as their subject
// (https://learn.microsoft.com/azure/event-grid/event-schema-key-vault): beginning and ending
// with the name is equal to it, so no other secret's events reach the queue. Event Grid
// schema: what shared/rotation/_events.py reads.
resource subscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2025-02-15' = {
  parent: topic
  name: 'partner-key-expiry'
  properties: {
    deliveryWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      destination: {
        endpointType: 'StorageQueue'
        properties: {
          resourceId: account.id
          queueName: eventsQueueName
          queueMessageTimeToLiveInSeconds: 604800
        }
      }
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: account.id
          blobContainerName: deadLetterContainerName
        }
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.KeyVault.SecretNearExpiry'
        'Microsoft.KeyVault.SecretExpired'
      ]
      subjectBeginsWith: partnerApiKeySecretName
      subjectEndsWith: partnerApiKeySecretName
    }
    eventDeliverySchema: 'EventGridSchema'
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
  dependsOn: [
    topicQueue
    topicDeadLetter
  ]
}
