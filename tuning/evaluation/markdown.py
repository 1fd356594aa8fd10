"""The "Evaluation" section of report.md: the decision first, then a table per grader, the tokens
spent, and the examples the promoted (or best) candidate lost most against the baseline.

Prompts, references and answers are written by users and models, so they never reach the
Markdown as Markdown: each sits in a fenced code block whose fence is longer than any backtick
run inside it, where nothing (link, image, HTML) is interpreted. Shorter values that appear in
running text (labels, names, the decision's reason) are escaped instead: HTML-significant
characters become entities, the Markdown punctuation that opens emphasis, code, links, images
and table cells is backslash-escaped, and the sequences that GitHub turns into links by
themselves (`://`, `www.`, `@`) get a zero-width space.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from tuning.evaluation.report import EvaluationReport, ExampleContrast, ModelInfo
from tuning.evaluation.statistics import GraderSummary, Interval

__all__ = ["render_evaluation_markdown"]

_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")
_AUTOLINK_TRIGGERS = re.compile(r"(://|www\.|@)", re.IGNORECASE)
_ZERO_WIDTH_SPACE = "\u200b"
_LONGEST_BACKTICKS = re.compile(r"`+")


def render_evaluation_markdown(report: EvaluationReport, chart: str | None = "evaluation.svg") -> str:
    """The section as Markdown; `chart` is the SVG's file name beside report.md (None: no image)."""
    sections = [
        ["## Evaluation"],
        _decision(report),
        _facts(report),
        [f"![Scores per grader with 95% intervals]({chart})"] if chart else [],
        *(_grader_table(report, summary) for summary in report.graders),
        _usage(report),
        _worst(report),
    ]
    return "\n\n".join("\n".join(lines) for lines in sections if lines) + "\n"


def _inline(text: str) -> str:
    """Text safe in running Markdown: no HTML, no emphasis, no link, no image, no autolink."""
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", html.escape(" ".join(text.split()), quote=False))
    return _AUTOLINK_TRIGGERS.sub(
        lambda match: match.group(1)[0] + _ZERO_WIDTH_SPACE + match.group(1)[1:], escaped
    )


