"""Retry and polling policies, stated once and named for what they protect, and the names of the
external events a run listens to.

Transient failures (throttling, 5xx, dropped connections) raise out of an activity; Durable
Functions retries them with these options. Permanent failures come back as a `failure` result
and are never retried.
"""

from __future__ import annotations

import azure.durable_functions as df

__all__ = [
    "APPROVAL_EVENT",
    "CANCEL_EVENT",
    "DEPLOYMENT_POLLS",
    "FILE_POLLS",
    "JOB_CONTROL_EVENT",
    "POLLS_PER_GENERATION",
    "SERVICE_RETRY",
    "SHORT_WAIT_CAP_SECONDS",
    "SMOKE_TEST_ATTEMPTS",
    "backoff",
]

# Azure OpenAI, ARM and storage calls. The clients already back off inside one attempt
# (honouring Retry-After) for reads; these durable retries cover outages longer than that, and
# are the only retries of a create (the step looks for what an earlier attempt made first).
# The Python SDK's RetryOptions has a fixed interval (no backoff coefficient).
SERVICE_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=5_000, max_number_of_attempts=5)

CANCEL_EVENT = "cancel"
APPROVAL_EVENT = "approval"
JOB_CONTROL_EVENT = "job_control"  # {"action": "pause" | "resume", "by"?: str}

FILE_POLLS = 60  # uploads are processed in seconds to minutes
DEPLOYMENT_POLLS = 120  # provisioning takes minutes
SMOKE_TEST_ATTEMPTS = 8  # a deployment refuses chat for a while after provisioning
POLLS_PER_GENERATION = 25  # monitor history is reset (continue-as-new) after this many polls
SHORT_WAIT_CAP_SECONDS = 60.0


def backoff(previous: float, cap: float) -> float:
    """The next polling interval: doubled, never above the cap."""
    return min(previous * 2, cap)
