"""Activities that talk to the Azure OpenAI data plane: files, fine-tuning jobs, chat."""

import azure.durable_functions as df

from activities.runtime import register
from tuning import steps
from tuning.payloads import SmokeInput, SubmitInput, UploadInput

blueprint = df.Blueprint()
register(blueprint, steps.upload_file, UploadInput)
register(blueprint, steps.get_file_status)  # input: a file id
register(blueprint, steps.submit_fine_tune, SubmitInput)
register(blueprint, steps.get_job_status)  # input: a job id
register(blueprint, steps.cancel_job)  # input: a job id
register(blueprint, steps.choose_checkpoint, name="list_checkpoints")  # input: a job id
register(blueprint, steps.smoke_test, SmokeInput)
