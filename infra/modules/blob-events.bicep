// Event Grid subscription that feeds the blob trigger `dataset_arrived` (source=EventGrid).
//
// Deployed by infra/hooks/postdeploy.* after `azd deploy`, not by main.bicep: the webhook URL
// carries the host's `blobs_extension` system key, which the Functions host creates only once
// the code with an Event Grid blob trigger is running, and Event Grid validates the endpoint
// (a handshake the running blob extension answers) when the subscription is created.
targetScope = 'resourceGroup'

@description('Function app name (azd output AZURE_FUNCTION_APP_NAME).')
param functionAppName string

@description('Event Grid system topic of the storage account (azd output FT_EVENTGRID_SYSTEM_TOPIC).')
param systemTopicName string

@description('Dataset container (azd output FT_CONTAINER).')
param containerName string = 'fine-tuning'

@description('Function name as the host knows it: the Python function name.')
param functionName string = 'dataset_arrived'

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: functionAppName
}

resource systemTopic 'Microsoft.EventGrid/systemTopics@2022-06-15' existing = {
  name: systemTopicName
}

// The blobs_extension system key authorises Event Grid's calls to the blob extension webhook.
// It never leaves ARM: Event Grid stores the URL and returns only the base URL on reads.
var blobsExtensionKey = listKeys('${site.id}/host/default', '2024-04-01').systemKeys.blobs_extension

resource datasetSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2022-06-15' = {
  parent: systemTopic
  name: 'ft-dataset-arrived'
  properties: {
    destination: {
      endpointType: 'WebHook'
      properties: {
        endpointUrl: 'https://${site.properties.defaultHostName}/runtime/webhooks/blobs?functionName=Host.Functions.${functionName}&code=${blobsExtensionKey}'
      }
    }
    eventDeliverySchema: 'EventGridSchema'
    filter: {
      includedEventTypes: [ 'Microsoft.Storage.BlobCreated' ]
      // Only datasets: <container>/incoming/<run>/<file>. Reports under runs/ never fire.
      subjectBeginsWith: '/blobServices/default/containers/${containerName}/blobs/incoming/'
    }
    retryPolicy: {
      maxDeliveryAttempts: 30
      eventTimeToLiveInMinutes: 1440
    }
  }
}

output subscriptionName string = datasetSubscription.name
