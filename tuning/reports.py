"""Run report renderers: the Markdown summary people read and the SVG loss curve.

Step 10 of the pipeline writes report.json, report.md and loss.svg for every run, failed,
cancelled and rejected ones included, so everything here renders whatever part of the report
exists and never raises on a missing or oddly typed one. Only the standard library is used: the
Functions host should not need a plotting stack to draw two lines.
"""

from __future__ import annotations

import csv
import html
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

__all__ = ["StepMetric", "parse_step_metrics", "render_loss_svg", "render_markdown"]


# ----------------------------------------------------------------------------- result file


@dataclass(frozen=True, slots=True)
class StepMetric:
    """One row of the fine-tuning result file; None where the service did not measure at that step."""

    step: int
    train_loss: float | None
    train_mean_token_accuracy: float | None
    valid_loss: float | None
    valid_mean_token_accuracy: float | None


_VALUE_COLUMNS = ("train_loss", "train_mean_token_accuracy", "valid_loss", "valid_mean_token_accuracy")


def parse_step_metrics(csv_text: str) -> list[StepMetric]:
    """Parse Azure OpenAI's result CSV, keeping the known columns and ignoring the others.

    Azure adds columns over time (full_valid_loss, ...), so columns are found by header name, not
    position. Blank lines, CRLF and a byte-order mark are tolerated because downloads differ; a
    malformed row raises ValueError naming its line so a broken file is not silently half-plotted.
    """
    lines = [
        (number, line)
        for number, line in enumerate(csv_text.lstrip("\ufeff").splitlines(), start=1)
        if line.strip()
    ]
    if not lines:
        return []
    header_number, header = lines[0]
    columns = _cells(header)
    if "step" not in columns:
        raise ValueError(f"line {header_number}: the header has no 'step' column: {header!r}")
    return [_step_metric(columns, number, line) for number, line in lines[1:]]


def _cells(line: str) -> list[str]:
    """Split one CSV line with the csv module, so a quoted cell is still read correctly."""
    return [cell.strip() for cell in next(csv.reader([line]))]


def _step_metric(columns: list[str], number: int, line: str) -> StepMetric:
    """Build one StepMetric, wrapping any cell error with the line number and text."""
    cells = _cells(line)
    if len(cells) != len(columns):
        raise ValueError(f"line {number}: expected {len(columns)} cells, found {len(cells)}: {line!r}")
    row = dict(zip(columns, cells))
    try:
        return StepMetric(
            _step(row["step"]), *(_optional_float(name, row.get(name, "")) for name in _VALUE_COLUMNS)
        )
    except ValueError as error:
        raise ValueError(f"line {number}: {error}: {line!r}") from None


def _step(cell: str) -> int:
    """The step number is the x axis, so unlike the values it may not be empty."""
    try:
        return int(cell)
    except ValueError:
        raise ValueError(f"step is not an integer: {cell!r}") from None


def _optional_float(name: str, cell: str) -> float | None:
    """An empty cell means "not measured at this step" (validation runs only every few steps)."""
    if not cell:
        return None
    try:
        return float(cell)
    except ValueError:
        raise ValueError(f"{name} is not a number: {cell!r}") from None


# ----------------------------------------------------------------------------- SVG loss curve

_WIDTH, _HEIGHT = 640, 360
_LEFT, _RIGHT, _TOP, _BOTTOM = 72, 24, 48, 52
_SERIES = (("train_loss", "Training loss", "#1f77b4"), ("valid_loss", "Validation loss", "#d62728"))
_FONT = 'font-family="sans-serif"'
_MAX_DOTS = 60  # beyond this many points, dots merge into a thick line and only add bytes


@dataclass(frozen=True, slots=True)
class _Axis:
    """Maps data values in [low, high] onto pixels in [start, end], with round tick values."""

    ticks: tuple[float, ...]
    start: float
    end: float

    def __call__(self, value: float) -> float:
        low, high = self.ticks[0], self.ticks[-1]
        return self.start + (value - low) / (high - low) * (self.end - self.start)

    def label(self, value: float) -> str:
        """Enough decimals to tell neighbouring ticks apart, and no more."""
        step = self.ticks[1] - self.ticks[0]
        decimals = max(0, -math.floor(math.log10(step)))
        return f"{round(value, decimals) + 0.0:.{decimals}f}"


