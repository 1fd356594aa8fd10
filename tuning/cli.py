"""The command line: `python -m tuning <command> ...`.

Each command is a function registered in COMMANDS with its argument parser; `main` returns the
exit status. `validate`: 0 when every file is valid, 1 when any has errors, 2 for usage errors
and unreadable paths (message on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence

from tuning.catalog import UnknownModelError
from tuning.tokenizers import EncodingError
from tuning.validation import ValidationReport, validate_path
from tuning.validation.validator import DEFAULT_MAX_FILE_BYTES, DEFAULT_MODEL

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
FIRST_LINES_SHOWN = 5


class UsageError(Exception):
    """A mistake in the command line or an unreadable input: exit 2."""


def _add_validate(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("validate", help="validate JSONL fine-tuning datasets")
    parser.add_argument("paths", metavar="PATH", nargs="+", help="JSONL file(s) to validate")
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"base model or alias (default {DEFAULT_MODEL})"
    )
    parser.add_argument("--encoding", help="tokenizer encoding instead of the model's (e.g. cl100k_base)")
    parser.add_argument(
        "--epochs", type=int, help="epochs for the estimate (default: the cookbook heuristic)"
    )
    parser.add_argument("--price", type=float, help="training price per 1M tokens, instead of the catalog's")
    parser.add_argument(
        "--max-file-bytes", type=int, default=DEFAULT_MAX_FILE_BYTES, help="upload size limit"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON document (an object per file)")
    parser.set_defaults(run=_validate)


def _validate(args: argparse.Namespace) -> int:
    options = {
        "encoding": args.encoding,
        "n_epochs": args.epochs,
        "max_file_bytes": args.max_file_bytes,
        "price_overrides": None if args.price is None else {args.model: args.price},
    }
    reports = []
    for path in args.paths:
        try:
            reports.append(validate_path(path, args.model, **options))
        except OSError as exc:
            raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from exc
        except (UnknownModelError, EncodingError) as exc:
            raise UsageError(str(exc)) from exc
    if args.json:
        documents = [report.to_dict() for report in reports]
        json.dump(
            documents[0] if len(documents) == 1 else documents, sys.stdout, indent=2, ensure_ascii=False
        )
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(describe(report) for report in reports))
    return EXIT_OK if all(report.valid for report in reports) else EXIT_INVALID


def describe(report: ValidationReport) -> str:
    """A human-readable summary of one report."""
    verdict = "VALID" if report.valid else "INVALID"
    lines = [
        f"{report.file}: {verdict} ({report.format or 'unknown'} format, {report.model}, {report.encoding})",
        f"  examples: {report.examples} ({report.valid_examples} valid), blank lines: {report.blank_lines}, "
        f"over the {report.estimate.context_limit}-token limit: {report.over_limit}, duplicates: {report.duplicates}",
    ]
    for label, summary in (
        ("total tokens", report.total_tokens),
        ("assistant tokens", report.assistant_tokens),
        ("messages", report.messages),
    ):
        if summary.min is not None:
            lines.append(
                f"  {label}: sum {summary.sum}, min {summary.min}, max {summary.max}, "
                f"mean {summary.mean:.1f}, median {summary.median:.1f}, p95 {summary.p95:.1f}"
            )
    estimate = report.estimate
    cost = (
        ""
        if estimate.cost_usd is None
        else f", about ${estimate.cost_usd:.2f} at ${estimate.price_per_1m_tokens}/1M"
    )
    lines.append(
        f"  estimate: {estimate.epochs} epochs, {estimate.billed_tokens} billed training tokens{cost}"
    )
    for title, issues, counts in (
        ("errors", report.errors, report.error_counts),
        ("warnings", report.warnings, report.warning_counts),
    ):
        for code, count in sorted(counts.items()):
            listed = [issue for issue in issues if issue.code == code]
            where = ", ".join(
                "file" if issue.line is None else f"line {issue.line}" for issue in listed[:FIRST_LINES_SHOWN]
            )
            more = "" if count <= FIRST_LINES_SHOWN else f" (+{count - FIRST_LINES_SHOWN} more)"
            lines.append(
                f"  {title[:-1]} {code} x{count} at {where}{more}: {listed[0].message if listed else ''}"
            )
    return "\n".join(lines) + "\n"


COMMANDS: Sequence[Callable[[argparse._SubParsersAction], None]] = (_add_validate,)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tuning", description="Azure OpenAI fine-tuning tools")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # exits 2 on usage errors
    try:
        return args.run(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
