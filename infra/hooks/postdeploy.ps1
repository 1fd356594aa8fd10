# azd postdeploy hook (Windows): same as postdeploy.sh. Subscribes the blob trigger to
# Event Grid once the host's blobs_extension system key exists. Needs `az login`.
$ErrorActionPreference = 'Stop'

foreach ($name in 'AZURE_RESOURCE_GROUP', 'AZURE_FUNCTION_APP_NAME', 'FT_EVENTGRID_SYSTEM_TOPIC') {
  if (-not (Get-Item "env:$name" -ErrorAction SilentlyContinue)) { throw "$name is not set: run through azd" }
}
$container = if ($env:FT_CONTAINER) { $env:FT_CONTAINER } else { 'fine-tuning' }
if ($env:AZURE_SUBSCRIPTION_ID) { az account set --subscription $env:AZURE_SUBSCRIPTION_ID }

Write-Host "Waiting for the blobs_extension system key of $($env:AZURE_FUNCTION_APP_NAME) ..."
$url = if ($env:AZURE_FUNCTION_APP_URL) { $env:AZURE_FUNCTION_APP_URL } else { "https://$($env:AZURE_FUNCTION_APP_NAME).azurewebsites.net" }
$key = ''
for ($attempt = 1; -not $key; $attempt++) {
  try { Invoke-WebRequest -Uri "$url/" -TimeoutSec 30 -UseBasicParsing | Out-Null } catch { }
  $key = az functionapp keys list -g $env:AZURE_RESOURCE_GROUP -n $env:AZURE_FUNCTION_APP_NAME --query "systemKeys.blobs_extension" -o tsv 2>$null
  if (-not $key) {
    if ($attempt -ge 20) { throw "blobs_extension key not present after $attempt tries; check the app's logs, then run azd deploy again." }
    Start-Sleep -Seconds 15
  }
}
$key = $null

az deployment group create `
  --resource-group $env:AZURE_RESOURCE_GROUP `
  --name ft-blob-events `
  --template-file ./infra/modules/blob-events.bicep `
  --parameters functionAppName=$($env:AZURE_FUNCTION_APP_NAME) systemTopicName=$($env:FT_EVENTGRID_SYSTEM_TOPIC) containerName=$container `
  --output none
if ($LASTEXITCODE -ne 0) { throw 'az deployment group create failed' }
Write-Host 'Event Grid subscription ft-dataset-arrived is in place.'