def _fenced(text: str, info: str = "text") -> list[str]:
    """A fenced code block that `text` cannot close, whatever backticks it holds."""
    longest = max((len(run) for run in _LONGEST_BACKTICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{info}", text, fence]


def _decision(report: EvaluationReport) -> list[str]:
    decision = report.decision
    if decision.promote and decision.candidate:
        heading = f"**✅ Promoted: {_inline(decision.candidate)}**"
    else:
        heading = "**🚫 Not promoted**"
    return [heading, "", _inline(decision.reason)]


def _model_line(model: ModelInfo) -> str:
    details = [f"deployment {_inline(model.deployment)}"]
    if model.model:
        details.append(f"model {_inline(model.model)}")
    if model.step is not None:
        details.append(f"step {model.step}")
    return f"{_inline(model.label)} ({', '.join(details)})"


def _facts(report: EvaluationReport) -> list[str]:
    options, eval_set = report.options, report.eval_set
    selection = "seeded sample of" if eval_set.selection == "hash_sample" else "all of"
    skipped = ", ".join(f"{_inline(reason)} {count}" for reason, count in eval_set.skipped.items())
    baseline = next((model for model in report.models if model.role == "baseline"), None)
    candidates = [model for model in report.models if model.role == "candidate"]
    lines = [
        f"- **Eval set:** {_inline(eval_set.source)}: {eval_set.examples} examples "
        f"({selection} {eval_set.evaluable} evaluable){f'; skipped: {skipped}' if skipped else ''}",
    ]
    if eval_set.is_validation_file:
        lines.append(
            "- ⚠️ **The eval set is the validation file**, which also chose the best checkpoint: "
            "that candidate's scores are optimistic. Add an eval.jsonl of held-out examples."
        )
    lines += [
        f"- **Baseline:** {_model_line(baseline) if baseline else 'none (absolute threshold only)'}",
        f"- **Candidates:** {'; '.join(_model_line(model) for model in candidates)}",
        f"- **Rule:** primary grader {_inline(options.primary)}, required improvement "
        f"{options.min_improvement:+.3f}, `min_score` "
        f"{'none' if options.min_score is None else f'{options.min_score:.3f}'}",
        f"- **Statistics:** {report.statistics.method}, {report.statistics.resamples:,} resamples, "
        f"seed {report.statistics.seed}",
    ]
    if report.judge_prompt_version:
        lines.append(f"- **Judge prompt:** {_inline(report.judge_prompt_version)}")
    return lines


def _interval(interval: Interval, signed: bool = False) -> str:
    sign = "+" if signed else ""
    return f"{interval.low:{sign}.3f} to {interval.high:{sign}.3f}"


def _grader_table(report: EvaluationReport, summary: GraderSummary) -> list[str]:
    primary = " (primary)" if summary.grader == report.options.primary else ""
    rows = []
    if summary.baseline:
        baseline = summary.baseline
        rows.append(
            [
                _inline(report.display_name(baseline.model)),
                f"{baseline.mean:.3f}",
                _interval(baseline.interval),
            ]
        )
    for score in summary.candidates:
        row = [_inline(score.model), f"{score.mean:.3f}", _interval(score.interval)]
        comparison = summary.comparison(score.model)
        if comparison:
            row += [
                f"{comparison.difference:+.3f}",
                _interval(comparison.interval, signed=True),
                f"{comparison.wins} / {comparison.ties} / {comparison.losses}",
            ]
        rows.append(row)
    header = ["Model", "Mean", "95% CI"]
    if summary.baseline:
        header += ["Difference vs baseline", "95% CI of difference", "Wins / ties / losses"]
    return [
        f"### {_inline(summary.grader)}{primary}: {summary.examples} examples",
        "",
        *_table(header, rows),
    ]


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    width = len(header)
    return [
        "| " + " | ".join(header) + " |",
        "|" + "---|" * width,
        *("| " + " | ".join([*row, *["—"] * (width - len(row))]) + " |" for row in rows),
    ]


def _usage(report: EvaluationReport) -> list[str]:
    if not report.usage:
        return []
    rows = [
        [
            _inline(item.model),
            item.purpose,
            f"{item.requests:,}",
            f"{item.prompt_tokens:,}",
            f"{item.completion_tokens:,}",
        ]
        for item in report.usage
    ]
    totals = [
        sum(getattr(item, name) for item in report.usage)
        for name in ("requests", "prompt_tokens", "completion_tokens")
    ]
    rows.append(["**Total**", "", *(f"**{total:,}**" for total in totals)])
    return [
        "### Tokens used by the evaluation",
        "",
        *_table(["Model", "For", "Requests", "Prompt", "Completion"], rows),
    ]


def _worst(report: EvaluationReport) -> list[str]:
    grader = _inline(report.options.primary)
    candidate = _inline(report.decision.candidate or "")
    if report.worst_examples_kind == "losses_to_baseline":
        heading = f"### Where {candidate} lost most against the baseline ({grader})"
        empty = f"{candidate} scored at least as well as the baseline on every example."
    else:
        heading = f"### The examples {candidate} scored lowest on ({grader})"
        empty = "No examples."
    if not report.worst_examples:
        return [heading, "", empty]
    lines = [heading]
    for rank, example in enumerate(report.worst_examples, start=1):
        lines += ["", *_example(rank, example)]
    return lines


def _example(rank: int, example: ExampleContrast) -> list[str]:
    candidate = _inline(example.candidate)
    scores = f"{candidate} {example.candidate_score:.3f}"
    if example.baseline_score is not None and example.difference is not None:
        scores += f", baseline {example.baseline_score:.3f} ({example.difference:+.3f})"
    prompt = "\n\n".join(f"{message.role}: {message.content}" for message in example.prompt)
    lines = [
        f"#### {rank}. Line {example.line}: {scores}",
        "",
        "Prompt:",
        *_fenced(prompt),
        "Reference:",
        *_fenced(example.reference),
        f"Answer of {candidate}:",
        *_fenced(example.candidate_answer),
    ]
    if example.baseline_answer is not None:
        lines += ["Answer of the baseline:", *_fenced(example.baseline_answer)]
    return lines
