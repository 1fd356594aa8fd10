// A new Azure OpenAI account, created only when main.bicep was not given an existing one.
// Local (API key) auth is disabled: the app authenticates with Entra ID only, which needs the
// custom subdomain below.
param name string
param location string
param tags object

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: name
  location: location
  tags: tags
  kind: 'OpenAI'
  sku: { name: 'S0' }
  properties: {
    customSubDomainName: name
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

output name string = account.name
output endpoint string = account.properties.endpoint
