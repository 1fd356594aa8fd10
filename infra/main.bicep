// Durable fine-tuning pipeline: everything `azd up` provisions.
//
// Layout (one module per concern; each module also holds the role assignments scoped to the
// resource it creates, so every grant sits next to the thing it grants access to):
//   modules/identity.bicep        user-assigned managed identity of the function app
//   modules/monitoring.bicep      Log Analytics + Application Insights (Entra-only ingestion)
//   modules/storage.bicep         storage account (no shared keys), containers, Event Grid system topic
//   modules/openai-account.bicep  a new Azure OpenAI account (only when none is given)
//   modules/openai-access.bicep   the app's roles on the Azure OpenAI account (new or existing)
//   modules/functionapp.bicep     Flex Consumption plan + function app + app settings
//   modules/blob-events.bicep     Event Grid subscription for the blob trigger; NOT deployed here:
//                                 the postdeploy hook deploys it once the code (and so the
//                                 blobs_extension system key) exists. See infra/README.md.
//
// No account keys anywhere: storage, Azure OpenAI and Application Insights all authenticate
// the app with its user-assigned identity.
targetScope = 'subscription'

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

@minLength(1)
@maxLength(64)
@description('azd environment name; used for the resource group name and the unique resource suffix.')
param environmentName string

@minLength(1)
@description('Region for all resources (Flex Consumption must be available there).')
param location string

@description('Resource group to create for the app. Default: rg-<environmentName>.')
param resourceGroupName string = ''

@description('Name of an existing Azure OpenAI account to use. Empty: create a new one in the app resource group.')
param openAiAccountName string = ''

@description('Resource group of the existing Azure OpenAI account (same subscription). Empty: the app resource group.')
param openAiResourceGroup string = ''

@description('Region of a NEW Azure OpenAI account; pick one where fine-tuning of the base model is offered. Default: location.')
param openAiLocation string = ''

@description('Also grant deployment write and delete through a custom role scoped to the Azure OpenAI account (see infra/README.md). Set false only if your tenant\'s "Cognitive Services OpenAI Contributor" already includes Microsoft.CognitiveServices/accounts/deployments/write and deployments/delete.')
param useCustomDeploymentRole bool = true

@description('Default base model for fine-tuning (FT_BASE_MODEL).')
param baseModel string = 'gpt-4o-2024-08-06'

@allowed([ 'none', 'training', 'deployment' ])
@description('Human approval gate (FT_REQUIRE_APPROVAL).')
param requireApproval string = 'none'

@description('Refuse runs whose cost estimate exceeds this many USD (FT_MAX_COST_USD). Empty: no ceiling.')
param maxCostUsd string = ''

@description('Durable Functions task hub name (FT_TASK_HUB): letters and digits only, 3-45 characters.')
@minLength(3)
@maxLength(45)
param taskHubName string = 'fttaskhub'

@description('Azure OpenAI data-plane api-version (AZURE_OPENAI_API_VERSION), used by the dated routes.')
param openAiApiVersion string = '2025-04-01-preview'

@allowed([ 'v1', 'dated' ])
@description('Azure OpenAI data-plane routes (AZURE_OPENAI_API_STYLE): v1 = /openai/v1/ (GA), dated = api-version routes.')
param openAiApiStyle string = 'v1'

@minLength(1)
@maxLength(20)
@description('Prefix of every model deployment the app creates (FT_DEPLOYMENT_PREFIX); it touches no deployment without it.')
param deploymentPrefix string = 'ft-'

@description('Deployment SKUs a run may ask for, comma-separated (FT_ALLOWED_SKUS).')
param allowedDeploymentSkus string = 'Standard,GlobalStandard,DeveloperTier'

@minValue(1)
@description('Largest deployment capacity a run may ask for (FT_MAX_CAPACITY), in the SKU\'s capacity units.')
param maxDeploymentCapacity int = 1

@allowed([ 'off', 'warn', 'error' ])
@description('Secrets/PII scan of datasets (FT_DATA_SCAN): off, warn (report only) or error (stop the run).')
param dataScan string = 'warn'

@minValue(1)
@description('Chat calls in flight while evaluating a model (FT_EVAL_CONCURRENCY).')
param evalConcurrency int = 4

@description('The reconciler\'s NCRONTAB schedule (FT_RECONCILE_SCHEDULE): it finishes runs that ended without a report or with a job still running.')
param reconcileSchedule string = '0 */5 * * * *'

@description('The quality gate\'s default baseline: an existing deployment of the base model (FT_EVAL_BASELINE_DEPLOYMENT). Empty: none.')
param evalBaselineDeployment string = ''

@allowed([ 'false', 'true' ])
@description('Every run goes through the quality gate and cannot skip it (FT_REQUIRE_EVALUATION).')
param requireEvaluation string = 'false'

@description('Flex Consumption: most instances the app may scale out to (40 is the platform minimum for this setting).')
param maximumInstanceCount int = 40

@allowed([ 2048, 4096 ])
@description('Flex Consumption: memory per instance in MB.')
param instanceMemoryMB int = 2048

