"""Report dictionaries shaped like the report.json that write_report builds."""

from __future__ import annotations

from typing import Any

import pytest


def summary(**overrides: Any) -> dict[str, Any]:
    """One file's validation summary; valid unless overridden."""
    return {
        "file": "training.jsonl",
        "valid": True,
        "examples": 1200,
        "format": "chat",
        "model": "gpt-4o-2024-08-06",
        "encoding": "o200k_base",
        "errors": [],
        "error_count": 0,
        "warning_count": 1,
        "errors_by_code": {},
        "tokens": {
            "total": {"sum": 345678, "min": 12, "max": 4096, "mean": 288.065, "median": 240, "p95": 910},
            "assistant": {"sum": 98765, "min": 3, "max": 800, "mean": 82.3, "median": 70, "p95": 300},
        },
        "estimate": {"epochs": 3, "billed_tokens": 1037034, "context_limit": 65536, "cost_usd": 25.93},
        **overrides,
    }


@pytest.fixture
def succeeded() -> dict[str, Any]:
    return {
        "run": "demo",
        "instance_id": "ft-demo",
        "attempt": "20261128T211500Z",
        "status": "succeeded",
        "started": "2026-11-28T21:15:00Z",
        "finished": "2026-11-28T23:17:30Z",
        "stages": [
            {
                "name": "validate",
                "status": "ok",
                "started": "2026-11-28T21:15:00Z",
                "finished": "2026-11-28T21:15:01.500000Z",
                "seconds": 1.5,
            },
            {
                "name": "train",
                "status": "ok",
                "started": "2026-11-28T21:16:00Z",
                "finished": "2026-11-28T23:00:00Z",
            },
            {"name": "approve", "status": "skipped"},
        ],
        "options": {
            "base_model": "gpt-4o-2024-08-06",
            "seed": 105,
            "suffix": "demo",
            "method": "supervised",
            "hyperparameters": {"n_epochs": 3, "batch_size": 8},
            "model_choice": "best_checkpoint",
            "deployment": {"name": "demo-ft", "sku": "Standard", "capacity": 1},
        },
        "validation": {"training": summary(), "validation": summary(file="validation.jsonl", examples=120)},
        "files": {
            "training": {"id": "file-abc123", "filename": "training.jsonl", "reused": False},
            "validation": {"id": "file-def456", "filename": "validation.jsonl", "reused": True},
        },
        "job": {
            "id": "ftjob-42",
            "status": "succeeded",
            "model": "gpt-4o-2024-08-06",
            "fine_tuned_model": "gpt-4o-2024-08-06.ft-42",
            "trained_tokens": 1037034,
            "seed": 105,
            "hyperparameters": {"n_epochs": 3},
            "error": None,
        },
        "metrics": {
            "steps": 450,
            "final": {
                "step": 450,
                "train_loss": 0.1234,
                "valid_loss": 0.2345,
                "train_mean_token_accuracy": 0.9512,
                "valid_mean_token_accuracy": 0.9031,
            },
        },
        "model_choice": {
            "strategy": "best_checkpoint",
            "model": "gpt-4o-2024-08-06.ft-42:ckpt-step-300",
            "reason": "lowest validation loss 0.2011 at step 300",
        },
        "deployment": {
            "name": "demo-ft",
            "model": "gpt-4o-2024-08-06.ft-42:ckpt-step-300",
            "sku": "Standard",
            "capacity": 1,
            "provisioning_state": "Succeeded",
        },
        "smoke_test": {
            "messages": [
                {"role": "system", "content": "You are Clippy."},
                {"role": "user", "content": "How do I ```escape``` fences?"},
            ],
            "answer": "Like this:\n```\ncode\n```",
            "latency_ms": 1234.5,
            "usage": {"prompt_tokens": 21, "completion_tokens": 9, "total_tokens": 30},
            "attempts": 1,
        },
        "errors": [],
        "artifacts": {
            "report.json": "runs/demo/20261128T211500Z/report.json",
            "loss.svg": "runs/demo/20261128T211500Z/loss.svg",
        },
    }


@pytest.fixture
def failed() -> dict[str, Any]:
    """A run stopped by validation: nothing but its status, errors and the validation summary."""
    errors = [
        {"line": 4, "code": "too_many_tokens", "message": "example has 70,000 tokens; the limit is 65,536"},
        {"line": 17, "code": "too_many_tokens", "message": "example has 66,000 tokens; the limit is 65,536"},
        {"line": 230, "code": "too_many_tokens", "message": "example has 90,000 tokens; the limit is 65,536"},
        {"line": 9, "code": "missing_assistant", "message": "no assistant message"},
    ]
    return {
        "run": "broken",
        "status": "failed",
        "validation": {
            "training": summary(
                valid=False,
                errors=errors,
                error_count=16,
                estimate={"epochs": 3, "cost_usd": None},
                errors_by_code={"too_many_tokens": 15, "missing_assistant": 1},
            )
        },
        "errors": [{"stage": "validate", "code": "invalid_data", "message": "training.jsonl has 16 errors"}],
    }
