"""The fine-tuning run, as the business process reads: collect, validate, gate, upload, train,
choose, gate, deploy, smoke-test, report. Every run ends with a report, whatever happened."""

from __future__ import annotations

from datetime import timedelta

import azure.durable_functions as df

from orchestrators.monitor import MONITOR, MonitorInput, monitor_instance_id
from orchestrators.policies import (
    DEPLOYMENT_POLLS,
    FILE_POLLS,
    SHORT_WAIT_CAP_SECONDS,
    SMOKE_TEST_ATTEMPTS,
    backoff,
)
from orchestrators.run_state import Cancelled, RunState, StageFailed, Steps
from tuning.payloads import (
    DeployInput,
    ReportInput,
    ResolveInput,
    RunPlan,
    RunRequest,
    SmokeInput,
    SubmitInput,
    UploadInput,
    ValidateInput,
)

blueprint = df.Blueprint()
PIPELINE = "fine_tuning_run"


@blueprint.orchestration_trigger(context_name="context")
def fine_tuning_run(context: df.DurableOrchestrationContext):
    run = RunState(context, RunRequest.model_validate(context.get_input()))
    try:
        yield from train_and_deploy(run)
        run.end("succeeded")
    except StageFailed as failure:
        if isinstance(failure, Cancelled) or failure.code == "deadline_exceeded":
            yield from stop_job(run)
        run.end(failure.status, failure)
    except Exception as error:  # an activity still failing after every retry
        run.end("failed", StageFailed("activity_failed", str(error)[:500]))
    folder = run.report["report_folder"]
    written = yield from run.call(
        "write_report",
        ReportInput(
            report_folder=folder, report=run.report, result_file=run.report.get("result_file")
        ).dump(),
    )
    run.report["artifacts"] = written["artifacts"]
    run.publish(report=folder)
    return {
        "run": run.request.run,
        "attempt": run.attempt,
        "status": run.report["status"],
        "errors": run.report["errors"],
        "artifacts": run.report.get("artifacts"),
    }


def train_and_deploy(run: RunState) -> Steps:
    request = run.request
    if request.source == "blob" and request.settle_seconds > 0:
        run.enter("collecting")  # let the second file of a pair land before reading the folder
        yield from run.sleep(request.settle_seconds)

    run.enter("resolving")
    plan = RunPlan.model_validate(
        (yield from run.call("resolve_run", ResolveInput(request=request, attempt=run.attempt).dump()))
    )
    run.report.update(
        options=plan.options.model_dump(mode="json"), datasets=[d.dump() for d in plan.datasets]
    )

    run.enter("validating")
    yield from validate(run, plan)
    if plan.options.approval == "training":
        yield from run.await_approval("training", plan.options.approval_timeout_hours)

    run.enter("uploading")
    uploads = yield from run.call_all("upload_file", [UploadInput(dataset=d).dump() for d in plan.datasets])
    run.report["files"] = {u["kind"]: u for u in uploads}
    yield from wait_until_processed(run, uploads, plan)

    run.enter("submitting")
    files = run.report["files"]
    job = yield from run.call(
        "submit_fine_tune",
        SubmitInput(
            run_key=f"{run.context.instance_id}/{run.attempt}",
            training_file=files["training"]["id"],
            validation_file=(files.get("validation") or {}).get("id"),
            options=plan.options,
        ).dump(),
    )
    run.track_job({"id": job["id"], "status": "submitted"})
    run.report["job"] = {"id": job["id"], "reused": job["reused"]}

    run.enter("training")
    final = yield from monitor(run, job["id"], plan)
    if final["status"] != "succeeded":
        error = final.get("error") or {}
        raise StageFailed(
            error.get("code") or f"job_{final['status']}",
            error.get("message") or f"fine-tuning job {job['id']} ended {final['status']}",
        )

    run.enter("choosing_model")
    model = yield from choose_model(run, final, plan)
    if plan.options.approval == "deployment":
        yield from run.await_approval("deployment", plan.options.approval_timeout_hours)

    run.enter("deploying")
    deployment = DeployInput(
        name=plan.options.deployment_name,
        model=model,
        sku=plan.options.deployment_sku,
        capacity=plan.options.deployment_capacity,
    )
    yield from run.call("deploy_model", deployment.dump())
    yield from wait_until_deployed(run, deployment.name, plan)

    run.enter("smoke_testing")
    yield from smoke_test(run, deployment.name, plan)


def validate(run: RunState, plan: RunPlan) -> Steps:
    """Stop bad data before any money is spent; every bad line is in the validation reports."""
    n_epochs = plan.options.hyperparameters.get("n_epochs")
    summaries = yield from run.call_all(
        "validate_dataset",
        [
            ValidateInput(
                dataset=d,
                model=plan.options.base_model,
                method=plan.options.method,
                n_epochs=n_epochs if isinstance(n_epochs, int) else None,
                report_folder=plan.report_folder,
            ).dump()
            for d in plan.datasets
        ],
    )
    run.report["validation"] = {s["kind"]: s for s in summaries}
    invalid = [s for s in summaries if not s["valid"]]
    if invalid:
        raise StageFailed(
            "invalid_data",
            "; ".join(
                f"{s['file']}: {s['error_count']} error(s) ({', '.join(sorted(s['errors_by_code']))})"
                for s in invalid
            ),
        )
    estimate = run.report["validation"]["training"]["estimate"]
    run.report["estimate"] = estimate
    ceiling = plan.options.max_cost_usd
    if ceiling is None:
        return
    cost = estimate.get("cost_usd")
    if cost is None:
        raise StageFailed(
            "cost_unknown",
            f"a cost ceiling of ${ceiling:.2f} is set but there is no training price "
            f"for {plan.options.base_model} (set FT_TRAINING_PRICES)",
        )
    if cost > ceiling:
        raise StageFailed(
            "cost_ceiling_exceeded",
            f"estimated training cost ${cost:.2f} "
            f"({estimate.get('billed_tokens')} billed tokens) is above the ceiling of ${ceiling:.2f}",
        )


