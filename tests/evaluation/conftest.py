"""The sample evaluation report as a fixture."""

from __future__ import annotations

import pytest

from tests.evaluation.builders import sample_report
from tuning.evaluation import EvaluationReport


@pytest.fixture
def report() -> EvaluationReport:
    return sample_report()
