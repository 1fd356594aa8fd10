// The function app's user-assigned managed identity. User-assigned rather than system-assigned:
// it exists before the app, so every role assignment can be made (and replicate) before the
// host first starts, and it survives the app being recreated.
param name string
param location string
param tags object

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

output id string = identity.id
output name string = identity.name
output principalId string = identity.properties.principalId
output clientId string = identity.properties.clientId
