"""report.md: the run report people read, rendered from the RunReport model.

Status and errors come first, then every stage the run reached. Parts the run did not reach are
empty in the model and render as nothing. Every piece of user or service text goes through
`md_text` or `fenced`, so a prompt, an answer or an error message cannot become a link, an image
or markup in the rendered page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from tuning.evaluation import render_evaluation_markdown
from tuning.payloads import ValidationSummary
from tuning.reports.model import RunReport, StageRecord
from tuning.reports.text import fenced, md_text

__all__ = ["render_markdown"]

MARKS = {"succeeded": "✅", "ok": "✅", "failed": "❌", "cancelled": "⏹️", "rejected": "🚫", "running": "⏳"}


def render_markdown(report: RunReport) -> str:
    sections = (
        _title(report),
        _errors(report),
        _warnings(report),
        _run(report),
        _stages(report),
        _late_files(report),
        _validation(report),
        _options(report),
        _files(report),
        _job(report),
        _metrics(report),
        _model_choice(report),
        _evaluation(report),
        _deployment(report),
        _smoke_test(report),
        _cleanup(report),
        _artifacts(report),
    )
    return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


# -- building blocks ---------------------------------------------------------------------------


def _value(value: object) -> str:
    """Any value inline: numbers with separators, text escaped, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, dict):
        return ", ".join(f"{md_text(key)}={_value(item)}" for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(_value(item) for item in value)
    return md_text(value)


def _table(header: Sequence[str], rows: Iterable[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_value(cell) or "—" for cell in row) + " |" for row in rows]
    return lines


def _bullets(pairs: Iterable[tuple[str, object]]) -> list[str]:
    return [f"- **{label}:** {_value(value)}" for label, value in pairs if value not in (None, "", [], {})]


def _section(heading: str, *blocks: list[str]) -> list[str]:
    lines: list[str] = []
    for block in blocks:
        if block:
            lines += [*([""] if lines else []), *block]
    return [f"## {heading}", "", *lines] if lines else []


def _mark(status: str) -> str:
    return f"{MARKS.get(status, '❔')} {md_text(status)}"


def _duration(seconds: float | None) -> str:
    """1.5 s, 2 min 05 s, 1 h 02 min: a stage takes seconds, a training job hours."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def _seconds_between(started: str | None, finished: str | None) -> float | None:
    if not started or not finished:
        return None
    return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()


# -- sections ----------------------------------------------------------------------------------


def _title(report: RunReport) -> list[str]:
    return [f"# Run {md_text(report.run)} — {_mark(report.status)}"]


def _errors(report: RunReport) -> list[str]:
    lines = []
    for error in report.errors:
        service = f" (Azure: {md_text(error.service_code)})" if error.service_code else ""
        lines.append(f"- **{md_text(error.stage)} {md_text(error.code)}:** {md_text(error.message)}{service}")
    return _section("Errors", lines)


def _warnings(report: RunReport) -> list[str]:
    return _section("Warnings", [f"- {md_text(warning)}" for warning in report.warnings])


def _run(report: RunReport) -> list[str]:
    return _section(
        "Run",
        _bullets(
            [
                ("Instance", report.instance_id),
                ("Attempt", report.attempt),
                ("Started by", report.source),
                ("Started", report.started),
                ("Finished", report.finished),
                ("Duration", _duration(_seconds_between(report.started, report.finished)) or None),
            ]
        ),
    )


def _stage_row(stage: StageRecord) -> tuple[object, ...]:
    return (stage.name, _mark(stage.status), stage.started, stage.finished, _duration(stage.seconds))


def _stages(report: RunReport) -> list[str]:
    rows = [_stage_row(stage) for stage in report.stages]
    return _section(
        "Stages", _table(("Stage", "Status", "Started", "Finished", "Duration"), rows) if rows else []
    )


def _late_files(report: RunReport) -> list[str]:
    lines = [
        f"- {md_text(late.path)} ({late.change} after this attempt pinned its inputs; not used by it)"
        for late in report.late_files
    ]
    if lines:
        lines += [
            "",
            "A new attempt uses them: `POST /api/runs` with this run's name, or upload the files again.",
        ]
    return _section("Files that arrived during the run", lines)


def _validation(report: RunReport) -> list[str]:
    return _section("Validation", *(_validation_file(summary) for summary in report.validation.values()))


def _validation_file(summary: ValidationSummary) -> list[str]:
    """One file: verdict, counts, the estimate, token statistics, errors by code, lengths chart."""
    verdict = "✅ valid" if summary.valid else "❌ invalid"
    estimate = summary.estimate
    cost = estimate.get("cost_usd")
    facts = _bullets(
        [
            ("Examples", summary.examples),
            ("Format", summary.format),
            ("Model", f"{summary.model} ({summary.encoding})"),
            ("Epochs", estimate.get("epochs")),
            ("Billed tokens", estimate.get("billed_tokens")),
            ("Estimated cost", f"${cost:,.2f}" if isinstance(cost, (int, float)) else "unknown"),
            ("Errors", summary.error_count),
            ("Warnings", summary.warning_count),
            ("Also in the training file", _overlap(summary)),
        ]
    )
    columns = ("sum", "min", "max", "mean", "median", "p95")
    rows = [
        (name, *(stats.get(column) for column in columns))
        for name, stats in summary.tokens.items()
        if isinstance(stats, dict)
    ]
    tokens = _table(("Tokens", "Sum", "Min", "Max", "Mean", "Median", "P95"), rows) if rows else []
    chart = [f"![Example lengths in tokens](lengths-{summary.kind}.svg)"] if summary.chart_blob else []
    return [
        f"### {md_text(summary.kind.capitalize())} file {md_text(summary.file)} {verdict}",
        "",
        *facts,
        *(["", *tokens] if tokens else []),
        *(["", *_issue_lines(summary)] if summary.errors_by_code else []),
        *(["", *_warning_lines(summary)] if summary.warnings_by_code else []),
        *(["", *chart] if chart else []),
    ]


def _overlap(summary: ValidationSummary) -> str | None:
    """Leakage: validation or eval examples the model also trains on (they then measure memory)."""
    examples = (summary.overlap or {}).get("examples")
    rate = (summary.overlap or {}).get("rate")
    if examples is None or rate is None:
        return None
    return f"{int(examples):,} examples ({rate:.1%})"


def _issue_lines(summary: ValidationSummary) -> list[str]:
    """One line per error code: its count and the first lines it was found on."""
    lines = ["Errors by rule:"]
    for code, count in summary.errors_by_code.items():
        samples = [issue for issue in summary.errors if issue.code == code]
        where = ", ".join(str(issue.line) for issue in samples if issue.line is not None)
        more = f" (and {count - len(samples):,} more)" if count > len(samples) else ""
        example = f" — e.g. {md_text(samples[0].message)}" if samples else ""
        lines.append(f"- {md_text(code)} ({count:,}){': lines ' + where if where else ''}{more}{example}")
    return lines


def _warning_lines(summary: ValidationSummary) -> list[str]:
    counts = ", ".join(f"{md_text(code)} ({count:,})" for code, count in summary.warnings_by_code.items())
    return [f"Warnings by rule: {counts}"]


def _options(report: RunReport) -> list[str]:
    if report.options is None:
        return []
    return _section("Options", _bullets(report.options.model_dump().items()))


def _files(report: RunReport) -> list[str]:
    rows = [(kind, f.filename, f.id, f.reused) for kind, f in report.files.items()]
    return _section("Uploaded files", _table(("File", "Name", "ID", "Reused"), rows) if rows else [])


def _job(report: RunReport) -> list[str]:
    job = report.job
    if job is None:
        return []
    facts = _bullets(
        [
            ("ID", job.id),
            ("Status", job.status),
            ("Reused", job.reused),
            ("Base model", job.model),
            ("Fine-tuned model", job.fine_tuned_model),
            ("Trained tokens", job.trained_tokens),
        ]
    )
    controls = _table(
        ("Action", "At", "Job status", "By"), [(c.action, c.at, c.status, c.by) for c in job.controls]
    )
    return _section("Fine-tuning job", facts, controls if job.controls else [])


def _metrics(report: RunReport) -> list[str]:
    metrics = report.metrics
    if metrics is None:
        return []
    final = metrics.final
    table = []
    if final:
        header = (
            "Final step",
            "Train loss",
            "Validation loss",
            "Full validation loss",
            "Validation accuracy",
        )
        row = (
            final.step,
            final.train_loss,
            final.valid_loss,
            final.full_valid_loss,
            final.valid_mean_token_accuracy,
        )
        table = _table(header, [row])
    return _section("Metrics", _bullets([("Steps", metrics.steps)]), table, ["![Loss per step](loss.svg)"])


def _model_choice(report: RunReport) -> list[str]:
    choice = report.model_choice
    if choice is None:
        return []
    return _section(
        "Model choice",
        _bullets(
            [
                ("Strategy", choice.strategy),
                ("Model", choice.model),
                ("Step", choice.step),
                ("Why", choice.reason),
            ]
        ),
    )


def _evaluation(report: RunReport) -> list[str]:
    """The quality gate's section, as the evaluation library renders it (its chart beside it)."""
    if report.evaluation is None:
        return []
    return (
        render_evaluation_markdown(report.evaluation, chart="evaluation/evaluation.svg").rstrip().splitlines()
    )


def _deployment(report: RunReport) -> list[str]:
    deployment = report.deployment
    if deployment is None:
        return []
    return _section(
        "Deployment",
        _bullets(
            [
                ("Name", deployment.name),
                ("Model", deployment.model),
                ("SKU", f"{deployment.sku} × {deployment.capacity}"),
                ("Provisioning state", deployment.provisioning_state),
                ("Replaced model", deployment.replaced_model),
                ("Removed when the run ended", deployment.removed or None),
                ("Model restored", deployment.restored_model),
            ]
        ),
    )


def _smoke_test(report: RunReport) -> list[str]:
    smoke = report.smoke_test
    if smoke is None:
        return []
    messages = [
        [f"**{md_text(m.get('role', 'message'))}:**", "", *fenced(m.get("content"))] for m in smoke.messages
    ]
    answer = ["**Answer:**", "", *fenced(smoke.answer)]
    facts = _bullets(
        [
            ("Latency", f"{smoke.latency_ms:,.0f} ms" if smoke.latency_ms is not None else None),
            ("Usage", smoke.usage),
            ("Attempts", smoke.attempts),
        ]
    )
    return _section("Smoke test", *messages, answer, facts)


def _cleanup(report: RunReport) -> list[str]:
    return _section("Clean-up", [f"- {md_text(item)}" for item in report.cleanup])


def _artifacts(report: RunReport) -> list[str]:
    return _section(
        "Artifacts", [f"- **{md_text(name)}:** {md_text(path)}" for name, path in report.artifacts.items()]
    )
