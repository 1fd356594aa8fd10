"""`python -m tuning validate`: exit codes, JSON shape and human output, run as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

from bench.lab import lab_counts
from tests.validation.builders import chat, jsonl, simple, with_padding
from tuning.tokenizers import get_encoding

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "training.jsonl"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tuning", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_sample_file_json_matches_the_lab_formula() -> None:
    result = run("validate", str(SAMPLE), "--model", "gpt-4o", "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert report["examples"] == report["valid_examples"] == 10
    assert report["encoding"] == "o200k_base" and report["model"] == "gpt-4o-2024-08-06"
    expected = lab_counts(get_encoding("o200k_base"), SAMPLE)
    assert report["tokens"]["total"]["sum"] == sum(total for total, _ in expected)
    assert report["tokens"]["assistant"]["sum"] == sum(assistant for _, assistant in expected)
    assert report["tokens"]["total"]["max"] == max(total for total, _ in expected)
    assert report["estimate"]["context_limit"] == 65_536
    assert (
        report["estimate"]["billed_tokens"] == report["tokens"]["total"]["sum"] * report["estimate"]["epochs"]
    )
    assert sum(report["length_histogram"]["counts"]) == 10


def test_invalid_file_exits_1_and_several_files_give_a_list(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(with_padding(b"{nope", b'{"messages": [{"role": "user", "content": "q"}]}'))
    result = run("validate", str(SAMPLE), str(bad), "--json", "--encoding", "cl100k_base")
    assert result.returncode == 1, result.stderr
    sample, report = json.loads(result.stdout)
    assert sample["valid"] is True and sample["encoding"] == "cl100k_base"
    assert report["valid"] is False and report["examples"] == 12
    assert [(e["line"], e["code"]) for e in report["errors"]] == [
        (11, "invalid_json"),
        (12, "no_assistant_message"),
    ]
    assert set(report["errors"][0]) == {"line", "code", "message"}


def test_human_output_groups_errors_by_code_with_lines(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_bytes(with_padding(b"{nope", b"[]", b"{nope"))
    result = run("validate", str(bad))
    assert result.returncode == 1
    assert "INVALID" in result.stdout
    assert "invalid_json x2 at line 11, line 13" in result.stdout
    assert "not_an_object x1 at line 12" in result.stdout


def test_usage_errors_exit_2_with_a_message(tmp_path: Path) -> None:
    missing = run("validate", str(tmp_path / "missing.jsonl"))
    assert missing.returncode == 2 and "cannot read" in missing.stderr and missing.stdout == ""
    unknown = run("validate", str(SAMPLE), "--model", "gpt-9")
    assert unknown.returncode == 2 and "unknown model 'gpt-9'" in unknown.stderr
    no_path = run("validate")
    assert no_path.returncode == 2 and "PATH" in no_path.stderr
    tier = run("validate", str(SAMPLE), "--model", "gpt-35-turbo", "--training-type", "Developer")
    assert tier.returncode == 2 and "training types Standard" in tier.stderr
    two = run("validate", str(SAMPLE), str(SAMPLE), "--validation", str(SAMPLE))
    assert two.returncode == 2 and "one training file" in two.stderr


def test_a_training_file_with_its_validation_and_eval_files(tmp_path: Path) -> None:
    training, validation, evaluation = (
        tmp_path / f"{kind}.jsonl" for kind in ("training", "validation", "eval")
    )
    training.write_bytes(with_padding())
    validation.write_bytes(jsonl([simple(100 + index) for index in range(9)] + [simple(4)]))
    evaluation.write_bytes(jsonl([simple(200 + index) for index in range(10)]))
    charts = tmp_path / "charts"
    args = ("validate", str(training), "--validation", str(validation), "--eval", str(evaluation))
    result = run(*args, "--json", "--histogram-dir", str(charts), "--training-type", "globalStandard")
    assert result.returncode == 0, result.stderr
    reports = json.loads(result.stdout)
    assert [report["kind"] for report in reports] == ["training", "validation", "eval"]
    assert reports[1]["overlap"] == {"examples": 1, "rate": 0.1}
    assert reports[1]["warning_counts"] == {"overlaps_training": 1}
    assert (
        reports[0]["training_type"] == "GlobalStandard"
        and reports[0]["estimate"]["price_per_1m_tokens"] == 22.5
    )
    for kind in ("training", "validation", "eval"):
        ElementTree.parse(charts / f"{kind}-lengths.svg")  # well-formed
    text = run(*args)
    assert "in the training file too: 1 examples (10.0%)" in text.stdout


def test_data_scan_modes_from_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "pii.jsonl"
    path.write_bytes(with_padding(chat(("user", "mail ann@example.com"), ("assistant", "ok"))))
    warned = run("validate", str(path), "--json")
    assert warned.returncode == 0 and json.loads(warned.stdout)["warning_counts"] == {"possible_pii": 1}
    failed = run("validate", str(path), "--json", "--data-scan", "error")
    assert failed.returncode == 1 and json.loads(failed.stdout)["error_counts"] == {"possible_pii": 1}
    off = run("validate", str(path), "--json", "--data-scan", "off")
    assert off.returncode == 0 and json.loads(off.stdout)["warning_counts"] == {}
