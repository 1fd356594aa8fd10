"""Both Azure OpenAI API styles end to end, a Global training run, and a job paused and resumed
through this API (issue 9): the same pipeline on `/openai/v1/` (the package-scoped stack) and on
the dated `api-version` routes (a stack of its own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.stack import LocalStack
from tests.e2e.conftest import running_stack
from tests.e2e.test_runs import TRAINING, VALIDATION, jobs_of, report_of
from tests.support.emulator import EmulatorAdmin


@pytest.fixture(scope="module")
def dated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStack]:
    settings = {"AZURE_OPENAI_API_STYLE": "dated"}
    with running_stack(
        tmp_path_factory.mktemp("e2e-dated"), "e2e-dated-key", app_settings=settings
    ) as started:
        yield started


def test_a_full_run_on_the_dated_api_version_routes(dated: LocalStack) -> None:
    emulator = EmulatorAdmin(dated.emulator.url, dated.options.api_key)
    dated.upload_run("dated", {"training.jsonl": TRAINING, "validation.jsonl": VALIDATION})
    run = dated.wait_for_run("dated", timeout=180)
    assert run["result"] == "succeeded", run
    report = report_of(dated, run)
    assert report["smoke_test"]["answer"] and report["deployment"]["provisioning_state"] == "Succeeded"
    assert len(jobs_of(emulator, "dated")) == 1
    log = dated.emulator.log()
    assert "/openai/fine_tuning/jobs" in log and "/openai/v1/" not in log


def test_a_global_training_run_sends_the_training_type(stack: LocalStack, emulator: EmulatorAdmin) -> None:
    stack.upload_run(
        "global",
        {
            "run.json": b'{"training_type": "GlobalStandard"}',
            "training.jsonl": TRAINING,
            "validation.jsonl": VALIDATION,
        },
    )
    run = stack.wait_for_run("global", timeout=180)
    assert run["result"] == "succeeded", run
    [job] = jobs_of(emulator, "global")
    assert job["training_type"] == "GlobalStandard"
    report = report_of(stack, run)
    assert report["options"]["training_type"] == "GlobalStandard"
    assert (
        report["estimate"]["cost_usd"] < report["estimate"]["billed_tokens"] * 25 / 1e6
    )  # Global is cheaper


def test_a_job_paused_and_resumed_through_the_api(stack: LocalStack, emulator: EmulatorAdmin) -> None:
    stack.upload_run("pausable", {"training.jsonl": TRAINING})
    stack.wait_for_run("pausable", timeout=120, until=lambda run: (run.get("progress") or {}).get("step"))
    assert stack.api("POST", "runs/pausable/pause", {"by": "e2e"})[0] == 202
    paused = stack.wait_for_run(
        "pausable", timeout=60, until=lambda run: (run.get("job") or {}).get("status") == "paused"
    )
    assert paused["stage"] == "training"
    step = (paused.get("progress") or {}).get("step")
    for _ in range(20):  # Azure resumes a job only once its pause checkpoint is written
        assert stack.api("POST", "runs/pausable/resume", {})[0] == 202
        try:
            stack.wait_for_run(
                "pausable",
                timeout=3,
                until=lambda run: (run.get("job") or {}).get("status") not in ("paused", "pausing"),
            )
            break
        except TimeoutError:
            continue
    run = stack.wait_for_run("pausable", timeout=180)
    assert run["result"] == "succeeded", run
    controls = report_of(stack, run)["job"]["controls"]
    assert [c["action"] for c in controls][:1] == ["pause"] and "resume" in [c["action"] for c in controls]
    assert controls[0]["by"] == "e2e" and step is not None
    assert stack.api("POST", "runs/pausable/pause")[0] == 409  # not training any more
