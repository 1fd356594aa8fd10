"""The simulated training run: step count, pseudo-losses, checkpoints, the results CSV.

Everything is a pure function of the job's seed and sizes, so the same job always reports
the same numbers (before and after a restart, on every poll). Losses fall along an
exponential curve with a little seeded noise; validation loss sits a bit above training
loss, so "best checkpoint by validation loss" is a meaningful choice but usually late.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from local.aoai.state import JobRecord

CSV_HEADER = "step,train_loss,train_mean_token_accuracy,valid_loss,valid_mean_token_accuracy"


@dataclass(frozen=True)
class StepMetrics:
    step: int
    train_loss: float
    train_mean_token_accuracy: float
    valid_loss: float | None
    valid_mean_token_accuracy: float | None

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "step": self.step,
            "train_loss": self.train_loss,
            "train_mean_token_accuracy": self.train_mean_token_accuracy,
            "valid_loss": self.valid_loss,
            "valid_mean_token_accuracy": self.valid_mean_token_accuracy,
        }

    def csv_row(self) -> str:
        cells = [
            self.step,
            self.train_loss,
            self.train_mean_token_accuracy,
            self.valid_loss,
            self.valid_mean_token_accuracy,
        ]
        return ",".join("" if cell is None else str(cell) for cell in cells)


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


def _accuracy(loss: float) -> float:
    return round(max(0.0, min(1.0, 1.0 - loss / 2.5)), 4)


def metrics(job: JobRecord, step: int) -> StepMetrics:
    rng = random.Random(f"{job.seed}:{step}")
    progress = step / total_steps(job)
    curve = 0.2 + 1.8 * math.exp(-3.0 * progress)
    train = round(curve * (1 + rng.uniform(-0.05, 0.05)), 4)
    if job.validation_file is None:
        return StepMetrics(step, train, _accuracy(train), None, None)
    valid = round(curve * 1.1 * (1 + rng.uniform(-0.03, 0.03)), 4)
    return StepMetrics(step, train, _accuracy(train), valid, _accuracy(valid))


def results_csv(job: JobRecord, steps: int) -> str:
    rows = [metrics(job, step).csv_row() for step in range(1, steps + 1)]
    return "\n".join([CSV_HEADER, *rows]) + "\n"


def checkpoint_steps(job: JobRecord) -> list[int]:
    """One checkpoint at the end of each epoch."""
    per_epoch = steps_per_epoch(job)
    return [per_epoch * epoch for epoch in range(1, job.hyperparameters["n_epochs"] + 1)]


def checkpoint_model(job: JobRecord, step: int) -> str:
    return f"{job.fine_tuned_model_name}:ckpt-step-{step}"
