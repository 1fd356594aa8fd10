#!/bin/sh
# azd postdeploy hook: subscribe the blob trigger to Event Grid (infra/modules/blob-events.bicep).
# Runs after the code is deployed because the webhook needs the host's blobs_extension system
# key, which exists only once the host has loaded an Event Grid blob trigger.
# Needs the Azure CLI signed in to the same tenant/subscription as azd (az login).
set -eu

: "${AZURE_RESOURCE_GROUP:?run through azd (azd up / azd deploy)}"
: "${AZURE_FUNCTION_APP_NAME:?}"
: "${FT_EVENTGRID_SYSTEM_TOPIC:?}"
FT_CONTAINER="${FT_CONTAINER:-fine-tuning}"

if [ -n "${AZURE_SUBSCRIPTION_ID:-}" ]; then
  az account set --subscription "$AZURE_SUBSCRIPTION_ID"
fi

echo "Waiting for the blobs_extension system key of $AZURE_FUNCTION_APP_NAME ..."
attempt=0
key=""
while [ -z "$key" ]; do
  attempt=$((attempt + 1))
  # A request wakes a scaled-to-zero Flex app so the host starts and indexes the functions.
  curl -s -o /dev/null --max-time 30 "${AZURE_FUNCTION_APP_URL:-https://${AZURE_FUNCTION_APP_NAME}.azurewebsites.net}/" || true
  key=$(az functionapp keys list -g "$AZURE_RESOURCE_GROUP" -n "$AZURE_FUNCTION_APP_NAME" \
        --query "systemKeys.blobs_extension" -o tsv 2>/dev/null || true)
  if [ -z "$key" ]; then
    if [ "$attempt" -ge 20 ]; then
      echo "blobs_extension key not present after $attempt tries; check the app's logs, then run azd deploy again." >&2
      exit 1
    fi
    sleep 15
  fi
done
key=""  # not needed further: blob-events.bicep reads it itself with listKeys

az deployment group create \
  --resource-group "$AZURE_RESOURCE_GROUP" \
  --name "ft-blob-events" \
  --template-file "./infra/modules/blob-events.bicep" \
  --parameters functionAppName="$AZURE_FUNCTION_APP_NAME" \
               systemTopicName="$FT_EVENTGRID_SYSTEM_TOPIC" \
               containerName="$FT_CONTAINER" \
  --output none
echo "Event Grid subscription ft-dataset-arrived is in place."
