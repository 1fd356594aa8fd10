"""Activities that talk to Azure Resource Manager: create-or-update and watch a deployment."""

import azure.durable_functions as df

from activities.runtime import register
from tuning import steps
from tuning.payloads import DeployInput

blueprint = df.Blueprint()
register(blueprint, steps.deploy_model, DeployInput)
register(blueprint, steps.get_deployment_status)  # input: a deployment name
