"""Each activity against Azurite and the emulator, through the app's registered functions.

Activities run at least once, so the tests call them twice and count the side effects in the
emulator: one upload per dataset, one job, one deployment. A fault proxy between the clients and
the emulator loses answers after the emulator acted, which is when a careless retry makes two.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from typing import Any

import openai
import pytest
from azure.core.exceptions import ServiceRequestError, ServiceResponseError

from tests.pipeline.conftest import SAMPLE, activity, upload_run
from tests.support.emulator import EmulatorAdmin
from tests.support.fault_proxy import Fault, FaultProxy
from tuning import handles
from tuning.clients import Clients
from tuning.fine_tuning import upload_dataset
from tuning.handles import Activity
from tuning.payloads import (
    DeployInput,
    DeploymentRef,
    FileRef,
    JobControl,
    JobId,
    Payload,
    PinnedBlob,
    ReleaseInput,
    ResolveInput,
    RunPlan,
    RunRequest,
    SmokeInput,
    SubmitInput,
    UploadInput,
    ValidateInput,
)
from tuning.reports.model import ReportInput, RunReport

ATTEMPT = "20261129T010000Z"
TRAINING = (SAMPLE / "training.jsonl").read_bytes()
VALIDATION = (SAMPLE / "validation.jsonl").read_bytes()


def outcome(handle: Activity[Any, Any], request: Payload) -> dict[str, Any]:
    return activity(handle.name)(request.dump())


def result_of(handle: Activity[Any, Any], request: Payload) -> Any:
    answer = outcome(handle, request)
    assert answer["failure"] is None, answer
    return handle.output.model_validate(answer["result"])


def failure_of(handle: Activity[Any, Any], request: Payload) -> dict[str, Any]:
    answer = outcome(handle, request)
    assert answer["result"] is None, answer
    return answer["failure"]


def resolve(run: str, **request: Any) -> RunPlan:
    return result_of(
        handles.RESOLVE_RUN,
        ResolveInput(request=RunRequest(run=run, source="blob", **request), attempt=ATTEMPT),
    )


def validate(plan: RunPlan) -> dict[str, Any]:
    request = ValidateInput(
        datasets=plan.datasets,
        model=plan.options.base_model,
        method=plan.options.method,
        training_type=plan.options.training_type,
        n_epochs=None,
        report_folder=plan.report_folder,
    )
    return outcome(handles.VALIDATE_DATASETS, request)


def wait_processed(file_ids: list[str]) -> None:
    for _ in range(100):
        statuses = [result_of(handles.GET_FILE_STATUS, FileRef(file_id=f)).status for f in file_ids]
        if all(status == "processed" for status in statuses):
            return
        time.sleep(0.1)
    raise AssertionError(f"files never processed: {statuses}")


def submit_input(plan: RunPlan, training: str, validation: str | None = None) -> SubmitInput:
    return SubmitInput(
        run_key=f"ft-{plan.run}/{ATTEMPT}",
        training_file=training,
        validation_file=validation,
        options=plan.options,
    )


def uploaded_and_processed(plan: RunPlan) -> list[str]:
    ids = [result_of(handles.UPLOAD_FILE, UploadInput(dataset=d)).id for d in plan.datasets]
    wait_processed(ids)
    return ids


def test_resolve_run_reads_the_folder_and_run_json_and_pins_every_dataset(clients: Clients) -> None:
    upload_run(
        clients,
        "lab",
        {
            "training.jsonl": TRAINING,
            "validation.jsonl": VALIDATION,
            "run.json": b'{"seed": 105, "suffix": "clippy"}',
        },
    )
    plan = resolve("lab")
    assert [d.kind for d in plan.datasets] == ["training", "validation"]
    assert plan.datasets[0].sha256 == hashlib.sha256(TRAINING).hexdigest()
    assert plan.datasets[0].etag == clients.store.etag("incoming/lab/training.jsonl")
    assert plan.options_etag == clients.store.etag("incoming/lab/run.json")
    assert plan.options.seed == 105 and plan.options.suffix == "clippy"
    assert plan.report_folder == f"runs/lab/{ATTEMPT}/"
    assert set(plan.pinned()) == {
        f"incoming/lab/{name}" for name in ("training.jsonl", "validation.jsonl", "run.json")
    }


def test_resolve_run_names_the_file_of_a_bad_option(clients: Clients) -> None:
    upload_run(clients, "typo", {"training.jsonl": TRAINING, "run.json": b'{"sufix": "x"}'})
    failure = failure_of(
        handles.RESOLVE_RUN, ResolveInput(request=RunRequest(run="typo", source="blob"), attempt=ATTEMPT)
    )
    assert failure["code"] == "invalid_options"
    assert "incoming/typo/run.json" in failure["message"] and "sufix" in failure["message"]


@pytest.mark.parametrize(
    ("run_json", "code"),
    [
        (b'{"deployment": {"name": "prod-chat"}}', "option_not_allowed"),
        (b'{"deployment": {"sku": "ProvisionedManaged", "capacity": 1000}}', "option_not_allowed"),
        (b'{"hyperparameters": {"n_epochs": 200}}', "invalid_options"),
        (b'{"deployment": {"sku": "Gold"}}', "invalid_options"),
        (b'{"max_cost_usd": 1e300, "approval": "none"}', None),
        (b"[" * 3000 + b"]" * 3000, "invalid_options"),
    ],
)
def test_hostile_run_json_fails_before_anything_is_uploaded(
    clients: Clients, admin: EmulatorAdmin, monkeypatch: pytest.MonkeyPatch, run_json: bytes, code: str | None
) -> None:
    from tuning.clients import shared_clients

    monkeypatch.setenv("FT_MAX_COST_USD", "50")
    monkeypatch.setenv("FT_REQUIRE_APPROVAL", "training")
    shared_clients.cache_clear()
    upload_run(clients, "hostile", {"training.jsonl": TRAINING, "run.json": run_json})
    request = ResolveInput(request=RunRequest(run="hostile", source="blob"), attempt=ATTEMPT)
    if code is None:  # accepted, but the operator's limits stay the ceilings
        plan = result_of(handles.RESOLVE_RUN, request)
        assert plan.options.max_cost_usd == 50 and plan.options.approval_gates == ("training",)
        return
    assert failure_of(handles.RESOLVE_RUN, request)["code"] == code
    assert admin.state()["files"] == []


def test_resolve_run_without_training_data_fails_permanently(clients: Clients) -> None:
    upload_run(clients, "empty", {"validation.jsonl": VALIDATION})
    request = ResolveInput(request=RunRequest(run="empty", source="blob"), attempt=ATTEMPT)
    assert failure_of(handles.RESOLVE_RUN, request)["code"] == "missing_training_file"


def test_validation_summary_and_full_report_blob(clients: Clients) -> None:
    bad_lines = b'{"messages": [{"role": "user", "content": "hi"}]}\nnot json\n'
    upload_run(clients, "bad", {"training.jsonl": bad_lines + TRAINING})
    answer = validate(resolve("bad"))
    summary = answer["result"]["files"][0]
    assert summary["valid"] is False
    assert {(e["line"], e["code"]) for e in summary["errors"]} >= {
        (1, "no_assistant_message"),
        (2, "invalid_json"),
    }
    full = json.loads(clients.store.container.download_blob(summary["report_blob"]).readall())
    assert full["file"] == "incoming/bad/training.jsonl" and full["valid"] is False


# -- what was validated is what is trained (issue 8, finding 1) --------------------------------


def test_a_dataset_replaced_after_validation_is_never_uploaded(
    clients: Clients, admin: EmulatorAdmin
) -> None:
    upload_run(clients, "swap", {"training.jsonl": TRAINING})
    plan = resolve("swap")
    assert validate(plan)["result"]["files"][0]["valid"]
    swapped = (
        TRAINING
        + b'{"messages": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}]}\n' * 500
    )
    upload_run(clients, "swap", {"training.jsonl": swapped})
    failure = failure_of(handles.UPLOAD_FILE, UploadInput(dataset=plan.datasets[0]))
    assert failure["code"] == "dataset_changed" and "incoming/swap/training.jsonl" in failure["message"]
    assert admin.state()["files"] == []
    assert validate(plan)["failure"]["code"] == "dataset_changed"  # a late re-validation refuses too


def test_an_upload_of_the_same_name_but_other_bytes_is_not_reused(
    clients: Clients, admin: EmulatorAdmin
) -> None:
    upload_run(clients, "poison", {"training.jsonl": TRAINING})
    plan = resolve("poison")
    dataset = plan.datasets[0]
    poisoned = b"x" * (dataset.size * 3)
    clients.openai.files.create(
        file=(f"{dataset.sha256}.jsonl", poisoned, "application/jsonl"), purpose="fine-tune"
    )
    honest = result_of(handles.UPLOAD_FILE, UploadInput(dataset=dataset))
    assert not honest.reused
    ours = [f for f in admin.state()["files"] if f["id"] == honest.id]
    assert ours and ours[0]["bytes"] == len(TRAINING)


def test_a_pinned_stream_refuses_bytes_that_do_not_match_the_hash(clients: Clients) -> None:
    upload_run(clients, "hash", {"training.jsonl": TRAINING})
    dataset = resolve("hash").datasets[0]
    wrong = dataset.model_copy(update={"sha256": "0" * 64})
    with (
        pytest.raises(Exception, match="no longer holds the bytes"),
        clients.store.open_pinned(wrong) as stream,
    ):
        stream.read()


# -- idempotent side effects -------------------------------------------------------------------


def test_upload_and_submit_twice_make_one_file_each_and_one_job(
    clients: Clients, admin: EmulatorAdmin
) -> None:
    upload_run(clients, "twice", {"training.jsonl": TRAINING, "validation.jsonl": VALIDATION})
    plan = resolve("twice")
    first = [result_of(handles.UPLOAD_FILE, UploadInput(dataset=d)) for d in plan.datasets]
    again = [result_of(handles.UPLOAD_FILE, UploadInput(dataset=d)) for d in plan.datasets]
    assert [u.id for u in first] == [a.id for a in again] and all(a.reused for a in again)
    assert len(admin.state()["files"]) == 2
    wait_processed([u.id for u in first])
    submit = submit_input(plan, first[0].id, first[1].id)
    one, two = result_of(handles.SUBMIT_JOB, submit), result_of(handles.SUBMIT_JOB, submit)
    assert one.id == two.id and two.reused
    assert len(admin.state()["jobs"]) == 1


def test_a_400_from_the_service_is_a_permanent_failure_with_the_service_code(clients: Clients) -> None:
    upload_run(clients, "nofile", {"training.jsonl": TRAINING})
    plan = resolve("nofile")
    failure = failure_of(handles.SUBMIT_JOB, submit_input(plan, "file-does-not-exist"))
    assert failure["code"] == "service_error" and "file-does-not-exist" in failure["message"]


def test_large_datasets_go_through_the_uploads_api_and_are_reused_too(
    clients: Clients, admin: EmulatorAdmin
) -> None:
    upload_run(clients, "big", {"training.jsonl": TRAINING})
    dataset = resolve("big").datasets[0]
    first = upload_dataset(clients.openai, dataset, clients.store.open_pinned, threshold=100, part_size=1024)
    uploads = admin.state()["uploads"]
    assert (
        len(uploads) == 1 and uploads[0]["file_id"] == first.id and uploads[0]["bytes"] == dataset.size > 1024
    )
    wait_processed([first.id])
    again = upload_dataset(clients.openai, dataset, clients.store.open_pinned, threshold=100, part_size=1024)
    assert again.reused and again.id == first.id and len(admin.state()["uploads"]) == 1


# -- a lost answer never makes a second resource (issue 8, finding 2) --------------------------


@pytest.fixture
def proxy(
    pipeline_emulator: Any, monkeypatch: pytest.MonkeyPatch, app_env: dict[str, str]
) -> Iterator[FaultProxy]:
    """The app's clients talk to the emulator through a fault proxy."""
    from tuning.clients import shared_clients

    with FaultProxy(pipeline_emulator.url) as faults:
        monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", faults.url)
        monkeypatch.setenv("AZURE_RESOURCE_MANAGER_ENDPOINT", faults.url)
        shared_clients.cache_clear()
        shared_clients().store.ensure_container()
        yield faults
        shared_clients.cache_clear()


