// The one storage account the app uses: Functions host storage (AzureWebJobsStorage: keys,
// blob receipts, Durable Functions task hub queues/tables/leases), the Flex Consumption
// deployment package, and the dataset/report container (FT_STORAGE).
//
// Shared key access is disabled: every client (the host, the Durable extension, the blob
// trigger, the app's BlobServiceClient, Flex deployment) authenticates with Entra ID.
param name string
param location string
param tags object
param datasetContainerName string
param deploymentContainerName string
param systemTopicName string
@description('Principal id of the function app identity.')
param appPrincipalId string
@description('Optional: object id of a person who may upload datasets (azd AZURE_PRINCIPAL_ID).')
param operatorPrincipalId string = ''

// Built-in roles (ids are the same in every tenant).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageQueueDataContributor = '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    allowSharedKeyAccess: false // identity only: no account keys, no SAS signed with them
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true // the portal uses Entra auth for data too
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      defaultAction: 'Allow'
      bypass: 'AzureServices'
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

// Datasets land in incoming/<run>/, reports are written to runs/<run>/<attempt>/.
resource datasetContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: datasetContainerName
  properties: { publicAccess: 'None' }
}

// Flex Consumption deployment package.
resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

// Event Grid system topic for the account's blob events. The subscription that pushes
// BlobCreated events to the blob trigger's webhook is modules/blob-events.bicep (postdeploy).
resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: systemTopicName
  location: location
  tags: tags
  properties: {
    source: storage.id
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

// --- Role assignments for the app identity, scoped to this storage account -------------------
// The account scope (not a container/queue/table) is required: the host and the Durable
// extension create their containers, queues and tables at run time, with names derived from
// the app and the task hub (azure-webjobs-hosts, azure-webjobs-secrets, <hub>-leases,
// <hub>-control-NN, <hub>-workitems, <hub>History, <hub>Instances, webjobs-blobtrigger-poison ...).

// Blob: host keys/secrets, blob-trigger receipts, Durable leases and large messages, the Flex
// deployment package, and the app's dataset reads/report writes. Owner (not Contributor) is
// what the Functions host documents for identity-based AzureWebJobsStorage.
resource blobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Queue: Durable Functions control/work-item queues; blob-trigger poison queue.
resource queueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageQueueDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Table: Durable Functions history and instance tables.
resource tableContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, storageTableDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Optional human grant: upload datasets and read reports, in the dataset container only.
resource operatorDatasets 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(operatorPrincipalId)) {
  name: guid(datasetContainer.id, operatorPrincipalId, storageBlobDataContributor)
  scope: datasetContainer
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: operatorPrincipalId
  }
}

output name string = storage.name
output id string = storage.id
output blobEndpoint string = storage.properties.primaryEndpoints.blob
output queueEndpoint string = storage.properties.primaryEndpoints.queue
output systemTopicName string = systemTopic.name