def render_loss_svg(steps: Sequence[StepMetric], title: str = "Loss per step") -> str:
    """A standalone SVG line chart of training and validation loss per step.

    Hand-written rather than plotted so the Functions app needs no plotting library, and the output
    is byte-for-byte deterministic (coordinates are rounded, nothing depends on time or fonts).
    Validation loss is drawn only at the steps where the service measured it.
    """
    series = [(label, colour, _points(steps, attribute)) for attribute, label, colour in _SERIES]
    values = [value for _, _, points in series for _, value in points]
    if not values:
        return _svg_document(title, _placeholder("no metrics"))
    step_numbers = [step for _, _, points in series for step, _ in points]
    x = _Axis(_ticks(min(step_numbers), max(step_numbers), integer=True), _LEFT, _WIDTH - _RIGHT)
    y = _Axis(_ticks(min(values), max(values), integer=False), _HEIGHT - _BOTTOM, _TOP)
    body = _axes(x, y)
    for label, colour, points in series:
        body += _polyline(label, colour, points, x, y)
    body += _legend([(label, colour) for label, colour, points in series if points])
    return _svg_document(title, body)


def _points(steps: Sequence[StepMetric], attribute: str) -> list[tuple[int, float]]:
    """(step, value) pairs where the value was measured and is finite, in step order."""
    pairs = ((metric.step, getattr(metric, attribute)) for metric in steps)
    return sorted((step, value) for step, value in pairs if value is not None and math.isfinite(value))


def _ticks(low: float, high: float, *, integer: bool) -> tuple[float, ...]:
    """About five round values (1, 2 or 5 times a power of ten) spanning [low, high].

    Round ticks make the labels readable (0.5, 1.0, 1.5 rather than 0.4873, ...); the axis then
    spans exactly the first to the last tick. A single value is padded so the span is never zero.
    """
    if high <= low:
        pad = 1.0 if integer else abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next((factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= raw), 10 * magnitude)
    if integer:
        step = max(1.0, float(round(step)))
    first, last = (
        math.floor(low / step + 1e-9),
        math.ceil(high / step - 1e-9),
    )  # 1.1 / 0.1 is 11.000000000000002
    return tuple(index * step for index in range(first, last + 1))


def _axes(x: _Axis, y: _Axis) -> list[str]:
    """Horizontal grid lines, both axes with tick labels, and the axis titles."""
    parts = []
    for value in y.ticks:
        top = _coordinate(y(value))
        parts.append(f'<line x1="{x.start}" y1="{top}" x2="{x.end}" y2="{top}" stroke="#e5e5e5"/>')
        parts.append(
            f'<text x="{x.start - 6}" y="{top}" {_FONT} font-size="11" text-anchor="end" '
            f'dominant-baseline="middle">{y.label(value)}</text>'
        )
    for value in x.ticks:
        left = _coordinate(x(value))
        parts.append(f'<line x1="{left}" y1="{y.start}" x2="{left}" y2="{y.start + 5}" stroke="#333333"/>')
        parts.append(
            f'<text x="{left}" y="{y.start + 18}" {_FONT} font-size="11" '
            f'text-anchor="middle">{x.label(value)}</text>'
        )
    parts.append(
        f'<polyline points="{x.start},{y.end} {x.start},{y.start} {x.end},{y.start}" '
        f'fill="none" stroke="#333333"/>'
    )
    parts.append(
        f'<text x="{(x.start + x.end) / 2}" y="{_HEIGHT - 12}" {_FONT} font-size="12" '
        f'text-anchor="middle">Step</text>'
    )
    middle = (y.start + y.end) / 2
    parts.append(
        f'<text x="18" y="{middle}" {_FONT} font-size="12" text-anchor="middle" '
        f'transform="rotate(-90 18 {middle})">Loss</text>'
    )
    return parts


def _polyline(label: str, colour: str, points: list[tuple[int, float]], x: _Axis, y: _Axis) -> list[str]:
    """One series as a polyline, plus a dot per point when sparse (validation, short runs).

    A polyline through a single point draws nothing, so the dots keep a lone measurement visible.
    """
    if not points:
        return []
    pixels = [(_coordinate(x(step)), _coordinate(y(value))) for step, value in points]
    series = _escape(label)
    parts = [
        f'<polyline data-series="{series}" points="{" ".join(f"{a},{b}" for a, b in pixels)}" '
        f'fill="none" stroke="{colour}" stroke-width="1.5" stroke-linejoin="round"/>'
    ]
    if len(pixels) <= _MAX_DOTS:
        parts += [
            f'<circle data-series="{series}" cx="{a}" cy="{b}" r="2.5" fill="{colour}"/>' for a, b in pixels
        ]
    return parts


