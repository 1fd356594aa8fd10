// Flex Consumption plan (FC1, Linux) + the function app: Python 3.11, user-assigned identity,
// identity-based connections everywhere, deployment package in blob storage read with the
// same identity.
//
// Flex Consumption takes the runtime from functionAppConfig.runtime and rejects
// FUNCTIONS_WORKER_RUNTIME, FUNCTIONS_EXTENSION_VERSION and WEBSITE_RUN_FROM_PACKAGE, so
// none of those is set.
//
// The storage endpoints come in as parameters (outputs of modules/storage.bicep) rather than
// from `existing` storage account properties, and the app settings are a `sites/config`
// child, as the Azure-Samples Flex Consumption azd templates do: a resource's runtime
// properties may not drive a loop (Bicep BCP178), and only the child can read the site's own
// default host name (FT_PUBLIC_BASE_URL).
param name string
param planName string
param location string
param tags object
@description('Tags for the site only; azd finds the service by azd-service-name, which must be on exactly one resource.')
param siteTags object
param identityId string
param identityClientId string
param storageAccountName string
@description('Blob endpoint of the storage account, https://<account>.blob.core.windows.net/ (storage.bicep output).')
param blobEndpoint string
@description('Queue endpoint of the storage account (storage.bicep output).')
param queueEndpoint string
param deploymentContainerName string
param appInsightsConnectionString string
param maximumInstanceCount int
param instanceMemoryMB int
@description('App-specific settings (FT_*, AZURE_OPENAI_*, ARM target), merged with the connection settings below.')
param settings object

var connectionSettings = {
  // Host storage (keys, receipts, Durable task hub via host.json connectionName AzureWebJobsStorage).
  AzureWebJobsStorage__accountName: storageAccountName
  AzureWebJobsStorage__credential: 'managedidentity'
  AzureWebJobsStorage__clientId: identityClientId

  // Dataset storage for the blob trigger (connection="FT_STORAGE") and the app's own
  // BlobServiceClient (tuning/clients.py reads FT_STORAGE__blobServiceUri). A blob trigger
  // given blobServiceUri also needs queueServiceUri (its poison queue).
  FT_STORAGE__blobServiceUri: blobEndpoint
  FT_STORAGE__queueServiceUri: queueEndpoint
  FT_STORAGE__credential: 'managedidentity'
  FT_STORAGE__clientId: identityClientId

  // DefaultAzureCredential (Azure OpenAI data plane, ARM, blob client) picks this identity.
  AZURE_CLIENT_ID: identityClientId

  // Application Insights with Entra ID auth (local auth is disabled on the component).
  APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
  APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
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
    reserved: true // Linux
  }
}

resource site 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: siteTags
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
    // Which identity resolves Key Vault references; there is no system-assigned identity.
    keyVaultReferenceIdentity: identityId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${blobEndpoint}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      runtime: {
        name: 'python'
        version: '3.11'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
    }
  }
}

// The app settings. This PUT replaces the whole set on every deployment: everything the app
// reads is here. FT_PUBLIC_BASE_URL is the site's real host name (new apps may get a
// randomised `<name>-<hash>.<region>-01.azurewebsites.net`), known only once the site exists.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: site
  name: 'appsettings'
  properties: union(settings, connectionSettings, {
    FT_PUBLIC_BASE_URL: 'https://${site.properties.defaultHostName}'
  })
}

output name string = site.name
output id string = site.id
output url string = 'https://${site.properties.defaultHostName}'
