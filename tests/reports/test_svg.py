"""render_loss_svg: a standalone, deterministic SVG loss curve."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from tuning.reports import StepMetric, render_loss_svg

SVG = "{http://www.w3.org/2000/svg}"


def metrics() -> list[StepMetric]:
    """Ten steps; validation measured at steps 1, 5 and 10 only."""
    return [
        StepMetric(step, 3.0 / step, 0.4 + step / 100, 3.2 / step if step in (1, 5, 10) else None, None)
        for step in range(1, 11)
    ]


def polylines(svg: str) -> dict[str, list[tuple[float, float]]]:
    """Each data series' points, parsed from the document (also proves it is well-formed XML)."""
    root = ET.fromstring(svg)
    return {
        line.get("data-series", ""): [
            (float(pair.split(",")[0]), float(pair.split(",")[1])) for pair in line.get("points", "").split()
        ]
        for line in root.iter(f"{SVG}polyline")
        if line.get("data-series")
    }


def texts(svg: str) -> list[str]:
    return [element.text or "" for element in ET.fromstring(svg).iter(f"{SVG}text")]


def test_is_a_standalone_svg_document() -> None:
    svg = render_loss_svg(metrics())
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert "<script" not in svg and "@import" not in svg and "href" not in svg


def test_one_point_per_measured_value() -> None:
    lines = polylines(render_loss_svg(metrics()))
    assert len(lines["Training loss"]) == 10
    assert len(lines["Validation loss"]) == 3


def test_validation_points_sit_at_the_measured_steps() -> None:
    lines = polylines(render_loss_svg(metrics()))
    x_by_step = {step: x for step, (x, _) in zip(range(1, 11), lines["Training loss"], strict=True)}
    assert [x for x, _ in lines["Validation loss"]] == [x_by_step[1], x_by_step[5], x_by_step[10]]


def test_lower_loss_is_drawn_higher_up() -> None:
    train = polylines(render_loss_svg(metrics()))["Training loss"]
    assert [y for _, y in train] == sorted(y for _, y in train)  # SVG y grows downwards


def test_axes_legend_and_title_are_labelled() -> None:
    labels = texts(render_loss_svg(metrics(), title="Run demo"))
    assert {"Run demo", "Step", "Loss", "Training loss", "Validation loss"} <= set(labels)


def test_ticks_are_round_values_spanning_the_data() -> None:
    root = ET.fromstring(render_loss_svg(metrics()))
    labels = [
        (text.get("text-anchor"), text.text)
        for text in root.iter(f"{SVG}text")
        if (text.text or " ")[0].isdigit()
    ]
    assert [label for anchor, label in labels if anchor == "end"] == [
        "0",
        "1",
        "2",
        "3",
        "4",
    ]  # loss 0.3 .. 3.2
    assert [label for anchor, label in labels if anchor == "middle"] == [
        "0",
        "2",
        "4",
        "6",
        "8",
        "10",
    ]  # steps 1 .. 10


def test_small_loss_ranges_get_decimal_ticks() -> None:
    flat = [StepMetric(step, 0.31 + step / 1000, None, None, None) for step in range(1, 6)]
    root = ET.fromstring(render_loss_svg(flat))
    assert [text.text for text in root.iter(f"{SVG}text") if text.get("text-anchor") == "end"] == [
        "0.311",
        "0.312",
        "0.313",
        "0.314",
        "0.315",
    ]


def test_title_is_escaped() -> None:
    title = 'loss <of> "A&B" run'
    svg = render_loss_svg(metrics(), title=title)
    assert "<of>" not in svg and "A&B" not in svg
    assert title in texts(svg)
    element = ET.fromstring(svg).find(f"{SVG}title")
    assert element is not None and element.text == title


def test_same_input_same_bytes() -> None:
    assert render_loss_svg(metrics()) == render_loss_svg(list(metrics()))


def test_no_validation_series_when_nothing_was_validated() -> None:
    train_only = [StepMetric(step, 1.0 / step, None, None, None) for step in (1, 2, 3)]
    svg = render_loss_svg(train_only)
    assert set(polylines(svg)) == {"Training loss"}
    assert "Validation loss" not in texts(svg)


def test_single_step_still_renders() -> None:
    lines = polylines(render_loss_svg([StepMetric(4, 0.5, None, 0.5, None)]))
    assert len(lines["Training loss"]) == 1 and len(lines["Validation loss"]) == 1


def test_empty_data_gives_a_placeholder() -> None:
    for data in (
        [],
        [StepMetric(1, None, None, None, None)],
        [StepMetric(1, float("nan"), None, None, None)],
    ):
        svg = render_loss_svg(data, title="Run <x>")
        assert polylines(svg) == {}
        assert {"no metrics", "Run <x>"} <= set(texts(svg))