def _legend(entries: list[tuple[str, str]]) -> list[str]:
    """Top-right legend with a line swatch per drawn series."""
    parts = []
    for index, (label, colour) in enumerate(entries):
        top = _TOP + 12 + index * 18
        left = _WIDTH - _RIGHT - 130
        parts.append(
            f'<line x1="{left}" y1="{top}" x2="{left + 20}" y2="{top}" stroke="{colour}" stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{left + 26}" y="{top}" {_FONT} font-size="11" '
            f'dominant-baseline="middle">{_escape(label)}</text>'
        )
    return parts


def _placeholder(message: str) -> list[str]:
    """An empty frame with a message, so the report's image link never points at nothing."""
    return [
        f'<rect x="{_LEFT}" y="{_TOP}" width="{_WIDTH - _LEFT - _RIGHT}" height="{_HEIGHT - _TOP - _BOTTOM}" '
        f'fill="none" stroke="#cccccc"/>',
        f'<text x="{_WIDTH / 2}" y="{_HEIGHT / 2}" {_FONT} font-size="14" fill="#666666" '
        f'text-anchor="middle">{_escape(message)}</text>',
    ]


def _svg_document(title: str, body: list[str]) -> str:
    """Wrap the body with the root element, an accessible title and the visible heading."""
    escaped = _escape(title)
    return "\n".join(
        [
            '<?xml version="1.0" encoding="UTF-8"?>',
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
            f'viewBox="0 0 {_WIDTH} {_HEIGHT}" role="img">',
            f"<title>{escaped}</title>",
            f'<rect width="{_WIDTH}" height="{_HEIGHT}" fill="#ffffff"/>',
            f'<text x="{_WIDTH / 2}" y="28" {_FONT} font-size="16" text-anchor="middle">{escaped}</text>',
            *body,
            "</svg>",
            "",
        ]
    )


def _coordinate(value: float) -> str:
    """Two decimals: sub-pixel precision without float noise in the output bytes."""
    return f"{value:.2f}"


def _escape(text: str) -> str:
    """XML-escape text and attribute values (quotes included)."""
    return html.escape(str(text), quote=True)


# ----------------------------------------------------------------------------- Markdown report

_MARKS = {
    "succeeded": "✅",
    "ok": "✅",
    "failed": "❌",
    "cancelled": "⏹️",
    "rejected": "🚫",
    "skipped": "⏭️",
}
_LABELS = {"id": "ID", "sku": "SKU", "fine_tuned_model": "Fine-tuned model", "cost_usd": "Cost (USD)"}
_SECRET_WORDS = frozenset(
    {"key", "token", "secret", "password", "passwd", "pwd", "credential", "credentials"}
)
_SECRET_PHRASES = ("apikey", "connectionstring", "secret", "password")
# Mappings whose keys are data (error codes, artifact file names), not field names: an error code
# such as "unknown_key" must stay visible.
_DATA_KEYED = frozenset({"errors_by_code", "artifacts"})


def render_markdown(report: Mapping[str, Any]) -> str:
    """The report for people: status and errors first, then every stage's detail that exists.

    Every part of the report may be missing (a run rejected at validation has no job, a cancelled
    one may have nothing but its stages), so each section renders only what is there.
    """
    clean = _without_secrets(report) if isinstance(report, Mapping) else {}
    sections = (
        _title,
        _errors,
        _run,
        _stages,
        _validation,
        _options,
        _files,
        _job,
        _metrics,
        _model_choice,
        _deployment,
        _smoke_test,
        _artifacts,
    )
    return "\n\n".join("\n".join(lines) for lines in (section(clean) for section in sections) if lines) + "\n"


