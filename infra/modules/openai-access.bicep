// The function app identity's access to the Azure OpenAI account (new or existing), deployed
// into the account's resource group. Both assignments are scoped to the account itself.
//
// What the app does there (tuning/): data plane - upload files (purpose=fine-tune), create,
// poll, pause, resume and cancel fine-tuning jobs, read events/checkpoints, chat completions
// (smoke test, evaluation); control plane (ARM) - GET, PUT and DELETE of model deployments it
// created itself (create-or-update by name, status by GET; DELETE for its temporary evaluation
// deployments and the deployment of a cancelled run). It never lists keys or changes the account.
param accountName string
@description('Principal id of the function app identity.')
param appPrincipalId string
param useCustomDeploymentRole bool = true

// Built-in role: Cognitive Services OpenAI Contributor (files, fine-tuning, inference with Entra ID).
var openAiContributor = 'a001fd3d-188f-4b5d-821b-7da978bf7442'

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' existing = {
  name: accountName
}

resource openAiContributorAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, appPrincipalId, openAiContributor)
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', openAiContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Custom role: exactly the ARM operations the app performs on deployments, and nothing else -
// no listKeys, no account write/delete, no RAI policies, no commitment plans. It is the
// alternative to "Cognitive Services Contributor" (Microsoft.CognitiveServices/* including
// listKeys/action and account delete). deployments/delete is needed because the app removes
// the deployments it created itself: temporary evaluation deployments and the deployment of a
// cancelled run (the app only deletes deployments carrying its own tag and name prefix; RBAC
// cannot express that condition, so the role allows delete on the account's deployments).
// Assignable scopes: the account's resource group (the narrowest scope a custom role's
// assignableScopes is documented to take); the assignment below is narrower still: the account.
var deploymentActions = [
  'Microsoft.CognitiveServices/accounts/read'
  'Microsoft.CognitiveServices/accounts/deployments/read'
  'Microsoft.CognitiveServices/accounts/deployments/write'
  'Microsoft.CognitiveServices/accounts/deployments/delete'
]

resource deploymentWriterRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = if (useCustomDeploymentRole) {
  // One definition per account; re-deploying updates it in place.
  name: guid(account.id, 'ft-openai-deployment-writer')
  properties: {
    // Role names are unique per tenant, hence the account name and a short hash.
    roleName: 'OpenAI deployment writer - ${accountName} (${take(uniqueString(account.id), 6)})'
    description: 'Read the Azure OpenAI account and create, update and delete its model deployments. Used by the fine-tuning pipeline function app.'
    type: 'CustomRole'
    permissions: [
      {
        actions: deploymentActions
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
    assignableScopes: [ resourceGroup().id ]
  }
}

resource deploymentWriterAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (useCustomDeploymentRole) {
  name: guid(account.id, appPrincipalId, 'ft-openai-deployment-writer')
  scope: account
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', deploymentWriterRole.name)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

output endpoint string = account.properties.endpoint
output id string = account.id