def retried(handle: Activity[Any, Any], request: Payload) -> Any:
    """The lost answer surfaces as a transient error; Durable Functions then runs the activity again."""
    with pytest.raises((openai.APIConnectionError, ServiceRequestError, ServiceResponseError)):
        outcome(handle, request)
    return result_of(handle, request)


def test_a_lost_answer_to_a_file_upload_leaves_one_file(proxy: FaultProxy, admin: EmulatorAdmin) -> None:
    from tuning.clients import shared_clients

    upload_run(shared_clients(), "lostfile", {"training.jsonl": TRAINING})
    plan = resolve("lostfile")
    fault = proxy.add(Fault("POST", r"/files$", "drop_response"))
    upload = retried(handles.UPLOAD_FILE, UploadInput(dataset=plan.datasets[0]))
    assert fault.hits == 1 and upload.reused
    assert (
        len([f for f in admin.state()["files"] if f["filename"] == f"{plan.datasets[0].sha256}.jsonl"]) == 1
    )


def test_a_lost_answer_to_completing_a_multipart_upload_leaves_one_file(
    proxy: FaultProxy, admin: EmulatorAdmin
) -> None:
    from tuning.clients import shared_clients

    clients = shared_clients()
    upload_run(clients, "lostparts", {"training.jsonl": TRAINING})
    dataset = resolve("lostparts").datasets[0]
    proxy.add(Fault("POST", r"/uploads/[^/]+/complete$", "drop_response"))
    with pytest.raises(openai.APIConnectionError):
        upload_dataset(clients.openai, dataset, clients.store.open_pinned, threshold=100, part_size=1024)
    again = upload_dataset(clients.openai, dataset, clients.store.open_pinned, threshold=100, part_size=1024)
    assert again.reused
    assert len([f for f in admin.state()["files"] if f["filename"] == f"{dataset.sha256}.jsonl"]) == 1


