"""The fine-tuning run, as the business process reads: collect, validate, gate, upload, train,
choose, gate, deploy, smoke-test; then, whatever happened, release what must not keep running
and write the report.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from orchestrators.evaluation import evaluate
from orchestrators.monitor import MONITOR, MonitorInput, monitor_instance_id
from orchestrators.policies import (
    DEPLOYMENT_POLLS,
    FILE_POLLS,
    SMOKE_TEST_ATTEMPTS,
)
from orchestrators.run_state import RunState, Steps, attempt_name, iso, orchestrator, poll, run_step
from tuning.failures import PipelineError, short
from tuning.handles import (
    CONTROL_JOB,
    DEPLOY_MODEL,
    GET_DEPLOYMENT,
    GET_FILE_STATUS,
    LIST_CHECKPOINTS,
    RELEASE_RESOURCES,
    RESOLVE_RUN,
    SMOKE_TEST,
    SUBMIT_JOB,
    UPLOAD_FILE,
    VALIDATE_DATASETS,
    WRITE_REPORT,
)
from tuning.model_choice import choose_model
from tuning.paths import report_folder
from tuning.payloads import (
    ActivityOutcome,
    DeployInput,
    DeploymentRef,
    DeploymentStatus,
    FileRef,
    JobControl,
    JobControlEvent,
    JobId,
    JobStatus,
    ReleaseInput,
    ResolveInput,
    RunPlan,
    RunRequest,
    SmokeInput,
    SubmitInput,
    UploadInput,
    ValidateInput,
    event_of,
)
from tuning.reports.model import (
    DeploymentRecord,
    JobControlRecord,
    JobRecord,
    ModelChoice,
    ReportInput,
    SmokeRecord,
)

__all__ = ["PIPELINE", "blueprint"]

blueprint = df.Blueprint()
PIPELINE = "fine_tuning_run"


@orchestrator(blueprint)
def fine_tuning_run(context: df.DurableOrchestrationContext) -> Steps:
    request = RunRequest.model_validate(context.get_input(expected_type=dict))
    run = RunState(context, request, report_folder(request.run, attempt_name(context)))
    try:
        yield from train_and_deploy(run)
        run.end("succeeded")
    except PipelineError as failure:
        run.fail(failure)
    except Exception as error:  # a bug in the workflow: the run still ends with a report
        run.fail(PipelineError("internal_error", f"{type(error).__name__}: {short(str(error), 300)}"))
    yield from release(run)
    yield from write_report(run)
    return {
        "run": request.run,
        "attempt": run.attempt,
        "status": run.report.status,
        "errors": [error.model_dump() for error in run.report.errors],
        "artifacts": run.report.artifacts,
        "seen": {**request.seen, **run.report.inputs},
    }


@run_step
def train_and_deploy(run: RunState) -> Steps:
    request = run.request
    if request.source == "blob" and request.settle_seconds > 0:
        run.enter("collecting")  # let the second file of a pair land before reading the folder
        yield from run.sleep(request.settle_seconds)

    run.enter("resolving")
    plan: RunPlan = yield from run.call(RESOLVE_RUN, ResolveInput(request=request, attempt=run.attempt))
    run.report.options = plan.options
    run.report.warnings += list(plan.options.warnings)
    run.report.datasets = plan.datasets
    run.report.inputs = plan.pinned()
    run.publish()

    run.enter("validating")
    yield from validate(run, plan)
    if "training" in plan.options.approval_gates:
        yield from run.await_approval("training", plan.options.approval_timeout_hours)

    run.enter("uploading")
    training_sets = [d for d in plan.datasets if d.kind in ("training", "validation")]
    uploads = yield from run.call_all(UPLOAD_FILE, [UploadInput(dataset=d) for d in training_sets])
    run.report.files = {upload.kind: upload for upload in uploads}
    yield from wait_until_processed(run, plan)

    run.enter("submitting")
    files = run.report.files
    submitted = yield from run.call(
        SUBMIT_JOB,
        SubmitInput(
            run_key=run.run_key,
            training_file=files["training"].id,
            validation_file=files["validation"].id if "validation" in files else None,
            options=plan.options,
        ),
    )
    run.report.job = JobRecord(id=submitted.id, reused=submitted.reused, status="submitted")
    run.publish()

    run.enter("training")
    final = yield from train(run, submitted.id, plan)

    run.enter("choosing_model")
    choice = yield from choose(run, final, plan)
    model = choice.model
    if plan.options.evaluation is not None:
        run.enter("evaluating")
        model = yield from evaluate(run, plan, final)
    if "deployment" in plan.options.approval_gates:  # after the evaluation: a person decides with the numbers
        yield from run.await_approval("deployment", plan.options.approval_timeout_hours)

    run.enter("deploying")
    yield from deploy(run, plan, model)

    run.enter("smoke_testing")
    yield from smoke_test(run, plan)


@run_step
def validate(run: RunState, plan: RunPlan) -> Steps:
    """Stop bad data before any money is spent; every bad line is in the validation reports."""
    options = plan.options
    result = yield from run.call(
        VALIDATE_DATASETS,
        ValidateInput(
            datasets=plan.datasets,
            model=options.base_model,
            method=options.method,
            training_type=options.training_type,
            n_epochs=options.n_epochs,
            report_folder=plan.report_folder,
        ),
    )
    run.report.validation = {summary.kind: summary for summary in result.files}
    invalid = [s for s in result.files if not s.valid]
    if invalid:
        raise PipelineError(
            "invalid_data",
            "; ".join(
                f"{s.file}: {s.error_count} error(s) ({', '.join(sorted(s.errors_by_code))})" for s in invalid
            ),
        )
    training = result.of("training")
    assert training is not None  # resolve always pins a training file
    run.report.estimate = training.estimate
    check_cost(training.cost_usd, training.estimate, plan)


def check_cost(cost: float | None, estimate: dict[str, Any], plan: RunPlan) -> None:
    ceiling = plan.options.max_cost_usd
    if ceiling is None:
        return
    if cost is None:
        raise PipelineError(
            "cost_unknown",
            f"a cost ceiling of ${ceiling:.2f} is set but there is no training price for "
            f"{plan.options.base_model} ({plan.options.training_type}); set FT_TRAINING_PRICES",
        )
    if cost > ceiling:
        raise PipelineError(
            "cost_ceiling_exceeded",
            f"estimated training cost ${cost:.2f} ({estimate.get('billed_tokens')} billed tokens) "
            f"is above the ceiling of ${ceiling:.2f}",
        )


@run_step
def wait_until_processed(run: RunState, plan: RunPlan) -> Steps:
    """Azure processes an uploaded file before a job may use it."""

    def processed() -> Steps:
        pending = [f.id for f in run.report.files.values() if f.status != "processed"]
        if not pending:
            return True, None
        statuses = yield from run.call_all(GET_FILE_STATUS, [FileRef(file_id=file_id) for file_id in pending])
        rejected = [s for s in statuses if s.status == "error"]
        if rejected:
            raise PipelineError("file_rejected", "; ".join(f"{s.id}: {s.error}" for s in rejected))
        done = {s.id for s in statuses if s.status == "processed"}
        run.report.files = {
            kind: f.model_copy(update={"status": "processed"}) if f.id in done else f
            for kind, f in run.report.files.items()
        }
        return len(done) == len(pending), None

    yield from poll(
        run,
        processed,
        attempts=FILE_POLLS,
        interval=plan.options.poll_min_seconds,
        give_up=PipelineError("file_processing_timeout", "the uploaded files were not processed in time"),
    )


@run_step
def train(run: RunState, job_id: str, plan: RunPlan) -> Steps:
    """Race the monitor against the deadline and a cancel, and pass pause/resume requests on."""
    context = run.context
    options = plan.options
    deadline = context.create_timer(context.current_utc_datetime + timedelta(hours=options.job_timeout_hours))
    watcher = context.call_sub_orchestrator(
        MONITOR,
        MonitorInput(
            job_id=job_id,
            interval_seconds=options.poll_min_seconds,
            max_interval_seconds=options.poll_max_seconds,
        ).dump(),
        instance_id=monitor_instance_id(context.instance_id, run.attempt),
        expected_type=dict,
    )
    control = run.job_control()
    while True:
        winner = yield context.task_any([watcher, deadline, run.cancel, control])
        if winner is run.cancel:
            raise PipelineError("cancelled", "cancelled on request during training")
        if winner is deadline:
            raise PipelineError(
                "deadline_exceeded",
                f"the job did not finish within {options.job_timeout_hours:g} hours (FT_JOB_TIMEOUT_HOURS); "
                "it was cancelled",
            )
        if winner is control:
            yield from pass_on(run, job_id, control.result)
            control = run.job_control()
            continue
        deadline.cancel()
        break
    if isinstance(watcher.result, Exception):
        raise PipelineError(
            "service_unavailable", f"watching job {job_id} failed: {short(str(watcher.result), 300)}"
        )
    final = ActivityOutcome.model_validate(watcher.result).unwrap(JobStatus)
    run.track_job(final)
    run.result_file = final.result_files[0] if final.result_files else None
    if final.status == "cancelled":
        raise PipelineError("job_cancelled", f"fine-tuning job {job_id} was cancelled outside the pipeline")
    if final.status != "succeeded":
        error = final.error
        raise PipelineError(
            "job_failed",
            error.message if error and error.message else f"fine-tuning job {job_id} ended {final.status}",
            service_code=error.service_code if error else None,
        )
    return final


@run_step
def pass_on(run: RunState, job_id: str, request: Any) -> Steps:
    """A pause or resume asked through the API: sent to Azure, recorded in the report."""
    control = event_of(JobControlEvent, request)
    if control is None:
        return
    record = JobControlRecord(action=control.action, at=iso(run.context), by=control.by)
    try:
        status = yield from run.call(CONTROL_JOB, JobControl(job_id=job_id, action=control.action))
    except PipelineError as failure:
        if failure.code == "cancelled":
            raise
        record.status = f"not done ({failure.code}): {failure.message}"  # the job trains on; the run too
    else:
        run.track_job(status)
        record.status = status.status
    assert run.report.job is not None
    run.report.job.controls.append(record)
    run.publish()


@run_step
def choose(run: RunState, final: JobStatus, plan: RunPlan) -> Steps:
    if not final.fine_tuned_model:
        raise PipelineError("no_model", f"job {final.id} succeeded without a fine-tuned model")
    checkpoints = None
    if plan.options.model_choice == "best_checkpoint":
        checkpoints = yield from run.call(LIST_CHECKPOINTS, JobId(job_id=final.id))
    choice: ModelChoice = choose_model(plan.options.model_choice, final.fine_tuned_model, checkpoints)
    run.report.model_choice = choice
    return choice


@run_step
def deploy(run: RunState, plan: RunPlan, model: str) -> Steps:
    """Create or update the production deployment; remember what it served before, so a run that
    does not succeed can put it back."""
    options = plan.options
    name = options.deployment_name
    current: DeploymentStatus = yield from run.call(GET_DEPLOYMENT, DeploymentRef(name=name))
    if current.exists and not current.managed:
        raise PipelineError(
            "deployment_not_managed",
            f"deployment {name} exists and was not created by this service; it was left as it is",
        )
    replaced = current.model if current.exists and current.model != model else None
    run.report.deployment = DeploymentRecord(
        name=name,
        model=model,
        sku=options.deployment_sku,
        capacity=options.deployment_capacity,
        created=not current.exists,
        replaced_model=replaced,
    )
    request = DeployInput(
        name=name,
        model=model,
        sku=options.deployment_sku,
        capacity=options.deployment_capacity,
        run_key=run.run_key,
        role="production",
        replaces=replaced,
    )
    yield from run.call(DEPLOY_MODEL, request)

    def ready() -> Steps:
        status = yield from run.call(GET_DEPLOYMENT, DeploymentRef(name=name))
        assert run.report.deployment is not None
        run.report.deployment.provisioning_state = status.provisioning_state
        if status.provisioning_state == "Succeeded":
            return True, status
        if not status.exists or status.provisioning_state in ("Failed", "Canceled", "Deleting", "Disabled"):
            raise PipelineError(
                "deployment_failed", f"deployment {name} is {status.provisioning_state or 'gone'}"
            )
        return False, status

    yield from poll(
        run,
        ready,
        attempts=DEPLOYMENT_POLLS,
        interval=options.poll_min_seconds,
        give_up=PipelineError("deployment_timeout", f"deployment {name} was not ready in time"),
    )


@run_step
def smoke_test(run: RunState, plan: RunPlan) -> Steps:
    """Azure refuses chat for a while after provisioning succeeds: ask again after durable timers
    (not inside the activity), a bounded number of times."""
    request = SmokeInput(deployment=plan.options.deployment_name, messages=plan.options.smoke_test_messages)
    attempts = 0

    def answered() -> Steps:
        nonlocal attempts
        attempts += 1
        result = yield from run.call(SMOKE_TEST, request)
        if result.ok:
            run.report.smoke_test = SmokeRecord(
                messages=request.messages,
                answer=result.answer,
                latency_ms=result.latency_ms,
                usage=result.usage,
                attempts=attempts,
            )
        return result.ok, result

    yield from poll(
        run,
        answered,
        attempts=SMOKE_TEST_ATTEMPTS,
        interval=plan.options.poll_min_seconds,
        give_up=PipelineError(
            "smoke_test_failed",
            f"deployment {request.deployment} was still not serving after {SMOKE_TEST_ATTEMPTS} attempts",
        ),
    )


@run_step
def release(run: RunState) -> Steps:
    """Nothing keeps billing after the run: unfinished jobs are cancelled, temporary deployments
    deleted, and a run that did not succeed leaves production as it found it. Found through
    Azure by the run key, so a job whose submit answer was lost to a cancel is found too."""
    if run.report.job is None and run.report.deployment is None and not run.report.files:
        return  # nothing was sent to Azure that could still run
    try:
        released = yield from run.call(
            RELEASE_RESOURCES,
            ReleaseInput(run_key=run.run_key, keep_production=run.report.status == "succeeded"),
        )
    except PipelineError as failure:
        run.report.cleanup.append(
            f"could not release the run's resources ({failure.code}): {failure.message}"
        )
        run.report.warnings.append("the reconciler will retry the clean-up")
        return
    notes = [f"cancelled fine-tuning job {job_id}" for job_id in released.cancelled_jobs]
    notes += [f"deleted deployment {name}" for name in released.deleted_deployments]
    notes += [
        f"restored deployment {name} to {model}" for name, model in released.restored_deployments.items()
    ]
    run.report.cleanup.extend(notes)
    deployment = run.report.deployment
    if deployment is not None:
        deployment.removed = deployment.name in released.deleted_deployments
        deployment.restored_model = released.restored_deployments.get(deployment.name)
    if run.report.job is not None and run.report.job.id in released.cancelled_jobs:
        run.report.job.status = "cancelled"
    run.publish()


@run_step
def write_report(run: RunState) -> Steps:
    written = yield from run.call(WRITE_REPORT, ReportInput(report=run.report, result_file=run.result_file))
    run.report.artifacts = written.artifacts
    run.report.late_files = written.late_files
    run.publish(report=run.report.report_folder)
