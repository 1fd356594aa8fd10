"""`python -m tuning validate`: exit codes, JSON shape and human output, run as a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bench.lab import lab_counts
from tests.validation.builders import with_padding
from tuning.tokenizers import get_encoding

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "sample" / "training.jsonl"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tuning", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
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
