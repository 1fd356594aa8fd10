"""Runs batch checks in this process for small inputs and concurrently for large ones.

Tokenizing is CPU-bound and the Python parts (JSON, rules) hold the GIL, so worker processes
are what use both cores. They are forked, so they inherit the loaded encoding at no cost; but
forking a process that runs other threads can deadlock the child, and the other start methods
re-import the caller's main module (in a Functions host, the host's worker), so a threaded
process uses threads instead: tiktoken releases the GIL while it encodes, so they overlap the
encoding only (a modest gain, but a safe one). Forked workers and threads also share this
process's hash key, which the fingerprints rely on (fingerprints.py). A pool only pays off on
large inputs, so it starts once the batches read pass `parallel_after_bytes`, the batch that
passes it included (so both cores work from the first large batch on), after this process has
built the per-process tools that forked workers then inherit; results are yielded in input
order, with a bounded number of batches in flight (bounded memory).
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor

from tuning.validation.checking import (
    CheckSettings,
    PackedOutcome,
    check_batch,
    check_packed,
    line_tools,
)
from tuning.validation.lines import Batch

__all__ = ["PARALLEL_AFTER_BYTES", "check_batches", "default_workers"]

PARALLEL_AFTER_BYTES = 1 << 20
# Enough queued that a worker finishing early finds work while the main process waits in order.
BATCHES_IN_FLIGHT_PER_WORKER = 4


def default_workers() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _executor(workers: int) -> Executor:
    if "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return ProcessPoolExecutor(
            max_workers=workers, mp_context=multiprocessing.get_context("fork"), initializer=gc.freeze
        )
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="validate")


def check_batches(
    settings: CheckSettings,
    batches: Iterable[Batch],
    workers: int,
    parallel_after_bytes: int = PARALLEL_AFTER_BYTES,
) -> Iterator[tuple[Batch, Sequence[PackedOutcome]]]:
    """(batch, outcomes) for every batch, in order: LineOutcomes when checked in this process,
    their packed form when checked by a worker (read alike, see PackedOutcome)."""
    pool: Executor | None = None
    pending: deque[tuple[Batch, Future[list[PackedOutcome]]]] = deque()
    read_bytes = 0
    try:
        for batch in batches:
            read_bytes += batch.size
            if pool is None and workers > 1 and read_bytes > parallel_after_bytes:
                line_tools(settings)  # built before the fork, so every worker inherits them
                pool = _executor(workers)
            if pool is None:
                yield batch, check_batch(settings, batch.lines)
                continue
            pending.append((batch, pool.submit(check_packed, settings, batch.lines)))
            while len(pending) >= workers * BATCHES_IN_FLIGHT_PER_WORKER:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
