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
from pathlib import Path
from typing import Any, BinaryIO, TypeAlias

from tuning.catalog import METHODS, SUPERVISED, TRAINING_TYPES, UnknownModelError, UnsupportedCombinationError
from tuning.tokenizers import EncodingError
from tuning.validation import (
    DATA_SCAN_MODES,
    DatasetSource,
    ValidationReport,
    render_length_histogram,
    validate_files,
    validate_path,
)
from tuning.validation.validator import DEFAULT_MAX_FILE_BYTES, DEFAULT_MODEL, DatasetKind

__all__ = ["COMMANDS", "EXIT_INVALID", "EXIT_OK", "EXIT_USAGE", "build_parser", "describe", "main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
FIRST_LINES_SHOWN = 5
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


class UsageError(Exception):
    """A mistake in the command line or an unreadable input: exit 2."""


def _add_validate(commands: Commands) -> None:
    parser = commands.add_parser(
        "validate",
        help="validate JSONL fine-tuning datasets",
        description="Validate each PATH on its own, or, with --validation/--eval, one training file "
        "together with its validation and eval files (which are then checked for examples that "
        "repeat training examples).",
    )
    parser.add_argument("paths", metavar="PATH", nargs="+", help="JSONL file(s) to validate")
    parser.add_argument("--validation", help="the validation file of the training file PATH")
    parser.add_argument("--eval", dest="eval_file", help="the eval file of the training file PATH")
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"base model or alias (default {DEFAULT_MODEL})"
    )
    parser.add_argument("--method", choices=METHODS, help="fine-tuning method the files must fit")
    parser.add_argument(
        "--training-type", help=f"{', '.join(TRAINING_TYPES)}: checked against the model, prices the estimate"
    )
    parser.add_argument("--encoding", help="tokenizer encoding instead of the model's (e.g. cl100k_base)")
    parser.add_argument(
        "--epochs", type=int, help="epochs for the estimate (default: the cookbook heuristic)"
    )
    parser.add_argument("--price", type=float, help="training price per 1M tokens, instead of the catalog's")
    parser.add_argument(
        "--data-scan",
        choices=DATA_SCAN_MODES,
        default="warn",
        help="possible secrets and personal data: warnings (default), errors, or not looked for",
    )
    parser.add_argument(
        "--max-file-bytes", type=int, default=DEFAULT_MAX_FILE_BYTES, help="upload size limit"
    )
    parser.add_argument("--histogram-dir", type=Path, help="write each file's length histogram (SVG) here")
    parser.add_argument("--json", action="store_true", help="print one JSON document (an object per file)")
    parser.set_defaults(run=_validate)


def _validate(args: argparse.Namespace) -> int:
    try:
        reports = _reports(args)
    except OSError as exc:
        raise UsageError(f"cannot read {exc.filename}: {exc.strerror or exc}") from exc
    except (UnknownModelError, UnsupportedCombinationError, EncodingError) as exc:
        raise UsageError(str(exc)) from exc
    if args.histogram_dir:
        _write_histograms(args.histogram_dir, reports)
    if args.json:
        documents = [report.to_dict() for report in reports]
        json.dump(
            documents[0] if len(documents) == 1 else documents, sys.stdout, indent=2, ensure_ascii=False
        )
        sys.stdout.write("\n")
    else:
        sys.stdout.write("\n".join(describe(report) for report in reports))
    return EXIT_OK if all(report.valid for report in reports) else EXIT_INVALID


def _reports(args: argparse.Namespace) -> list[ValidationReport]:
    options: dict[str, Any] = {
        "n_epochs": args.epochs,
        "max_file_bytes": args.max_file_bytes,
        "price_overrides": None if args.price is None else {args.model: args.price},
        "data_scan": args.data_scan,
    }
    companions: list[tuple[DatasetKind, str | None]] = [
        ("validation", args.validation),
        ("eval", args.eval_file),
    ]
    if not any(path for _, path in companions):
        extra = {"encoding": args.encoding, "method": args.method, "training_type": args.training_type}
        return [validate_path(path, args.model, **options, **extra) for path in args.paths]
    if len(args.paths) != 1 or args.encoding:
        raise UsageError("with --validation or --eval, give one training file and no --encoding")
    sources = [
        DatasetSource(kind, path, _opener(path))
        for kind, path in [("training", args.paths[0]), *companions]
        if path is not None
    ]
    for source in sources:
        if not Path(source.name).is_file():
            raise UsageError(f"cannot read {source.name}: no such file")
    return validate_files(
        sources,
        model=args.model,
        method=args.method or SUPERVISED,
        training_type=args.training_type or "Standard",
        **options,
    )


def _opener(path: str) -> Callable[[], BinaryIO]:
    def open_file() -> BinaryIO:
        return open(path, "rb")

    return open_file


def _write_histograms(folder: Path, reports: list[ValidationReport]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for report in reports:
        (folder / f"{Path(report.file).stem}-lengths.svg").write_text(render_length_histogram(report))


def describe(report: ValidationReport) -> str:
    """A human-readable summary of one report."""
    verdict = "VALID" if report.valid else "INVALID"
    role = f" [{report.kind}]" if report.kind else ""
    setup = f"{report.format or 'unknown'} format, {report.model}, {report.encoding}"
    lines = [
        f"{report.file}{role}: {verdict} ({setup})",
        f"  examples: {report.examples} ({report.valid_examples} valid), blank lines: {report.blank_lines}, "
        f"over the {report.estimate.context_limit}-token limit: {report.over_limit}, "
        f"duplicates: {report.duplicates}",
    ]
    if report.overlap_rate is not None:
        lines.append(
            f"  in the training file too: {report.overlapping_examples} examples ({report.overlap_rate:.1%})"
        )
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
    tier = f" ({report.training_type} training)" if report.training_type else ""
    cost = (
        ""
        if estimate.cost_usd is None
        else f", about ${estimate.cost_usd:.2f} at ${estimate.price_per_1m_tokens}/1M{tier}"
    )
    lines.append(
        f"  estimate: {estimate.epochs} epochs, {estimate.billed_tokens} billed training tokens{cost}"
    )
    for title, issues, counts in (
        ("error", report.errors, report.error_counts),
        ("warning", report.warnings, report.warning_counts),
    ):
        for code, count in sorted(counts.items()):
            listed = [issue for issue in issues if issue.code == code]
            where = ", ".join(
                "file" if issue.line is None else f"line {issue.line}" for issue in listed[:FIRST_LINES_SHOWN]
            )
            more = "" if count <= FIRST_LINES_SHOWN else f" (+{count - FIRST_LINES_SHOWN} more)"
            lines.append(f"  {title} {code} x{count} at {where}{more}: {listed[0].message if listed else ''}")
    return "\n".join(lines) + "\n"


COMMANDS: Sequence[Callable[[Commands], None]] = (_add_validate,)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tuning", description="Azure OpenAI fine-tuning tools")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # exits 2 on usage errors
    try:
        status: int = args.run(args)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return status
