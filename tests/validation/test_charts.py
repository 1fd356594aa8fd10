"""The SVG histogram of example lengths: well-formed, accessible, escaped, limit drawn."""

from __future__ import annotations

import io
import re
from typing import Any
from xml.etree import ElementTree

from tests.validation.builders import chat, with_padding
from tuning.validation import render_length_histogram, validate_stream

SVG = "{http://www.w3.org/2000/svg}"


def _report(name: str, *extra: object) -> dict[str, Any]:
    data = with_padding(*extra)
    return validate_stream(io.BytesIO(data), name, "gpt-35-turbo", workers=1).to_dict()


def test_a_well_formed_accessible_svg_with_the_limit_drawn() -> None:
    document = _report("train.jsonl")
    svg = render_length_histogram(document)
    root = ElementTree.fromstring(svg)
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    assert root.get("aria-labelledby") == "title desc"
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert title is not None and title.text == "Example lengths in tokens: train.jsonl"
    assert desc is not None and desc.text and "10 examples counted" in desc.text and "16,385" in desc.text
    assert "context limit 16,385" in svg
    bars = [rect for rect in root.iter(f"{SVG}rect") if rect.find(f"{SVG}title") is not None]
    bins = document["length_histogram"]
    assert len(bars) == sum(1 for count in bins["counts"] if count)


def test_the_same_from_the_report_object_or_its_json() -> None:
    report = validate_stream(io.BytesIO(with_padding()), "x.jsonl", "gpt-4o", workers=1)
    assert render_length_histogram(report) == render_length_histogram(report.to_dict())


def test_user_text_is_escaped() -> None:
    name = 'evil<script>alert("x")</script>&.jsonl'
    svg = render_length_histogram(_report(name))
    ElementTree.fromstring(svg)
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "&amp;.jsonl" in svg


def test_examples_over_the_limit_are_drawn_past_it_in_another_colour() -> None:
    long_example = chat(("user", "word " * 17_000), ("assistant", "a"))
    document = _report("long.jsonl", long_example)
    svg = render_length_histogram(document)
    over = re.findall(r'<rect [^>]*fill="#e45756"><title>([^<]*)</title>', svg)
    assert len(over) == 1 and over[0].endswith(": 1 examples")
    low = int(over[0].split(" to ")[0].replace(",", ""))
    assert low > 16_385 and "1 over it" in svg


def test_an_empty_file_still_gives_a_chart() -> None:
    document = validate_stream(io.BytesIO(b"\n"), "empty.jsonl", "gpt-4o", workers=1).to_dict()
    root = ElementTree.fromstring(render_length_histogram(document))
    desc = root.find(f"{SVG}desc")
    assert desc is not None and desc.text == "No example could be counted. Context limit 65,536 tokens."