def wait_until_processed(run: RunState, uploads: list[dict], plan: RunPlan) -> Steps:
    pending = [u["id"] for u in uploads if u["status"] != "processed"]
    interval = plan.options.poll_min_seconds
    for _ in range(FILE_POLLS):
        if not pending:
            return
        yield from run.sleep(interval)
        statuses = yield from run.call_all("get_file_status", pending)
        rejected = [s for s in statuses if s["status"] == "error"]
        if rejected:
            raise StageFailed("file_rejected", "; ".join(f"{s['id']}: {s.get('error')}" for s in rejected))
        pending = [s["id"] for s in statuses if s["status"] != "processed"]
        interval = backoff(interval, SHORT_WAIT_CAP_SECONDS)
    raise StageFailed("file_processing_timeout", f"files {', '.join(pending)} were not processed in time")


def monitor(run: RunState, job_id: str, plan: RunPlan) -> Steps:
    """Race the monitor against the deadline and a cancel request."""
    context = run.context
    deadline = context.current_utc_datetime + timedelta(hours=plan.options.job_timeout_hours)
    watcher = context.call_sub_orchestrator(
        MONITOR,
        MonitorInput(
            job_id=job_id,
            interval_seconds=plan.options.poll_min_seconds,
            max_interval_seconds=plan.options.poll_max_seconds,
        ).model_dump(),
        instance_id=monitor_instance_id(context.instance_id, run.attempt),
    )
    deadline_timer = context.create_timer(deadline)
    winner = yield context.task_any([watcher, deadline_timer, run.cancel])
    if winner is run.cancel:
        raise Cancelled("cancelled on request during training")
    if winner is deadline_timer:
        raise StageFailed(
            "deadline_exceeded",
            f"the job did not finish within {plan.options.job_timeout_hours:g} "
            "hours (FT_JOB_TIMEOUT_HOURS); it was cancelled",
        )
    deadline_timer.cancel()
    outcome = watcher.result
    if isinstance(outcome, Exception):
        raise StageFailed("monitor_failed", f"watching job {job_id} failed: {outcome}")
    if outcome.get("failure"):
        raise StageFailed(outcome["failure"]["code"], outcome["failure"]["message"])
    final = outcome["result"]
    run.track_job(final)
    run.report["job"].update(
        {key: final.get(key) for key in ("status", "model", "fine_tuned_model", "trained_tokens", "error")}
    )
    run.report["result_file"] = (final.get("result_files") or [None])[0]
    run.publish()
    return final


def stop_job(run: RunState) -> Steps:
    """A cancelled or overdue run cancels its Azure job, so nobody pays for training nobody wants."""
    if not run.job["id"]:
        return
    status = yield from run.call("cancel_job", run.job["id"])
    run.track_job(status)
    run.report.setdefault("job", {}).update(status=status["status"])


def choose_model(run: RunState, final: dict, plan: RunPlan) -> Steps:
    if plan.options.model_choice == "best_checkpoint":
        choice = yield from run.call("list_checkpoints", final["id"])
        if choice:
            run.report["model_choice"] = {"strategy": "best_checkpoint", **choice}
            return choice["model"]
        reason = "best_checkpoint was asked for but the job has no checkpoints; deploying the final model"
    else:
        reason = "the final model of the job (model_choice=final)"
    run.report["model_choice"] = {"strategy": "final", "model": final["fine_tuned_model"], "reason": reason}
    return final["fine_tuned_model"]


def wait_until_deployed(run: RunState, name: str, plan: RunPlan) -> Steps:
    interval = plan.options.poll_min_seconds
    for _ in range(DEPLOYMENT_POLLS):
        status = yield from run.call("get_deployment_status", name)
        run.report["deployment"] = status
        state = status["provisioning_state"]
        if state == "Succeeded":
            return
        if state in ("Failed", "Canceled", "Deleting", "NotFound"):
            raise StageFailed("deployment_failed", f"deployment {name} is {state}")
        yield from run.sleep(interval)
        interval = backoff(interval, SHORT_WAIT_CAP_SECONDS)
    raise StageFailed("deployment_timeout", f"deployment {name} was not ready in time")


def smoke_test(run: RunState, deployment: str, plan: RunPlan) -> Steps:
    """Azure answers DeploymentNotReady for a while after provisioning succeeds: wait with durable
    timers (not inside the activity) and ask again."""
    request = SmokeInput(deployment=deployment, messages=plan.options.smoke_test_messages).dump()
    interval = plan.options.poll_min_seconds
    for attempt in range(1, SMOKE_TEST_ATTEMPTS + 1):
        result = yield from run.call("smoke_test", request)
        if result["ok"]:
            run.report["smoke_test"] = {
                "messages": request["messages"],
                "answer": result["answer"],
                "latency_ms": result["latency_ms"],
                "usage": result["usage"],
                "attempts": attempt,
            }
            return
        yield from run.sleep(interval)
        interval = backoff(interval, SHORT_WAIT_CAP_SECONDS)
    raise StageFailed(
        "smoke_test_failed",
        f"deployment {deployment} was still not serving after "
        f"{SMOKE_TEST_ATTEMPTS} attempts ({result['code']})",
    )
