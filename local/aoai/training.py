"""The simulated training run: step count, pseudo-losses, checkpoints, the results CSV.

Everything is a pure function of the job's seed and sizes, so the same job always reports
the same numbers (before and after a restart, on every poll). Losses fall along an
exponential curve with a little seeded noise; validation loss sits a bit above training
loss, so "best checkpoint by validation loss" is a meaningful choice but usually late.
`full_valid_*` is the loss over the whole validation file, which Azure computes at the end
of each epoch (articles/ai-foundry/openai/includes/fine-tuning-rest.md, "Analyze your
customized model"): a smooth curve without the per-batch noise.
"""

from __future__ import annotations

import hashlib
import math
import random
from dataclasses import dataclass

from local.aoai.state import JobRecord

__all__ = [
    "CSV_HEADER",
    "KEPT_EPOCH_CHECKPOINTS",
    "StepMetrics",
    "auto_batch_size",
    "auto_epochs",
    "checkpoint_id",
    "checkpoint_model",
    "epoch_steps",
    "metrics",
    "results_csv",
    "steps_per_epoch",
    "total_steps",
]

COLUMNS = (
    "step",
    "train_loss",
    "train_mean_token_accuracy",
    "valid_loss",
    "valid_mean_token_accuracy",
    "full_valid_loss",
    "full_valid_mean_token_accuracy",
)
CSV_HEADER = ",".join(COLUMNS)
# "When a fine-tuning job completes you will have the three most recent versions of the model
# available to deploy" (fine-tuning-rest.md, "Checkpoints"); OpenAI keeps the last three epochs too.
KEPT_EPOCH_CHECKPOINTS = 3


@dataclass(frozen=True)
class StepMetrics:
    step: int
    train_loss: float
    train_mean_token_accuracy: float
    valid_loss: float | None
    valid_mean_token_accuracy: float | None
    full_valid_loss: float | None
    full_valid_mean_token_accuracy: float | None

    def as_dict(self) -> dict[str, float | int]:
        """The metrics that exist (checkpoint metrics are numbers only; absent ones are left out)."""
        return {name: value for name in COLUMNS if (value := getattr(self, name)) is not None}

    def csv_row(self) -> str:
        return ",".join("" if (value := getattr(self, name)) is None else str(value) for name in COLUMNS)


def auto_epochs(examples: int) -> int:
    """The OpenAI cookbook's default: 3 epochs, more for tiny sets (100 // n), fewer for huge ones."""
    if examples * 3 < 100:
        return min(25, 100 // examples)
    if examples * 3 > 25000:
        return max(1, 25000 // examples)
    return 3


def auto_batch_size(examples: int) -> int:
    return max(1, min(256, math.ceil(examples * 0.002)))


def steps_per_epoch(job: JobRecord) -> int:
    return math.ceil(job.examples / job.hyperparameters["batch_size"])


def total_steps(job: JobRecord) -> int:
    return steps_per_epoch(job) * job.hyperparameters["n_epochs"]


def epoch_steps(job: JobRecord) -> list[int]:
    """The last step of each epoch, where a checkpoint and the full validation happen."""
    per_epoch = steps_per_epoch(job)
    return [per_epoch * epoch for epoch in range(1, job.hyperparameters["n_epochs"] + 1)]


def _accuracy(loss: float) -> float:
    return round(max(0.0, min(1.0, 1.0 - loss / 2.5)), 4)


def metrics(job: JobRecord, step: int, *, full_validation: bool) -> StepMetrics:
    rng = random.Random(f"{job.seed}:{step}")
    curve = 0.2 + 1.8 * math.exp(-3.0 * step / total_steps(job))
    train = round(curve * (1 + rng.uniform(-0.05, 0.05)), 4)
    if job.validation_file is None:
        return StepMetrics(step, train, _accuracy(train), None, None, None, None)
    valid = round(curve * 1.1 * (1 + rng.uniform(-0.03, 0.03)), 4)
    full = round(curve * 1.1, 4) if full_validation else None
    return StepMetrics(
        step,
        train,
        _accuracy(train),
        valid,
        _accuracy(valid),
        full,
        None if full is None else _accuracy(full),
    )


def results_csv(job: JobRecord) -> str:
    ends = set(epoch_steps(job))
    rows = [
        metrics(job, step, full_validation=step in ends).csv_row() for step in range(1, total_steps(job) + 1)
    ]
    return "\n".join([CSV_HEADER, *rows]) + "\n"


def checkpoint_model(job: JobRecord, step: int) -> str:
    return f"{job.fine_tuned_model_name}:ckpt-step-{step}"


def checkpoint_id(job: JobRecord, step: int) -> str:
    """`ftchkpt-<32 hex>`, the form Azure shows and accepts as a deployable model name."""
    return "ftchkpt-" + hashlib.sha256(f"{job.id}:ckpt:{step}".encode()).hexdigest()[:32]
