"""RunReport models shaped like the reports the pipeline writes."""

from __future__ import annotations

from typing import Any

import pytest

from tuning.options import merge_options
from tuning.payloads import LineIssue, UploadedFile, ValidationSummary
from tuning.reports.model import (
    DeploymentRecord,
    ErrorRecord,
    FinalMetrics,
    JobRecord,
    MetricsSummary,
    ModelChoice,
    RunReport,
    SmokeRecord,
    StageRecord,
)
from tuning.settings import load_settings


def summary(**overrides: Any) -> ValidationSummary:
    """One file's validation summary; valid unless overridden."""
    fields: dict[str, Any] = {
        "file": "incoming/demo/training.jsonl",
        "kind": "training",
        "valid": True,
        "examples": 1200,
        "format": "chat",
        "model": "gpt-4o-2024-08-06",
        "encoding": "o200k_base",
        "errors": [],
        "error_count": 0,
        "warning_count": 1,
        "errors_by_code": {},
        "warnings_by_code": {"duplicate_example": 1},
        "tokens": {
            "total": {"sum": 345678, "min": 12, "max": 4096, "mean": 288.065, "median": 240, "p95": 910},
            "assistant": {"sum": 98765, "min": 3, "max": 800, "mean": 82.3, "median": 70, "p95": 300},
        },
        "estimate": {"epochs": 3, "billed_tokens": 1037034, "context_limit": 65536, "cost_usd": 25.93},
        "report_blob": "runs/demo/20261128T211500Z/validation-training.json",
    }
    return ValidationSummary.model_validate({**fields, **overrides})


def base(**fields: Any) -> RunReport:
    return RunReport.model_validate(
        {
            "run": "demo",
            "instance_id": "ft-demo",
            "attempt": "20261128T211500Z",
            "source": "blob",
            "started": "2026-11-28T21:15:00Z",
            "report_folder": "runs/demo/20261128T211500Z/",
            **fields,
        }
    )


@pytest.fixture
def succeeded() -> RunReport:
    options = merge_options(load_settings({"AzureWebJobsStorage": "x"}), "demo")
    return base(
        status="succeeded",
        finished="2026-11-28T23:17:30Z",
        stages=[
            StageRecord(
                name="validating",
                status="ok",
                started="2026-11-28T21:15:00Z",
                finished="2026-11-28T21:15:01Z",
                seconds=1.5,
            ),
            StageRecord(
                name="training",
                status="ok",
                started="2026-11-28T21:16:00Z",
                finished="2026-11-28T23:00:00Z",
                seconds=6240,
            ),
        ],
        options=options,
        validation={
            "training": summary(),
            "validation": summary(kind="validation", file="v.jsonl", examples=120),
        },
        files={
            "training": UploadedFile(
                kind="training", id="file-abc123", filename="a.jsonl", status="processed", reused=False
            ),
            "validation": UploadedFile(
                kind="validation", id="file-def456", filename="b.jsonl", status="processed", reused=True
            ),
        },
        job=JobRecord(
            id="ftjob-42",
            status="succeeded",
            model="gpt-4o-2024-08-06",
            fine_tuned_model="gpt-4o-2024-08-06.ft-42",
            trained_tokens=1037034,
        ),
        metrics=MetricsSummary(
            steps=450,
            final=FinalMetrics(
                step=450,
                train_loss=0.1234,
                valid_loss=0.2345,
                valid_mean_token_accuracy=0.9031,
                full_valid_loss=0.2222,
            ),
        ),
        model_choice=ModelChoice(
            strategy="best_checkpoint",
            model="gpt-4o-2024-08-06.ft-42:ckpt-step-300",
            step=300,
            reason="lowest validation loss among 3 checkpoints: step 300",
        ),
        deployment=DeploymentRecord(
            name="ft-demo",
            model="gpt-4o-2024-08-06.ft-42:ckpt-step-300",
            sku="Standard",
            capacity=1,
            provisioning_state="Succeeded",
            replaced_model="gpt-4o-2024-08-06.ft-41",
        ),
        smoke_test=SmokeRecord(
            messages=[
                {"role": "system", "content": "You are Clippy."},
                {"role": "user", "content": "How do I ```escape``` fences?"},
            ],
            answer="Like this:\n```\ncode\n```",
            latency_ms=1234.5,
            usage={"prompt_tokens": 21, "completion_tokens": 9, "total_tokens": 30},
            attempts=1,
        ),
        artifacts={
            "report.json": "runs/demo/20261128T211500Z/report.json",
            "loss.svg": "runs/demo/20261128T211500Z/loss.svg",
        },
    )


@pytest.fixture
def failed() -> RunReport:
    """A run stopped by validation: its status, errors and the validation summary."""
    errors = [
        LineIssue(line=4, code="too_many_tokens", message="example has 70,000 tokens; the limit is 65,536"),
        LineIssue(line=17, code="too_many_tokens", message="example has 66,000 tokens; the limit is 65,536"),
        LineIssue(line=230, code="too_many_tokens", message="example has 90,000 tokens; the limit is 65,536"),
        LineIssue(line=9, code="no_assistant_message", message="no assistant message"),
    ]
    return base(
        run="broken",
        status="failed",
        validation={
            "training": summary(
                valid=False,
                errors=errors,
                error_count=16,
                estimate={"epochs": 3, "cost_usd": None},
                errors_by_code={"too_many_tokens": 15, "no_assistant_message": 1},
            )
        },
        errors=[ErrorRecord(stage="validating", code="invalid_data", message="training.jsonl has 16 errors")],
    )