def _is_secret_key(name: str) -> bool:
    """Whether a key is named like a credential (api_key, sasToken, connection_string, ...).

    The plural "tokens" is this report's word for token counts (tokens, trained_tokens), so only a
    name ending in the singular word counts.
    """
    words = re.findall(r"[a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower())
    joined = "".join(words)
    return (bool(words) and words[-1] in _SECRET_WORDS) or any(phrase in joined for phrase in _SECRET_PHRASES)


def _without_secrets(value: Any, keys_are_data: bool = False) -> Any:
    """A copy without secret-looking keys, at any depth.

    report.json should never hold a secret, but it is assembled from user-supplied run options and
    service responses, and report.md is shared far more widely than the function's settings; this
    is the last line of defence, so it is applied before anything is rendered.
    """
    if isinstance(value, Mapping):
        return {
            key: _without_secrets(item, str(key) in _DATA_KEYED)
            for key, item in value.items()
            if keys_are_data or not _is_secret_key(str(key))
        }
    if isinstance(value, (list, tuple)):
        return [_without_secrets(item) for item in value]
    return value


def _mapping(value: Any) -> Mapping[str, Any]:
    """The value if it is a mapping, else empty: missing and null parts render as nothing."""
    return value if isinstance(value, Mapping) else {}


def _records(value: Any) -> list[Mapping[str, Any]]:
    """The mappings in a list, skipping anything else, for the same reason as _mapping."""
    return [item for item in value if isinstance(item, Mapping)] if isinstance(value, list) else []


def _fmt(value: Any, newline: str = " ") -> str:
    """Inline Markdown for any report value; "" for a missing one.

    HTML-significant characters and pipes are escaped and newlines replaced, so a service error
    message can neither inject markup nor break a table row.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{_fmt(key)}={_fmt(item)}" for key, item in value.items())
    if isinstance(value, list):
        return ", ".join(_fmt(item) for item in value)
    text = html.escape(str(value), quote=False).replace("|", r"\|")
    return re.sub(r"\r\n|\r|\n", newline, text)


def _number(value: float) -> str:
    """Four significant digits for small values (losses), thousands separators for large ones."""
    if not math.isfinite(value) or abs(value) < 1000:
        return f"{value:.4g}"
    return f"{value:,.0f}"


def _cell(value: Any) -> str:
    """A table cell: line breaks kept as <br>, and a dash rather than an empty cell."""
    return _fmt(value, newline="<br>") or "—"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    """A GitHub-flavoured Markdown table with every cell escaped."""
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
        *("| " + " | ".join(_cell(value) for value in row) + " |" for row in rows),
    ]


def _bullets(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """A "- **Label:** text" list of already formatted values, skipping the empty ones."""
    return [f"- **{label}:** {text}" for label, text in pairs if text]


def _field_bullets(record: Mapping[str, Any], skip: Iterable[str] = ()) -> list[str]:
    """Bullets for every field of a record, so fields added to report.json later still show."""
    return _bullets((_label(key), _fmt(value)) for key, value in record.items() if key not in skip)


def _label(key: Any) -> str:
    """A field name as a human label: "base_model" -> "Base model"."""
    return _LABELS.get(str(key), str(key).replace("_", " ").capitalize())


def _blocks(*blocks: list[str]) -> list[str]:
    """The non-empty blocks separated by blank lines, as Markdown needs around tables and fences."""
    lines: list[str] = []
    for block in blocks:
        if block:
            lines += [*([""] if lines else []), *block]
    return lines


def _section(heading: str, lines: list[str]) -> list[str]:
    """A "## heading" section, or nothing when it has no lines."""
    return [f"## {heading}", "", *lines] if lines else []


def _mark(status: Any) -> str:
    """A status with its symbol, so success or failure is visible at a glance."""
    return f"{_MARKS.get(str(status), '❔')} {_fmt(status) or 'unknown'}"


def _title(report: Mapping[str, Any]) -> list[str]:
    return [f"# Run {_fmt(report.get('run')) or '(unnamed)'} — {_mark(report.get('status'))}"]


def _errors(report: Mapping[str, Any]) -> list[str]:
    """Right under the title, so a failed run says why before anything else.

    The job's own error is added unless the run's error list already carries it.
    """
    errors = list(_records(report.get("errors")))
    job_error = _mapping(_mapping(report.get("job")).get("error"))
    known = {(error.get("code"), error.get("message")) for error in errors}
    if job_error and (job_error.get("code"), job_error.get("message")) not in known:
        errors.append({"stage": "job", **job_error})
    lines = [_error_line(error) for error in errors]
    if not lines and report.get("status") not in (None, "succeeded"):
        lines = ["_No error details were recorded._"]
    return _section("Errors", lines)


def _error_line(error: Mapping[str, Any]) -> str:
    where = " ".join(part for part in (_fmt(error.get("stage")), _fmt(error.get("code"))) if part)
    return f"- **{where or 'error'}:** {_fmt(error.get('message')) or '(no message)'}"


def _run(report: Mapping[str, Any]) -> list[str]:
    duration = _seconds_between(report.get("started"), report.get("finished"))
    return _section(
        "Run",
        _bullets(
            [
                ("Instance", _fmt(report.get("instance_id"))),
                ("Attempt", _fmt(report.get("attempt"))),
                ("Started", _fmt(report.get("started"))),
                ("Finished", _fmt(report.get("finished"))),
                ("Duration", _duration(duration)),
            ]
        ),
    )


def _stages(report: Mapping[str, Any]) -> list[str]:
    rows = [
        (
            stage.get("name"),
            _mark(stage.get("status")),
            stage.get("started"),
            stage.get("finished"),
            _duration(_stage_seconds(stage)),
        )
        for stage in _records(report.get("stages"))
    ]
    return _section(
        "Stages", _table(("Stage", "Status", "Started", "Finished", "Duration"), rows) if rows else []
    )


def _stage_seconds(stage: Mapping[str, Any]) -> float | None:
    """The recorded duration, else the one between the stage's timestamps."""
    seconds = stage.get("seconds")
    if isinstance(seconds, (int, float)) and not isinstance(seconds, bool):
        return float(seconds)
    return _seconds_between(stage.get("started"), stage.get("finished"))


def _seconds_between(started: Any, finished: Any) -> float | None:
    """Seconds between two ISO timestamps, or None when either is missing or unreadable."""
    try:
        return (datetime.fromisoformat(finished) - datetime.fromisoformat(started)).total_seconds()
    except (TypeError, ValueError):
        return None


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


def _validation(report: Mapping[str, Any]) -> list[str]:
    validation = _mapping(report.get("validation"))
    summaries = ((role, _mapping(validation.get(role))) for role in ("training", "validation"))
    return _section(
        "Validation", _blocks(*(_validation_summary(role, found) for role, found in summaries if found))
    )


def _validation_summary(role: str, summary: Mapping[str, Any]) -> list[str]:
    """One file's summary: verdict, counts, token statistics, estimate and errors by code."""
    valid = summary.get("valid")
    verdict = "" if valid is None else f"{_MARKS['ok']} valid" if valid else f"{_MARKS['failed']} invalid"
    heading = " ".join(
        part for part in (f"### {role.capitalize()} file", _fmt(summary.get("file")), verdict) if part
    )
    facts = _bullets(
        [
            ("Examples", _fmt(summary.get("examples"))),
            ("Format", _fmt(summary.get("format"))),
            ("Model", _fmt(summary.get("model"))),
            ("Encoding", _fmt(summary.get("encoding"))),
            ("Estimate", _estimate(_mapping(summary.get("estimate")))),
            ("Errors", _fmt(summary.get("error_count"))),
            ("Warnings", _fmt(summary.get("warning_count"))),
        ]
    )
    groups = _error_groups(summary)
    return _blocks([heading], facts, _token_table(summary), ["Errors by code:"] if groups else [], groups)


def _token_table(summary: Mapping[str, Any]) -> list[str]:
    """Token statistics per kind (all tokens, assistant tokens): what training is billed on."""
    tokens = [
        (name, stats) for name, stats in _mapping(summary.get("tokens")).items() if isinstance(stats, Mapping)
    ]
    columns = ("sum", "min", "max", "mean", "median", "p95")
    rows = [(name, *(stats.get(column) for column in columns)) for name, stats in tokens]
    return _table(("Tokens", "Sum", "Min", "Max", "Mean", "Median", "P95"), rows) if rows else []


def _estimate(estimate: Mapping[str, Any]) -> str:
    """Epochs, billed tokens, context limit and cost in one line; the cost may be unknown."""
    if not estimate:
        return ""
    templates = (
        ("epochs", "{} epochs"),
        ("billed_tokens", "{} billed tokens"),
        ("context_limit", "context limit {} tokens"),
    )
    parts = [
        template.format(_fmt(estimate[key])) for key, template in templates if estimate.get(key) is not None
    ]
    return ", ".join([*parts, _cost(estimate.get("cost_usd"))])


def _cost(cost: Any) -> str:
    if isinstance(cost, (int, float)) and not isinstance(cost, bool):
        return f"cost ${cost:,.2f}"
    return "cost unknown"


def _error_groups(summary: Mapping[str, Any]) -> list[str]:
    """One line per error code: its count, the sample lines, and how many more there are.

    The summary lists only the first few errors but counts them all by code, so the lines shown
    come from the sample and the rest is reported as "(and N more)".
    """
    samples: dict[str, list[Mapping[str, Any]]] = {}
    for error in _records(summary.get("errors")):
        samples.setdefault(str(error.get("code") or "error"), []).append(error)
    counts = {str(code): count for code, count in _mapping(summary.get("errors_by_code")).items()}
    codes = [*counts, *(code for code in samples if code not in counts)]
    return [_error_group(code, samples.get(code, []), counts.get(code)) for code in codes]


def _error_group(code: str, samples: list[Mapping[str, Any]], count: Any) -> str:
    lines = [sample.get("line") for sample in samples if sample.get("line") is not None]
    total = count if isinstance(count, int) and count >= len(samples) else len(samples)
    text = f"- {_fmt(code)} ({_fmt(total)})"
    if lines:
        text += f": line{'s' if len(lines) > 1 else ''} {', '.join(_fmt(line) for line in lines)}"
        if total > len(lines):
            text += f" (and {_fmt(total - len(lines))} more)"
    message = next((_fmt(sample.get("message")) for sample in samples if sample.get("message")), "")
    return f"{text} — e.g. {message}" if message else text


def _options(report: Mapping[str, Any]) -> list[str]:
    return _section("Options", _field_bullets(_mapping(report.get("options"))))


def _files(report: Mapping[str, Any]) -> list[str]:
    files = [
        (role, record)
        for role, record in _mapping(report.get("files")).items()
        if isinstance(record, Mapping)
    ]
    rows = [(role, record.get("filename"), record.get("id"), record.get("reused")) for role, record in files]
    return _section("Uploaded files", _table(("File", "Name", "ID", "Reused"), rows) if rows else [])


def _job(report: Mapping[str, Any]) -> list[str]:
    return _section("Fine-tuning job", _field_bullets(_mapping(report.get("job")), skip=("error",)))


def _metrics(report: Mapping[str, Any]) -> list[str]:
    """The final step's losses and accuracies, and the loss curve written next to this file."""
    metrics = _mapping(report.get("metrics"))
    final = _mapping(metrics.get("final"))
    if not metrics.get("steps") and not final:
        return []
    columns = ("step", "train_loss", "valid_loss", "train_mean_token_accuracy", "valid_mean_token_accuracy")
    header = (
        "Final step",
        "Train loss",
        "Validation loss",
        "Train token accuracy",
        "Validation token accuracy",
    )
    table = _table(header, [[final.get(column) for column in columns]]) if final else []
    return _section(
        "Metrics", _blocks(_bullets([("Steps", _fmt(metrics.get("steps")))]), table, ["![Loss](loss.svg)"])
    )


def _model_choice(report: Mapping[str, Any]) -> list[str]:
    return _section("Model choice", _field_bullets(_mapping(report.get("model_choice"))))


def _deployment(report: Mapping[str, Any]) -> list[str]:
    return _section("Deployment", _field_bullets(_mapping(report.get("deployment"))))


def _smoke_test(report: Mapping[str, Any]) -> list[str]:
    """The prompt and the answer verbatim in fenced blocks, then latency and usage."""
    smoke = _mapping(report.get("smoke_test"))
    messages = [
        _quoted(_fmt(message.get("role")) or "message", message.get("content"))
        for message in _records(smoke.get("messages"))
    ]
    answer = _quoted("Answer", smoke.get("answer")) if smoke.get("answer") is not None else []
    latency = smoke.get("latency_ms")
    facts = _bullets(
        [
            ("Latency", f"{latency:,.0f} ms" if isinstance(latency, (int, float)) else _fmt(latency)),
            ("Usage", _fmt(smoke.get("usage"))),
            ("Attempts", _fmt(smoke.get("attempts"))),
        ]
    )
    return _section("Smoke test", _blocks(*messages, answer, facts))


def _quoted(label: str, text: Any) -> list[str]:
    """A bold label over the text verbatim in a fenced block."""
    return [f"**{label}:**", "", *_fenced(text)]


def _fenced(text: Any) -> list[str]:
    """A fenced block longer than any backtick run inside, so model output cannot close it early."""
    body = "" if text is None else str(text)
    runs = [len(run) for run in re.findall(r"`{3,}", body)]
    fence = "`" * max([3, *(length + 1 for length in runs)])
    return [f"{fence}text", body, fence]


def _artifacts(report: Mapping[str, Any]) -> list[str]:
    artifacts = _mapping(report.get("artifacts"))
    return _section("Artifacts", _bullets((_fmt(name), _fmt(path)) for name, path in artifacts.items()))