def test_a_lost_answer_to_job_creation_leaves_one_job(proxy: FaultProxy, admin: EmulatorAdmin) -> None:
    from tuning.clients import shared_clients

    upload_run(shared_clients(), "lostjob", {"training.jsonl": TRAINING})
    plan = resolve("lostjob")
    [training] = uploaded_and_processed(plan)
    fault = proxy.add(Fault("POST", r"/fine_tuning/jobs$", "drop_response", times=3))
    job = retried(handles.SUBMIT_JOB, submit_input(plan, training))
    assert fault.hits == 1, "the client itself must not resend a create"
    assert job.reused and len(admin.state()["jobs"]) == 1


def test_a_lost_answer_to_a_deployment_leaves_one_deployment(proxy: FaultProxy, admin: EmulatorAdmin) -> None:
    from tuning.clients import shared_clients

    model = finished_model(shared_clients(), "lostdeploy")
    fault = proxy.add(Fault("PUT", r"/deployments/ft-lostdeploy$", "drop_response"))
    request = DeployInput(
        name="ft-lostdeploy", model=model, sku="Standard", capacity=1, run_key="k/1", role="production"
    )
    retried(handles.DEPLOY_MODEL, request)
    assert fault.hits == 1
    assert [d["name"] for d in admin.state()["deployments"]].count("ft-lostdeploy") == 1


