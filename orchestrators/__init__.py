"""Orchestrators: the deterministic workflow (no I/O, no clock, no randomness)."""

from orchestrators import cleanup, monitor, pipeline

__all__ = ["BLUEPRINTS"]

BLUEPRINTS = (pipeline.blueprint, monitor.blueprint, cleanup.blueprint)
