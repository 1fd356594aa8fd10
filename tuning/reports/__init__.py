"""Run reports: the model (report.json), the Markdown summary people read, the charts."""

from tuning.reports.loss_chart import render_loss_svg
from tuning.reports.markdown import render_markdown
from tuning.reports.metrics import StepMetric, metrics_summary, parse_step_metrics
from tuning.reports.model import RunReport, report_json_schema

__all__ = [
    "RunReport",
    "StepMetric",
    "metrics_summary",
    "parse_step_metrics",
    "render_loss_svg",
    "render_markdown",
    "report_json_schema",
]
