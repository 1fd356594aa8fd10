"""Retry and polling policies, stated once and named for what they protect.

Transient failures (throttling, 5xx, dropped connections) raise out of an activity; Durable
Functions retries them with these options. Permanent failures come back as a `failure`
result and are never retried.
"""

import azure.durable_functions as df

# Azure OpenAI, ARM and storage calls. The clients already back off inside one attempt
# (honouring Retry-After); these durable retries cover outages longer than that. The Python
# SDK's RetryOptions has a fixed interval (no backoff coefficient).
SERVICE_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=5_000, max_number_of_attempts=5)

CANCEL_EVENT = "cancel"
APPROVAL_EVENT = "approval"

FILE_POLLS = 60  # uploads are processed in seconds to minutes
DEPLOYMENT_POLLS = 120  # provisioning takes minutes
SMOKE_TEST_ATTEMPTS = 8  # DeploymentNotReady right after provisioning
POLLS_PER_GENERATION = 25  # monitor history is reset (continue-as-new) after this many polls
SHORT_WAIT_CAP_SECONDS = 60.0


def backoff(previous: float, cap: float) -> float:
    """The next polling interval: doubled, never above the cap."""
    return min(previous * 2, cap)
