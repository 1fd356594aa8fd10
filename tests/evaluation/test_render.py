"""report.md's Evaluation section and evaluation.svg: content, escaping, well-formedness."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import cmarkgfm  # ships no type information
import pytest
from cmarkgfm.cmark import Options

from tests.evaluation.builders import MODELS, answers, eval_jsonl
from tuning.evaluation import (
    EvaluationReport,
    ModelInfo,
    build_report,
    parse_evaluation_options,
    read_eval_examples,
    render_evaluation_markdown,
    render_evaluation_svg,
)

SVG = "{http://www.w3.org/2000/svg}"
EVIL_LABEL = "![i](https://e.vil/a.png)<b>x</b>@e.vil"


def github_html(markdown: str) -> str:
    """GitHub's own renderer (cmark-gfm with its autolink and table extensions), raw HTML let
    through, so anything our escaping missed shows up as a live tag."""
    return str(cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE))


def hostile_report() -> EvaluationReport:
    """Model labels and deployment names built to become links, images and HTML."""
    evil = ModelInfo(label=EVIL_LABEL, role="candidate", deployment="www.e.vil", model="https://e.vil/m")
    given = answers()
    return build_report(
        parse_evaluation_options({"baseline_deployment": "www.e.vil"}, "run.json"),
        read_eval_examples(io.BytesIO(eval_jsonl()), 100),
        is_validation_file=True,
        models=(MODELS[0], evil),
        answers={"baseline": given["baseline"], EVIL_LABEL: given["final"]},
    )


def test_the_section_starts_with_the_decision(report: EvaluationReport) -> None:
    markdown = render_evaluation_markdown(report)
    lines = markdown.splitlines()
    assert lines[:4] == [
        "## Evaluation",
        "",
        "**✅ Promoted: final**",
        "",
    ]
    assert lines[4].startswith(
        "Promoted: final scores 0.706 on token\\_f1 and the baseline 0.133 over 4 examples"
    )
    assert "![Scores per grader with 95% intervals](evaluation.svg)" in lines
    assert "- **Judge prompt:** llm\\_judge.v1" in lines
    assert "evaluation.svg" not in render_evaluation_markdown(report, chart=None)


def test_a_table_per_grader_with_baseline_candidates_differences_and_intervals(
    report: EvaluationReport,
) -> None:
    markdown = render_evaluation_markdown(report)
    section = markdown.split("### token\\_f1 (primary): 4 examples\n\n")[1].split("\n\n")[0].splitlines()
    assert section[0] == (
        "| Model | Mean | 95% CI | Difference vs baseline | 95% CI of difference | Wins / ties / losses |"
    )
    summary = report.graders[1]
    final, baseline = summary.comparison("final"), summary.baseline
    assert final is not None and baseline is not None
    low, high = baseline.interval.low, baseline.interval.high
    assert section[2] == f"| baseline | 0.133 | {low:.3f} to {high:.3f} | — | — | — |"
    assert section[3].startswith("| final | 0.706 | ")
    assert section[3].endswith(
        f"| +0.573 | {final.interval.low:+.3f} to {final.interval.high:+.3f} | 3 / 0 / 1 |"
    )
    assert section[4].startswith("| best\\_checkpoint | 0.312 | ")
    headings = [line for line in markdown.splitlines() if line.startswith("### ")]
    assert len(headings) == 5  # three graders, tokens, worst examples
    assert "| **Total** |  | **20** | **3,240** | **692** |" in markdown


def test_github_renders_tables_and_code_but_no_link_image_or_html(report: EvaluationReport) -> None:
    page = github_html(render_evaluation_markdown(report, chart=None))
    assert page.count("<table>") == 4
    assert not re.search(r"<(a|img|b|script)\b", page)
    # the hostile answer and the backticks are shown as text inside a code block
    (block,) = [
        code for code in re.findall(r"<pre[^>]*><code>(.*?)</code></pre>", page, re.S) if "Gold" in code
    ]
    assert "```` Gold ````" in block and "&lt;img src=x onerror=alert(1)&gt;" in block
    assert page.count("<pre ") == 4  # prompt, reference and both answers of the one loss


def test_labels_and_reasons_are_escaped_in_running_text() -> None:
    markdown = render_evaluation_markdown(hostile_report(), chart=None)
    page = github_html(markdown)
    assert not re.search(r"<(a|img|b)\b", page), page
    assert "⚠️ **The eval set is the validation file**" in markdown
    assert "&lt;b&gt;x&lt;/b&gt;" in page  # shown, not interpreted


def test_not_promoted_and_no_losses(report: EvaluationReport) -> None:
    refused = report.model_copy(
        update={"decision": report.decision.model_copy(update={"promote": False}), "worst_examples": ()}
    )
    markdown = render_evaluation_markdown(refused)
    assert "**🚫 Not promoted**" in markdown
    assert "final scored at least as well as the baseline on every example." in markdown


def parse_svg(text: str) -> ET.Element:
    return ET.fromstring(text.encode())  # the XML declaration needs bytes


def test_the_chart_is_well_formed_with_a_bar_and_whisker_per_model_and_grader(
    report: EvaluationReport,
) -> None:
    svg = render_evaluation_svg(report)
    root = parse_svg(svg)
    assert root.tag == f"{SVG}svg"
    bars = [rect for rect in root.iter(f"{SVG}rect") if rect.get("data-model")]
    assert [bar.get("data-model") for bar in bars] == ["baseline", "final", "best_checkpoint"] * 3
    whiskers = [path for path in root.iter(f"{SVG}path") if path.get("data-model")]
    assert len(whiskers) == 9
    # bar heights are the means on the 0-1 axis
    plot = 380 - 64 - 56
    heights = [float(bar.get("height", "nan")) for bar in bars]
    assert heights[4] == pytest.approx(report.graders[1].candidate("final").mean * plot, abs=0.01)
    assert heights[6] == pytest.approx(0.375 * plot, abs=0.01)
    texts = [text.text for text in root.iter(f"{SVG}text")]
    assert "token_f1 (primary)" in texts and "exact_match" in texts
    assert render_evaluation_svg(report) == svg  # deterministic


def test_chart_text_is_escaped_and_stays_well_formed() -> None:
    report = hostile_report()
    evil = EVIL_LABEL + "<script>alert(1)</script>\x01&"
    relabelled = report.model_copy(
        update={"models": (report.models[0], report.models[1].model_copy(update={"label": evil}))}
    )
    root = parse_svg(render_evaluation_svg(relabelled, title="<title>&"))
    assert not list(root.iter(f"{SVG}script"))
    texts = [text.text or "" for text in root.iter(f"{SVG}text")]
    assert "<title>&" in texts
    assert any(text.startswith("![i](https://e.vil/a.png)<b>x</b>") for text in texts)