def finished_model(clients: Clients, run: str) -> str:
    upload_run(clients, run, {"training.jsonl": TRAINING, "validation.jsonl": VALIDATION})
    plan = resolve(run)
    training, validation = uploaded_and_processed(plan)
    job = result_of(handles.SUBMIT_JOB, submit_input(plan, training, validation))
    for _ in range(200):
        status = result_of(handles.GET_JOB_STATUS, JobId(job_id=job.id))
        if status.finished:
            break
        time.sleep(0.1)
    assert status.status == "succeeded" and status.fine_tuned_model
    return str(status.fine_tuned_model)


# -- the whole path, and what a run leaves behind ----------------------------------------------


def test_training_deploy_smoke_test_release_and_report(clients: Clients, admin: EmulatorAdmin) -> None:
    model = finished_model(clients, "full")
    job_id = admin.state()["jobs"][0]["id"]
    checkpoints = result_of(handles.LIST_CHECKPOINTS, JobId(job_id=job_id))
    assert checkpoints.items and all(c.model.startswith(model) for c in checkpoints.items)

    request = DeployInput(
        name="ft-full",
        model=model,
        sku="Standard",
        capacity=1,
        run_key=f"ft-full/{ATTEMPT}",
        role="production",
    )
    admin.deployment_not_ready_seconds(1.0)
    result_of(handles.DEPLOY_MODEL, request)
    result_of(handles.DEPLOY_MODEL, request)
    assert len(admin.state()["deployments"]) == 1
    status = result_of(handles.GET_DEPLOYMENT, DeploymentRef(name="ft-full"))
    assert status.managed and status.run_key == f"ft-full/{ATTEMPT}" and status.role == "production"
    smoke = SmokeInput(
        deployment="ft-full", messages=[{"role": "user", "content": "Who discovered Antarctica?"}]
    )
    for _ in range(100):
        answer = result_of(handles.SMOKE_TEST, smoke)
        if answer.ok:
            break
        time.sleep(0.1)
    assert answer.ok and answer.answer and answer.usage["total_tokens"] > 0

    kept = result_of(
        handles.RELEASE_RESOURCES, ReleaseInput(run_key=f"ft-full/{ATTEMPT}", keep_production=True)
    )
    assert kept.deleted_deployments == [] and len(admin.state()["deployments"]) == 1
    removed = result_of(
        handles.RELEASE_RESOURCES, ReleaseInput(run_key=f"ft-full/{ATTEMPT}", keep_production=False)
    )
    assert removed.deleted_deployments == ["ft-full"]

    report = RunReport(
        run="full",
        instance_id="ft-full",
        attempt=ATTEMPT,
        source="blob",
        status="succeeded",
        started="2026-11-29T01:00:00Z",
        report_folder=f"runs/full/{ATTEMPT}/",
    )
    result_file = admin.state()["jobs"][0].get("result_files", [None])[0] or _result_file(clients, job_id)
    written = result_of(handles.WRITE_REPORT, ReportInput(report=report, result_file=result_file))
    container = clients.store.container
    saved = json.loads(container.download_blob(written.artifacts["report.json"]).readall())
    RunReport.model_validate(saved)
    assert saved["metrics"]["steps"] > 0 and saved["metrics"]["final"]["train_loss"] is not None
    assert b"<svg" in container.download_blob(written.artifacts["loss.svg"]).readall()


