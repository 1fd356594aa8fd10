"""Byte-level input handling, one-pass streaming, bounded memory, and the parallel path."""

from __future__ import annotations

import io
import random
import threading
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import BinaryIO, cast

import pytest

from tests.validation.builders import (
    jsonl,
    random_chat,
    simple,
    validate_bytes,
    varied_file,
    with_padding,
)
from tuning.validation import lines, parallel, validate_stream
from tuning.validation.issues import MAX_LISTED_ISSUES


class SizedReadsOnly(io.RawIOBase):
    """A blob-download-like stream that fails on an unbounded read() and records read sizes."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)
        self.sizes: list[int] = []

    def read(self, size: int = -1) -> bytes:
        assert size is not None and size > 0, "unbounded read"
        self.sizes.append(size)
        return self._data.read(size)


def test_bom_crlf_no_final_newline_and_blank_lines_are_accepted() -> None:
    data = b"\xef\xbb\xbf" + with_padding(b"", b"   ").replace(b"\n", b"\r\n").rstrip(b"\r\n")
    report = validate_bytes(data)
    assert report.valid, report.to_dict()
    assert report.examples == report.valid_examples == 10
    assert report.blank_lines == 2
    assert report.warning_counts == {"bom": 1, "crlf": 1, "blank_line": 2}
    assert [w.line for w in report.warnings if w.code == "blank_line"] == [11, 12]


def test_last_line_without_newline_is_an_example() -> None:
    data = with_padding(simple(42)).rstrip(b"\n")
    report = validate_bytes(data)
    assert report.examples == report.valid_examples == 11
    assert report.total_tokens.sum == validate_bytes(data + b"\n").total_tokens.sum


def test_reads_in_bounded_chunks_in_one_pass() -> None:
    stream = SizedReadsOnly(with_padding())
    report = validate_stream(cast(BinaryIO, stream), "blob", "gpt-4o", workers=1)
    assert report.valid and stream.sizes and max(stream.sizes) <= 1 << 20


@pytest.mark.parametrize("read_bytes", [1, 2, 5, 64])
def test_lines_are_the_same_whatever_the_read_size(read_bytes: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines that span reads, a BOM, CRLF, blank lines, a line over the limit and a last line
    without a newline come out the same however the stream is cut."""
    data = b'\xef\xbb\xbf{"a": 1}\r\n\n' + b"x" * 40 + b"\n \t\n" + b"y" * 9 + b'\n{"b": 2}'
    monkeypatch.setattr(lines, "MAX_LINE_BYTES", 20)

    def read() -> list[tuple[list[tuple[int, bytes]], list[tuple[int | None, str]], int]]:
        reader = lines.LineReader(io.BytesIO(data), 1 << 20)
        return [(b.lines, [(n.line, n.code) for n in b.notes], b.skipped) for b in reader.batches()]

    monkeypatch.setattr(lines, "READ_BYTES", read_bytes)
    assert read() == [
        (
            [(1, b'{"a": 1}'), (5, b"y" * 9), (6, b'{"b": 2}')],
            [(1, "crlf"), (1, "bom"), (2, "blank_line"), (3, "line_too_long"), (4, "blank_line")],
            1,
        )
    ]


def test_issue_lists_are_bounded_but_counts_are_complete() -> None:
    bad_lines = MAX_LISTED_ISSUES + 500
    report = validate_bytes(b"x\n" * bad_lines)
    assert report.error_counts["invalid_json"] == bad_lines
    assert len(report.errors) == MAX_LISTED_ISSUES + 1  # + too_few_examples, always listed
    assert report.errors[0].line is None  # file-level issues first
    listed = [issue.line for issue in report.errors if issue.code == "invalid_json"]
    assert listed == list(range(1, len(listed) + 1))
    assert report.to_dict()["error_counts"]["invalid_json"] == bad_lines


def test_duplicates_are_found_across_spacing_and_escapes() -> None:
    data = with_padding(
        b'{"messages": [{"role": "system", "content": "You are terse."},'
        b' {"role": "user", "content": "question 2?"},'
        b' {"role": "assistant",   "content": "answer \\u0032."}]}'
    )
    report = validate_bytes(data)
    assert report.duplicates == 1 and [w.line for w in report.warnings] == [11]
    assert "line 3" in report.warnings[0].message  # where the first copy is


@pytest.mark.parametrize("threaded_caller", [False, True], ids=["processes", "threads"])
def test_parallel_path_reports_the_same_as_inline(
    threaded_caller: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A single-threaded caller gets worker processes, a threaded one (a Functions host) threads."""
    monkeypatch.setattr(lines, "BATCH_LINES", 100)  # many batches in flight, so order matters
    rng = random.Random(7)
    examples = [random_chat(rng) for _ in range(1500)]
    examples[700] = {"messages": "oops"}
    examples[1200] = examples[3]
    data = jsonl(examples)
    inline = validate_stream(io.BytesIO(data), "f", "gpt-4o", workers=1)
    used: list[Executor] = []
    make_executor = parallel._executor

    def recorded(workers: int) -> Executor:
        used.append(make_executor(workers))
        return used[-1]

    monkeypatch.setattr(parallel, "_executor", recorded)
    release = threading.Event()
    other = threading.Thread(target=release.wait)
    if threaded_caller:
        other.start()
    try:
        report = validate_stream(io.BytesIO(data), "f", "gpt-4o", workers=2, parallel_after_bytes=0)
    finally:
        release.set()
    assert [type(executor) for executor in used] == [
        ThreadPoolExecutor if threaded_caller else ProcessPoolExecutor
    ]
    assert report.to_dict() == inline.to_dict()
    assert inline.error_counts == {"messages_not_list": 1} and inline.duplicates == 1


def test_workers_report_what_this_process_reports_on_varied_data(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every kind of outcome (errors, warnings, scan findings, special tokens, mixed formats,
    repeats) crosses from the worker processes to the tally as it would inline."""
    monkeypatch.setattr(lines, "BATCH_LINES", 64)
    data = varied_file(seed=11, count=1200)
    inline = validate_stream(io.BytesIO(data), "f", "gpt-4o", workers=1)
    parallel_report = validate_stream(io.BytesIO(data), "f", "gpt-4o", workers=2, parallel_after_bytes=0)
    assert parallel_report.to_dict() == inline.to_dict()
    assert set(inline.error_counts) == {"invalid_json", "mixed_formats", "special_token"}
    assert {
        "possible_pii",
        "possible_secret",
        "empty_content",
        "duplicate_example",
        "conflicting_answers",
    } <= set(inline.warning_counts)


def test_report_shape() -> None:
    document = validate_bytes(with_padding()).to_dict()
    assert {
        "file",
        "valid",
        "examples",
        "model",
        "encoding",
        "errors",
        "warnings",
        "tokens",
        "estimate",
    } <= set(document)
    for kind in ("total", "assistant"):
        assert set(document["tokens"][kind]) == {"sum", "min", "max", "mean", "median", "p95"}
    assert {"epochs", "billed_tokens", "context_limit"} <= set(document["estimate"])
    assert document["model"] == "gpt-4o-2024-08-06" and document["encoding"] == "o200k_base"
