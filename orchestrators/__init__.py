"""Orchestrators: the deterministic workflow (no I/O, no clock, no randomness)."""

from orchestrators import monitor, pipeline

BLUEPRINTS = (pipeline.blueprint, monitor.blueprint)