def _result_file(clients: Clients, job_id: str) -> str:
    return str(clients.openai.fine_tuning.jobs.retrieve(job_id).result_files[0])


def test_a_deployment_this_service_did_not_create_is_never_changed(
    clients: Clients, admin: EmulatorAdmin
) -> None:
    from azure.mgmt.cognitiveservices.models import Deployment, DeploymentModel, DeploymentProperties, Sku

    target = clients.deployments
    theirs = Deployment(
        sku=Sku(name="Standard", capacity=1),
        properties=DeploymentProperties(
            model=DeploymentModel(format="OpenAI", name="gpt-4o", version="2024-08-06")
        ),
    )
    target.client.deployments.begin_create_or_update(
        target.resource_group, target.account, "ft-prod-chat", theirs, enforce_https=False
    ).result()
    model = finished_model(clients, "intruder")
    request = DeployInput(
        name="ft-prod-chat", model=model, sku="Standard", capacity=1, run_key="k/1", role="production"
    )
    assert failure_of(handles.DEPLOY_MODEL, request)["code"] == "deployment_not_managed"
    assert (
        failure_of(handles.DELETE_DEPLOYMENT, DeploymentRef(name="ft-prod-chat"))["code"]
        == "deployment_not_managed"
    )
    [deployment] = [d for d in admin.state()["deployments"] if d["name"] == "ft-prod-chat"]
    assert deployment["model"] == "gpt-4o"


