"""Where a fine-tuning job is at any moment, derived from its timestamps alone.

A job is active for `duration` seconds: validating files for the first 10 %, queued until
20 %, then running; each pause stops the clock. A pause goes `pausing` for `transition`
seconds (the service writes a checkpoint), then `paused` until resumed; a resume goes
`resuming` for `transition` seconds, then the job runs on. Nothing runs in the background:
every request derives the phase from `created_at`, `pauses` and the time, so a restarted
emulator loses nothing.
"""

from __future__ import annotations

import math

from local.aoai import training
from local.aoai.state import JobRecord

__all__ = [
    "ACTIVE",
    "STARTED",
    "TERMINAL",
    "VALIDATED",
    "active_seconds",
    "moment",
    "pause_checkpoints",
    "phase",
    "step_time",
    "steps_done",
]

VALIDATED, STARTED = 0.1, 0.2
TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
ACTIVE = frozenset({"validating_files", "queued", "running", "pausing", "paused", "resuming"})


def _pause_end(job: JobRecord, resumed: float | None) -> float:
    return math.inf if resumed is None else resumed + job.transition


def _paused_seconds(job: JobRecord, at: float) -> float:
    total = 0.0
    for start, resumed in job.pauses:
        assert start is not None
        if at > start:
            total += min(at, _pause_end(job, resumed)) - start
    return total


def active_seconds(job: JobRecord, at: float) -> float:
    """Seconds of progress by `at`: wall time since creation minus pauses, frozen once finished."""
    if job.finished_at is not None:
        at = min(at, job.finished_at)
    return max(0.0, at - job.created_at - _paused_seconds(job, at))


def moment(job: JobRecord, fraction: float) -> float:
    """The wall time at which the job's progress reaches `fraction` (infinity while paused)."""
    at = job.created_at + fraction * job.duration
    for start, resumed in job.pauses:
        assert start is not None
        if start < at:
            at += _pause_end(job, resumed) - start
    return at


def phase(job: JobRecord, at: float) -> str:
    """The phase of a job that has not finished, in OpenAI's words plus the pause states."""
    for start, resumed in job.pauses:
        assert start is not None
        if start <= at < _pause_end(job, resumed):
            if at < start + job.transition:
                return "pausing"
            return "resuming" if resumed is not None and at >= resumed else "paused"
    progress = active_seconds(job, at) / job.duration
    return "validating_files" if progress < VALIDATED else "queued" if progress < STARTED else "running"


def steps_done(job: JobRecord, at: float) -> int:
    """Training steps finished by `at`."""
    start = STARTED * job.duration
    active = active_seconds(job, at)
    if active < start:
        return 0
    total = training.total_steps(job)
    return min(total, int(total * (active - start) / (job.duration - start)))


def step_time(job: JobRecord, step: int) -> float:
    return moment(job, STARTED + (1 - STARTED) * step / training.total_steps(job))


def pause_checkpoints(job: JobRecord, at: float) -> list[tuple[int, float]]:
    """(step, created_at) of the checkpoint each pause wrote, once it is written."""
    written = []
    for start, _ in job.pauses:
        assert start is not None
        step = steps_done(job, start)
        if step > 0 and at >= start + job.transition:
            written.append((step, start + job.transition))
    return written
