"""RunState's guard rails, through the real replay path on a tiny app of their own."""

from __future__ import annotations

import azure.durable_functions as df

from local.host.durable.testing import OrchestrationHarness
from orchestrators.run_state import RunState, Steps, orchestrator, run_step
from tuning.failures import PipelineError
from tuning.payloads import RunRequest

app = df.DFApp()
blueprint = df.Blueprint()


@run_step
def settle(run: RunState) -> Steps:
    yield from run.sleep(5)


@orchestrator(blueprint)
def forgets_yield_from(context: df.DurableOrchestrationContext) -> Steps:
    run = RunState(context, RunRequest(run="r", source="http"), "runs/r/x/")
    try:
        settle(run)  # the bug: without `yield from` this would silently do nothing
        yield from run.sleep(1)
        run.end("succeeded")
    except Exception as error:
        run.fail(PipelineError("internal_error", str(error)))
    return run.report.model_dump(mode="json")


@orchestrator(blueprint)
def remembers_yield_from(context: df.DurableOrchestrationContext) -> Steps:
    run = RunState(context, RunRequest(run="r", source="http"), "runs/r/x/")
    yield from settle(run)
    run.end("succeeded")
    return run.report.model_dump(mode="json")


app.register_functions(blueprint)


def test_a_helper_called_without_yield_from_fails_the_run_loudly() -> None:
    result = OrchestrationHarness(app).run("forgets_yield_from", None)
    report = result.output
    assert report["status"] == "failed"
    assert report["errors"][0]["code"] == "internal_error"
    assert "settle was called without `yield from`" in report["errors"][0]["message"]


def test_a_helper_driven_with_yield_from_runs() -> None:
    result = OrchestrationHarness(app).run("remembers_yield_from", None)
    assert result.output["status"] == "succeeded"
    timers = [e for e in result.history if e["EventType"] == df.models.history.HistoryEventType.TIMER_CREATED]
    assert len(timers) == 1