def test_cancel_pause_and_resume_reach_the_job(clients: Clients) -> None:
    upload_run(clients, "steer", {"training.jsonl": TRAINING})
    plan = resolve("steer")
    [training] = uploaded_and_processed(plan)
    job = result_of(handles.SUBMIT_JOB, submit_input(plan, training))
    early = failure_of(handles.CONTROL_JOB, JobControl(job_id=job.id, action="pause"))
    assert early["code"] == "service_error"  # Azure pauses only a job that is training
    for _ in range(100):
        status = result_of(handles.GET_JOB_STATUS, JobId(job_id=job.id))
        if status.status == "running" and status.progress.step:
            break
        time.sleep(0.05)
    paused = result_of(handles.CONTROL_JOB, JobControl(job_id=job.id, action="pause"))
    assert paused.status in ("pausing", "paused")
    for _ in range(100):  # Azure writes a checkpoint while pausing; only then can the job resume
        answer = outcome(handles.CONTROL_JOB, JobControl(job_id=job.id, action="resume"))
        if answer["failure"] is None:
            break
        time.sleep(0.05)
    assert answer["failure"] is None, answer
    assert answer["result"]["status"] in ("resuming", "queued", "running")
    assert result_of(handles.CONTROL_JOB, JobControl(job_id=job.id, action="cancel")).status == "cancelled"
    assert result_of(handles.CONTROL_JOB, JobControl(job_id=job.id, action="cancel")).status == "cancelled"


def test_activity_inputs_are_checked_against_the_handle(clients: Clients) -> None:
    answer = activity(handles.UPLOAD_FILE.name)({"dataset": {"kind": "training", "path": "x"}})
    assert (
        answer["failure"]["code"] == "internal_error" and "upload_file input" in answer["failure"]["message"]
    )
    blob = PinnedBlob(kind="training", path="incoming/a/training.jsonl", sha256="0" * 64, size=3, etag="0x1")
    assert PinnedBlob.model_validate(blob.dump()) == blob


def test_an_example_is_asked_of_a_model_at_most_once(clients: Clients, admin: EmulatorAdmin) -> None:
    """A step run again after a crash reuses a kept answer; after a crash between asking and
    keeping, it does not ask again: the example is left out of the grading for every model."""
    from azure.mgmt.cognitiveservices.models import Deployment, DeploymentModel, DeploymentProperties, Sku

    from tuning.evaluation import EvaluationOptions, ModelInfo
    from tuning.payloads import AskInput, EvalPrepare, GradeInput

    target = clients.deployments
    base = Deployment(
        sku=Sku(name="GlobalStandard", capacity=1),
        properties=DeploymentProperties(
            model=DeploymentModel(format="OpenAI", name="gpt-4o", version="2024-08-06")
        ),
    )
    target.client.deployments.begin_create_or_update(
        target.resource_group, target.account, "baseline", base, enforce_https=False
    ).result()
    upload_run(
        clients, "once", {"training.jsonl": TRAINING, "eval.jsonl": (SAMPLE / "eval.jsonl").read_bytes()}
    )
    plan = resolve("once")
    eval_blob = plan.dataset("eval")
    assert eval_blob is not None and plan.options.evaluation is not None
    folder = f"{plan.report_folder}evaluation/"
    prepared = result_of(
        handles.PREPARE_EVAL_SET, EvalPrepare(dataset=eval_blob, max_examples=100, folder=folder)
    )
    ask = AskInput(
        label="baseline", deployment="baseline", index=0, examples_blob=prepared.blob, folder=folder
    )
    first, again = result_of(handles.ASK_MODEL, ask), result_of(handles.ASK_MODEL, ask)
    assert first.ok and not first.reused and again.reused and not again.lost
    clients.store.create_once(f"{folder}answers/baseline/1.json.claim")  # asked, then the worker died
    lost = result_of(handles.ASK_MODEL, ask.model_copy(update={"index": 1}))
    assert lost.ok and lost.lost
    assert sum(admin.chat_counts().values()) == 1  # one question reached the model, once
    for index in range(2, prepared.examples):
        result_of(handles.ASK_MODEL, ask.model_copy(update={"index": index}))
    graded = result_of(
        handles.GRADE_EVALUATION,
        GradeInput(
            options=EvaluationOptions(min_score=0.0),
            eval_set=prepared,
            source=eval_blob.path,
            is_validation_file=False,
            models=[ModelInfo(label="baseline", role="candidate", deployment="baseline")],
            usage=[],
            folder=folder,
        ),
    )
    assert graded.left_out == 1 and graded.report.eval_set.examples == prepared.examples - 1
