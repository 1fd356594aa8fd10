"""Activities that read the dataset container and write reports into it."""

import azure.durable_functions as df

from activities.runtime import register
from tuning import steps
from tuning.payloads import ReportInput, ResolveInput, ValidateInput

blueprint = df.Blueprint()
register(blueprint, steps.resolve_run, ResolveInput)
register(blueprint, steps.validate_dataset, ValidateInput)
register(blueprint, steps.write_report, ReportInput)
