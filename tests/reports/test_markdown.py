"""render_markdown: the run report for people."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tuning.reports import render_markdown


def section(markdown: str, heading: str) -> str:
    """The text of one "## heading" section."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match, f"no section {heading!r} in:\n{markdown}"
    return match.group(1)


def test_succeeded_report_shows_the_key_facts(succeeded: dict[str, Any]) -> None:
    markdown = render_markdown(succeeded)
    assert markdown.splitlines()[0] == "# Run demo — ✅ succeeded"
    assert "## Errors" not in markdown
    assert "| validate | ✅ ok | 2026-11-28T21:15:00Z | 2026-11-28T21:15:01.500000Z | 1.5 s |" in markdown
    assert "| train | ✅ ok |" in markdown and "| 1 h 44 min |" in markdown  # from timestamps
    assert "**Duration:** 2 h 02 min" in markdown
    validation = section(markdown, "Validation")
    assert "### Training file training.jsonl ✅ valid" in validation
    assert "**Examples:** 1,200" in validation and "**Examples:** 120" in validation
    assert "3 epochs, 1,037,034 billed tokens, context limit 65,536 tokens, cost $25.93" in validation
    assert "| total | 345,678 | 12 | 4,096 | 288.1 | 240 | 910 |" in validation
    assert "| training | training.jsonl | file-abc123 | no |" in section(markdown, "Uploaded files")
    assert "**Fine-tuned model:** gpt-4o-2024-08-06.ft-42" in section(markdown, "Fine-tuning job")
    metrics = section(markdown, "Metrics")
    assert "| 450 | 0.1234 | 0.2345 | 0.9512 | 0.9031 |" in metrics
    assert "![Loss](loss.svg)" in metrics
    assert "**Reason:** lowest validation loss 0.2011 at step 300" in section(markdown, "Model choice")
    assert "**Provisioning state:** Succeeded" in section(markdown, "Deployment")
    assert "**Latency:** 1,234 ms" in section(markdown, "Smoke test")


def test_smoke_test_text_is_fenced_verbatim(succeeded: dict[str, Any]) -> None:
    """Model output with its own code fences must not close the report's fence early."""
    smoke = section(render_markdown(succeeded), "Smoke test")
    assert "````text\nLike this:\n```\ncode\n```\n````" in smoke
    assert "```text\nYou are Clippy.\n```" in smoke


def test_failed_report_leads_with_the_errors(failed: dict[str, Any]) -> None:
    markdown = render_markdown(failed)
    assert markdown.splitlines()[0] == "# Run broken — ❌ failed"
    assert markdown.index("## Errors") < markdown.index("## Validation")
    assert markdown.split("\n## ")[1].startswith("Errors")
    assert "- **validate invalid_data:** training.jsonl has 16 errors" in section(markdown, "Errors")
    validation = section(markdown, "Validation")
    assert "❌ invalid" in validation and "cost unknown" in validation
    assert (
        "- too_many_tokens (15): lines 4, 17, 230 (and 12 more) — e.g. example has 70,000 tokens"
        in validation
    )
    assert "- missing_assistant (1): line 9 — e.g. no assistant message" in validation
    for absent in (
        "## Stages",
        "## Fine-tuning job",
        "## Metrics",
        "loss.svg",
        "## Deployment",
        "## Smoke test",
    ):
        assert absent not in markdown


def test_errors_come_before_every_other_section(succeeded: dict[str, Any]) -> None:
    succeeded.update(status="failed", errors=[{"stage": "deploy", "code": "quota", "message": "no capacity"}])
    headings = re.findall(r"^## (.+)$", render_markdown(succeeded), re.M)
    assert headings[:2] == ["Errors", "Run"]


def test_job_error_is_reported_when_the_run_did_not_list_it() -> None:
    markdown = render_markdown(
        {
            "status": "failed",
            "job": {"id": "ftjob-1", "error": {"code": "quota_exceeded", "message": "out of quota"}},
        }
    )
    assert "- **job quota_exceeded:** out of quota" in section(markdown, "Errors")
    assert "quota" not in section(markdown, "Fine-tuning job")


def test_failure_without_details_says_so() -> None:
    assert "_No error details were recorded._" in section(render_markdown({"status": "cancelled"}), "Errors")


@pytest.mark.parametrize(
    "report",
    [
        {},
        {
            "status": None,
            "stages": None,
            "validation": None,
            "job": None,
            "metrics": None,
            "smoke_test": None,
        },
        {
            "stages": [None, "x", {}],
            "validation": {"training": None, "validation": {"errors": None, "tokens": []}},
            "files": {"training": None},
            "metrics": {"steps": 3, "final": None},
            "errors": "oops",
            "smoke_test": {"messages": [{}], "latency_ms": "slow"},
            "artifacts": [],
        },
    ],
)
def test_missing_or_odd_parts_never_raise(report: dict[str, Any]) -> None:
    assert render_markdown(report).startswith("# Run (unnamed) — ")


def test_table_cells_are_escaped() -> None:
    markdown = render_markdown({"stages": [{"name": "a|b\nc <i>", "status": "failed", "seconds": 75}]})
    row = next(line for line in markdown.splitlines() if line.startswith("| a"))
    assert row == r"| a\|b<br>c &lt;i&gt; | ❌ failed | — | — | 1 min 15 s |"
    assert row.replace(r"\|", "").count("|") == 6  # still five cells


def test_messages_cannot_inject_markup_or_break_lines() -> None:
    markdown = render_markdown(
        {
            "status": "failed",
            "errors": [
                {"stage": "deploy", "code": "arm", "message": "bad <script>x</script>\n## not a heading"}
            ],
        }
    )
    assert "<script>" not in markdown
    assert "\n## not a heading" not in markdown


def test_secret_looking_keys_are_dropped(succeeded: dict[str, Any]) -> None:
    succeeded["options"]["api_key"] = "sk-OPTIONS"
    succeeded["options"]["hyperparameters"]["accessToken"] = "TOKEN-HYPER"
    succeeded["deployment"]["key"] = "KEY-DEPLOY"
    succeeded["connection_string"] = "DefaultEndpointsProtocol=https;AccountKey=CONN"
    succeeded["smoke_test"]["usage"]["client_secret"] = "SECRET-USAGE"
    succeeded["errors"] = [{"stage": "x", "code": "y", "message": "m", "password": "PASSWORD-ERR"}]
    succeeded["validation"]["training"]["errors_by_code"] = {"unknown_key": 2}
    markdown = render_markdown(succeeded)
    for secret in ("sk-OPTIONS", "TOKEN-HYPER", "KEY-DEPLOY", "CONN", "SECRET-USAGE", "PASSWORD-ERR"):
        assert secret not in markdown
    assert "unknown_key (2)" in markdown  # error codes are data, not field names
    assert "total_tokens=30" in markdown and "**Trained tokens:** 1,037,034" in markdown  # counts are kept
    assert succeeded["options"]["api_key"] == "sk-OPTIONS"  # the caller's dict is not modified


def test_same_report_same_text(succeeded: dict[str, Any]) -> None:
    assert render_markdown(succeeded) == render_markdown(dict(succeeded))
