"""report.schema.json: published beside the README for users who parse report.json."""

from __future__ import annotations

import json

import jsonschema
import pytest

import function_app
from local.host.durable.testing import OrchestrationHarness, ScriptedEvent
from local.processes import REPO
from orchestrators.pipeline import PIPELINE
from tests.pipeline.fake_azure import FakeAzure
from tuning.reports.model import report_json_schema

PUBLISHED = REPO / "report.schema.json"


def test_the_published_schema_is_the_models_schema() -> None:
    assert json.loads(PUBLISHED.read_text()) == report_json_schema(), (
        "report.schema.json is stale: run `python -m tuning.reports > report.schema.json`"
    )


@pytest.mark.parametrize(
    ("scenario", "status"),
    [
        ({}, "succeeded"),
        ({"valid": False}, "failed"),
        ({"job_outcome": "failed"}, "failed"),
        ({"options": {"approval": "deployment"}, "events": "reject"}, "rejected"),
        ({"job_polls": 1000, "events": "cancel"}, "cancelled"),
    ],
)
def test_every_kind_of_report_validates_against_the_published_schema(scenario: dict, status: str) -> None:
    events = {
        "reject": [
            ScriptedEvent(
                "approval", {"approved": False}, when=lambda s: "awaiting" in str(s["customStatus"])
            )
        ],
        "cancel": [
            ScriptedEvent("cancel", {}, when=lambda s: (s["customStatus"] or {}).get("stage") == "training")
        ],
    }.get(scenario.pop("events", ""), [])
    fake = FakeAzure(**scenario)
    result = OrchestrationHarness(function_app.app, fake.activities()).run(
        PIPELINE, {"run": "demo", "source": "http"}, instance_id="ft-demo", events=events
    )
    assert result.output["status"] == status
    document = fake.reports[-1].model_dump(mode="json")
    jsonschema.validate(document, json.loads(PUBLISHED.read_text()))
