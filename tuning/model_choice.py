"""Which model of a finished job to deploy: the final one, or the checkpoint with the lowest loss.

Pure, so the orchestrator decides it deterministically from the checkpoints an activity listed.
"""

from __future__ import annotations

import math

from tuning.payloads import Checkpoint, Checkpoints
from tuning.reports.model import ModelChoice

__all__ = ["best_checkpoint", "choose_model"]


def best_checkpoint(checkpoints: Checkpoints) -> tuple[Checkpoint, str] | None:
    """The checkpoint with the lowest validation loss (training loss when none was measured), and
    the basis of the choice; None when there are no checkpoints."""
    items = checkpoints.items
    if not items:
        return None
    with_valid = [c for c in items if c.valid_loss is not None]
    if with_valid:
        chosen = min(with_valid, key=lambda c: (c.valid_loss, c.step))
        return chosen, "validation loss"
    with_train = [c for c in items if c.train_loss is not None]
    chosen = min(
        with_train or items, key=lambda c: (c.train_loss if c.train_loss is not None else math.inf, c.step)
    )
    return chosen, "training loss (no validation loss was measured)"


def choose_model(strategy: str, final_model: str, checkpoints: Checkpoints | None) -> ModelChoice:
    if strategy == "best_checkpoint" and checkpoints is not None:
        found = best_checkpoint(checkpoints)
        if found:
            chosen, basis = found
            return ModelChoice(
                strategy="best_checkpoint",
                model=chosen.model,
                step=chosen.step,
                valid_loss=chosen.valid_loss,
                train_loss=chosen.train_loss,
                reason=f"lowest {basis} among {len(checkpoints.items)} checkpoints: step {chosen.step}",
            )
        reason = "best_checkpoint was asked for but the job has no checkpoints; deploying the final model"
    else:
        reason = "the final model of the job (model_choice=final)"
    return ModelChoice(strategy="final", model=final_model, reason=reason)
