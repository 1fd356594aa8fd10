"""render_markdown: the run report people read, from the RunReport model."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import cmarkgfm
import pytest
from cmarkgfm.cmark import Options

from tests.reports.conftest import base
from tuning.reports import render_markdown
from tuning.reports.model import ErrorRecord, RunReport, SmokeRecord, StageRecord


def section(markdown: str, heading: str) -> str:
    """The text of one "## heading" section."""
    match = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", markdown, re.M | re.S)
    assert match, f"no section {heading!r} in:\n{markdown}"
    return match.group(1)


def test_a_succeeded_report_shows_the_key_facts(succeeded: RunReport) -> None:
    markdown = render_markdown(succeeded)
    assert markdown.splitlines()[0] == "# Run demo — ✅ succeeded"
    assert "## Errors" not in markdown
    assert "| validating | ✅ ok | 2026-11-28T21\\:15\\:00Z |" in markdown
    assert "| 1 h 44 min |" in markdown
    assert "**Duration:** 2 h 02 min" in markdown
    validation = section(markdown, "Validation")
    assert "### Training file incoming/demo/training.jsonl ✅ valid" in validation
    assert "**Examples:** 1,200" in validation and "**Examples:** 120" in validation
    assert "**Estimated cost:** $25.93" in validation and "**Billed tokens:** 1,037,034" in validation
    assert "| total | 345,678 | 12 | 4,096 | 288.1 | 240 | 910 |" in validation
    assert "Warnings by rule: duplicate_example (1)" in validation
    assert "| training | a.jsonl | file-abc123 | no |" in section(markdown, "Uploaded files")
    assert "**Fine-tuned model:** gpt-4o-2024-08-06.ft-42" in section(markdown, "Fine-tuning job")
    metrics = section(markdown, "Metrics")
    assert (
        "| 450 | 0.1234 | 0.2345 | 0.2222 | 0.9031 |" in metrics and "![Loss per step](loss.svg)" in metrics
    )
    assert "**Step:** 300" in section(markdown, "Model choice")
    deployment = section(markdown, "Deployment")
    assert (
        "**Provisioning state:** Succeeded" in deployment
        and "**Replaced model:** gpt-4o-2024-08-06.ft-41" in deployment
    )
    assert "**Latency:** 1,234 ms" in section(markdown, "Smoke test")


def test_model_text_is_fenced_verbatim(succeeded: RunReport) -> None:
    """Model output with its own code fences must not close the report's fence early."""
    smoke = section(render_markdown(succeeded), "Smoke test")
    assert "````text\nLike this:\n```\ncode\n```\n````" in smoke
    assert "```text\nYou are Clippy.\n```" in smoke


def test_a_failed_report_leads_with_the_errors(failed: RunReport) -> None:
    markdown = render_markdown(failed)
    assert markdown.splitlines()[0] == "# Run broken — ❌ failed"
    assert markdown.split("\n## ")[1].startswith("Errors")
    assert "- **validating invalid_data:** training.jsonl has 16 errors" in section(markdown, "Errors")
    validation = section(markdown, "Validation")
    assert "❌ invalid" in validation and "**Estimated cost:** unknown" in validation
    assert (
        "- too_many_tokens (15): lines 4, 17, 230 (and 12 more) — e.g. example has 70,000 tokens"
        in validation
    )
    assert "- no_assistant_message (1): lines 9 — e.g. no assistant message" in validation
    for absent in (
        "## Stages",
        "## Fine-tuning job",
        "## Metrics",
        "loss.svg",
        "## Deployment",
        "## Smoke test",
    ):
        assert absent not in markdown


def test_a_minimal_report_renders() -> None:
    markdown = render_markdown(base(status="cancelled"))
    assert markdown.startswith("# Run demo — ⏹️ cancelled") and "## Run" in markdown


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


HOSTILE = (
    "[click](https://evil.example/x) ![pixel](https://evil.example/p.png) <img src=x onerror=alert(1)> "
    "<script>alert(1)</script> https://evil.example www.evil.example boss@evil.example **bold** | pipe\n"
    "new line"
)


@pytest.mark.parametrize("where", ["smoke_messages", "smoke_answer", "error", "stage", "deployment"])
def test_user_and_service_text_never_renders_as_links_images_or_html(
    succeeded: RunReport, where: str
) -> None:
    """Rendered by GitHub's own Markdown engine (cmark-gfm, autolinks on, raw HTML allowed): the
    only links and images in report.md are the ones the report itself makes."""
    report = succeeded.model_copy(deep=True)
    if where == "smoke_messages":
        report.smoke_test = SmokeRecord(
            messages=[{"role": HOSTILE, "content": HOSTILE}],
            answer="ok",
            latency_ms=1,
            usage=None,
            attempts=1,
        )
    elif where == "smoke_answer":
        assert report.smoke_test is not None
        report.smoke_test.answer = HOSTILE
    elif where == "error":
        report.errors = [
            ErrorRecord(stage="deploying", code="service_error", message=HOSTILE, service_code=HOSTILE)
        ]
    elif where == "stage":
        report.stages.append(StageRecord(name=HOSTILE, status="failed", started=HOSTILE))
    else:
        assert report.deployment is not None
        report.deployment.model = HOSTILE
    html = cmarkgfm.github_flavored_markdown_to_html(
        render_markdown(report), options=Options.CMARK_OPT_UNSAFE
    )
    parser = _Tags()
    parser.feed(html)
    assert [attrs.get("href") for tag, attrs in parser.tags if tag == "a"] == []
    assert [attrs.get("src") for tag, attrs in parser.tags if tag == "img"] == ["loss.svg"]
    ours = {
        "h1",
        "h2",
        "h3",
        "p",
        "ul",
        "li",
        "strong",
        "table",
        "thead",
        "tbody",
        "tr",
        "th",
        "td",
        "pre",
        "code",
        "img",
    }
    assert {tag for tag, _ in parser.tags} <= ours


def test_leakage_into_the_validation_file_is_shown(succeeded: RunReport) -> None:
    report = succeeded.model_copy(deep=True)
    leaky = report.validation["validation"].model_copy(update={"overlap": {"examples": 36, "rate": 0.3}})
    report.validation["validation"] = leaky
    validation = section(render_markdown(report), "Validation")
    assert "**Also in the training file:** 36 examples \\(30.0%\\)" in validation
    assert validation.count("Also in the training file") == 1  # the training file itself has none