@description('Object id of the person running azd (azd fills AZURE_PRINCIPAL_ID). When set, that person may upload datasets to the fine-tuning container; nothing else. Empty: no human grant.')
param principalId string = ''

// ---------------------------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------------------------

var tags = { 'azd-env-name': environmentName }
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var rgName = !empty(resourceGroupName) ? resourceGroupName : 'rg-${environmentName}'

var datasetContainerName = 'fine-tuning'
var functionAppName = 'func-ft-${resourceToken}'
// Flex Consumption keeps the deployed package here; the app reads it with its identity.
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(resourceToken, 7)}'

var createOpenAi = empty(openAiAccountName)
var openAiName = createOpenAi ? 'oai-ft-${resourceToken}' : openAiAccountName
var openAiRgName = createOpenAi ? rgName : (empty(openAiResourceGroup) ? rgName : openAiResourceGroup)

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: rgName
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: 'id-ft-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: 'log-ft-${resourceToken}'
    appInsightsName: 'appi-ft-${resourceToken}'
    location: location
    tags: tags
    appPrincipalId: identity.outputs.principalId
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: 'stft${resourceToken}'
    location: location
    tags: tags
    datasetContainerName: datasetContainerName
    deploymentContainerName: deploymentContainerName
    systemTopicName: 'evgt-ft-${resourceToken}'
    appPrincipalId: identity.outputs.principalId
    operatorPrincipalId: principalId
  }
}

// A new account only when none was named. An existing one is only referenced (openai-access).
module openAiAccount 'modules/openai-account.bicep' = if (createOpenAi) {
  name: 'openai-account'
  scope: rg
  params: {
    name: openAiName
    location: !empty(openAiLocation) ? openAiLocation : location
    tags: tags
  }
}

module openAiAccess 'modules/openai-access.bicep' = {
  name: 'openai-access-${resourceToken}'
  scope: resourceGroup(openAiRgName)
  params: {
    accountName: openAiName
    appPrincipalId: identity.outputs.principalId
    useCustomDeploymentRole: useCustomDeploymentRole
  }
  // The account must exist before it is referenced; with an existing account this is a no-op.
  dependsOn: [ openAiAccount ]
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  scope: rg
  params: {
    name: functionAppName
    planName: 'plan-ft-${resourceToken}'
    location: location
    tags: tags
    siteTags: union(tags, { 'azd-service-name': 'api' })
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    blobEndpoint: storage.outputs.blobEndpoint
    queueEndpoint: storage.outputs.queueEndpoint
    deploymentContainerName: deploymentContainerName
    appInsightsConnectionString: monitoring.outputs.connectionString
    maximumInstanceCount: maximumInstanceCount
    instanceMemoryMB: instanceMemoryMB
    settings: {
      FT_CONTAINER: datasetContainerName
      FT_BLOB_SOURCE: 'EventGrid'
      FT_TASK_HUB: taskHubName
      FT_BASE_MODEL: baseModel
      FT_REQUIRE_APPROVAL: requireApproval
      FT_MAX_COST_USD: maxCostUsd
      AZURE_OPENAI_ENDPOINT: openAiAccess.outputs.endpoint
      AZURE_OPENAI_API_VERSION: openAiApiVersion
      AZURE_OPENAI_API_STYLE: openAiApiStyle
      FT_DEPLOYMENT_PREFIX: deploymentPrefix
      FT_ALLOWED_SKUS: allowedDeploymentSkus
      FT_MAX_CAPACITY: string(maxDeploymentCapacity)
      FT_DATA_SCAN: dataScan
      FT_EVAL_CONCURRENCY: string(evalConcurrency)
      FT_RECONCILE_SCHEDULE: reconcileSchedule
      FT_EVAL_BASELINE_DEPLOYMENT: evalBaselineDeployment
      FT_REQUIRE_EVALUATION: requireEvaluation
      // Where the deploy step PUTs the model deployment through ARM.
      AZURE_SUBSCRIPTION_ID: subscription().subscriptionId
      AZURE_RESOURCE_GROUP: openAiRgName
      AZURE_OPENAI_ACCOUNT: openAiName
    }
  }
  // No dependsOn: the outputs used above already make this module wait for the whole storage,
  // monitoring and openai-access deployments, role assignments included, so the host starts
  // only once it may read its storage and Application Insights accepts its telemetry.
}

// ---------------------------------------------------------------------------------------------
// Outputs (azd stores them in .azure/<env>/.env; the postdeploy hook reads them)
// ---------------------------------------------------------------------------------------------

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
output AZURE_FUNCTION_APP_URL string = functionApp.outputs.url
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_STORAGE_BLOB_ENDPOINT string = storage.outputs.blobEndpoint
output FT_CONTAINER string = datasetContainerName
output FT_EVENTGRID_SYSTEM_TOPIC string = storage.outputs.systemTopicName
output AZURE_OPENAI_ACCOUNT string = openAiName
output AZURE_OPENAI_RESOURCE_GROUP string = openAiRgName
output AZURE_OPENAI_ENDPOINT string = openAiAccess.outputs.endpoint
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.name
