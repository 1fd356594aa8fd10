"""`make demo`: the whole service on this machine, on the sample dataset, ending with a report.

Starts Azurite, the Azure OpenAI emulator and the dev host; drops the dataset into
`incoming/<run>/` exactly as a user would; follows the run through the HTTP API; prints the
report summary; copies the report files to demo-output/<run>/; stops what it started.
Exit status 0 when the run succeeded.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from local.processes import REPO
from local.stack import LocalStack

__all__ = ["main", "summarize"]

DATASET_FILES = ("training.jsonl", "validation.jsonl", "eval.jsonl", "run.json")


def read_dataset(folder: Path) -> dict[str, bytes]:
    files = {name: (folder / name).read_bytes() for name in DATASET_FILES if (folder / name).is_file()}
    if "training.jsonl" not in files:
        raise SystemExit(
            f"{folder}: no training.jsonl (the demo uploads training.jsonl, and validation.jsonl "
            "and run.json when present)"
        )
    return files


class ProgressLine:
    """Prints one line whenever the stage, job status or step changes."""

    def __init__(self) -> None:
        self.last: tuple | None = None

    def __call__(self, run: dict) -> None:
        job = run.get("job") or {}
        progress = run.get("progress") or {}
        key = (run.get("stage"), job.get("status"), progress.get("step"))
        if key == self.last:
            return
        self.last = key
        parts = [f"stage={run.get('stage')}"]
        if job.get("id"):
            parts.append(f"job={job['id']} ({job.get('status')})")
        if progress.get("step") is not None:
            parts.append(
                f"step={progress['step']} train_loss={_num(progress.get('train_loss'))} "
                f"valid_loss={_num(progress.get('valid_loss'))}"
            )
        print("  " + "  ".join(parts), flush=True)


def _num(value) -> str:
    return f"{value:.4f}" if isinstance(value, (int, float)) else "-"


def summarize(report: dict) -> str:
    lines = [f"Run {report['run']} (attempt {report['attempt']}): {report['status'].upper()}"]
    for stage in report.get("stages", []):
        lines.append(f"  {stage['name']:<28} {stage['status']:<10} {stage.get('seconds', 0):>8.1f} s")
    for kind, summary in (report.get("validation") or {}).items():
        tokens = summary["tokens"]["total"]
        lines.append(
            f"  {kind}: {summary['examples']} examples, {tokens['sum']} tokens, "
            f"{'valid' if summary['valid'] else str(summary['error_count']) + ' errors'}"
        )
    job = report.get("job") or {}
    if job.get("fine_tuned_model"):
        lines.append(f"  model: {job['fine_tuned_model']} ({job.get('trained_tokens')} trained tokens)")
    if report.get("deployment"):
        lines.append(
            f"  deployment: {report['deployment']['name']} ({report['deployment']['provisioning_state']})"
        )
    if report.get("smoke_test"):
        smoke = report["smoke_test"]
        lines.append(f"  smoke test ({smoke['latency_ms']} ms): {smoke['answer']}")
    lines += evaluation_table(report.get("evaluation"))
    for error in report.get("errors", []):
        lines.append(f"  error in {error['stage']}: {error['code']}: {error['message']}")
    return "\n".join(lines)


def evaluation_table(evaluation: dict | None) -> list[str]:
    """The quality gate as a terminal table: each grader's mean per model, and each candidate's
    difference from the baseline with its 95% interval; then the decision."""
    if not evaluation:
        return []
    labels = [model["label"] for model in evaluation["models"]]
    rows = [
        f"  evaluation on {evaluation['eval_set']['examples']} examples ({evaluation['eval_set']['source']}):"
    ]
    rows.append(
        "    " + f"{'grader':<12}" + "".join(f"{label:>17}" for label in labels) + "   difference [95% CI]"
    )
    for grader in evaluation["graders"]:
        means = {score["model"]: score["mean"] for score in grader["candidates"]}
        if grader["baseline"]:
            means[grader["baseline"]["model"]] = grader["baseline"]["mean"]
        cells = "".join(f"{means.get(label, float('nan')):>17.3f}" for label in labels)
        differences = ", ".join(
            f"{c['candidate']} {c['difference']:+.3f} [{c['interval']['low']:+.3f}, "
            f"{c['interval']['high']:+.3f}]"
            for c in grader["comparisons"]
        )
        rows.append(f"    {grader['grader']:<12}{cells}   {differences}")
    decision = evaluation["decision"]
    verdict = f"promote {decision['candidate']}" if decision["promote"] else "reject"
    rows.append(f"  decision: {verdict}: {decision['reason']}")
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.demo", description=__doc__)
    parser.add_argument("--data", type=Path, default=REPO / "data" / "sample")
    parser.add_argument("--run", default="demo")
    parser.add_argument("--output", type=Path, default=REPO / "demo-output")
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args(argv)
    files = read_dataset(args.data)

    with tempfile.TemporaryDirectory(prefix="ft-demo-") as work:
        stack = LocalStack(Path(work))
        try:
            print(
                "Starting Azurite, "
                + ("the Azure OpenAI emulator, " if stack.uses_emulator else "")
                + "and the dev host...",
                flush=True,
            )
            stack.start()
            print(f"Dev host: {stack.host.url}  (function key: {stack.options.function_key})")
            print(f"Uploading {', '.join(files)} to fine-tuning/incoming/{args.run}/", flush=True)
            stack.upload_run(args.run, files)
            run = stack.wait_for_run(args.run, timeout=args.timeout, on_update=ProgressLine())
            artifacts = run.get("report") or {}
            if "report.json" not in artifacts:
                print(f"The run ended {run.get('runtime_status')} without a report: {run.get('errors')}")
                return 1
            destination = args.output / args.run
            destination.mkdir(parents=True, exist_ok=True)
            for name, blob in artifacts.items():
                (destination / name).write_bytes(stack.read_blob(blob))
            report = json.loads((destination / "report.json").read_text())
            print()
            print(summarize(report))
            print(f"\nReport files: container fine-tuning, {report['report_folder']}")
            print(f"Copied to: {destination}/ ({', '.join(sorted(artifacts))})")
            return 0 if report["status"] == "succeeded" else 1
        finally:
            stack.stop()


if __name__ == "__main__":
    sys.exit(main())
