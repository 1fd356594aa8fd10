"""The quality gate: evaluate the candidates against the baseline on held-out data, and promote
one only when it is measurably better.

Each candidate gets a temporary evaluation deployment, deleted as soon as the answers are in (and
by the run's release whatever happens). Every example is asked of every model, and every answer of
every judge, as its own activity, in bounded batches (FT_EVAL_CONCURRENCY) so capacity-1
deployments and throttling are respected: an answer that could not be had yet is asked again in a
later batch, after a durable timer as long as the service asked. A crash resumes from the history:
answers already in are never asked again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from orchestrators.policies import DEPLOYMENT_POLLS, SHORT_WAIT_CAP_SECONDS
from orchestrators.run_state import RunState, Steps, poll, run_step
from tuning.evaluation import EvaluationOptions, ModelInfo, TokenUsage, chat_calls
from tuning.failures import PipelineError
from tuning.handles import (
    ASK_MODEL,
    COUNT_DEPLOYMENTS,
    DELETE_DEPLOYMENT,
    DEPLOY_MODEL,
    GET_DEPLOYMENT,
    GRADE_EVALUATION,
    JUDGE_ANSWER,
    LIST_CHECKPOINTS,
    PREPARE_EVAL_SET,
    Activity,
)
from tuning.model_choice import best_checkpoint
from tuning.paths import shortened_name
from tuning.payloads import (
    AccountRef,
    AskInput,
    DeployInput,
    DeploymentRef,
    EvalPrepare,
    GradeInput,
    JobId,
    JobStatus,
    JudgeInput,
    Payload,
    PinnedBlob,
    PreparedEvalSet,
    RunPlan,
)
from tuning.reports.model import ModelChoice

__all__ = ["Candidate", "evaluate"]

MAX_REFUSALS = 8  # a call the service keeps refusing (a filtered prompt) is given up, not retried for ever


@dataclass(frozen=True)
class Candidate:
    label: str
    model: str
    step: int | None
    deployment: str


@dataclass
class _Progress:
    total: int
    done: int = 0


@run_step
def evaluate(run: RunState, plan: RunPlan, final: JobStatus) -> Steps:
    """The model to promote; raises `not_better_than_baseline` (the run ends rejected) otherwise."""
    options = plan.options.evaluation
    assert options is not None and final.fine_tuned_model is not None
    eval_blob, from_validation = eval_set(plan)
    folder = f"{plan.report_folder}evaluation/"
    prepared: PreparedEvalSet = yield from run.call(
        PREPARE_EVAL_SET, EvalPrepare(dataset=eval_blob, max_examples=options.max_examples, folder=folder)
    )
    candidates = yield from choose_candidates(run, plan, final, options)
    baseline = options.baseline_deployment
    if baseline:
        found = yield from run.call(GET_DEPLOYMENT, DeploymentRef(name=baseline))
        if not found.exists or found.provisioning_state != "Succeeded":
            raise PipelineError("evaluation_failed", f"the baseline deployment {baseline} does not serve")
    elif options.min_score is None:
        run.report.warnings.append("no baseline deployment and no min_score: nothing can be promoted")
    models = [ModelInfo(label="baseline", role="baseline", deployment=baseline)] if baseline else []
    models += [
        ModelInfo(label=c.label, role="candidate", deployment=c.deployment, model=c.model, step=c.step)
        for c in candidates
    ]
    calls = chat_calls(
        prepared.examples, len(candidates), baseline=bool(baseline), judges=len(options.judges)
    )
    progress = _Progress(calls)
    run.publish(evaluation={"done": 0, "total": calls})
    yield from deploy_candidates(run, plan, candidates)
    usage = yield from ask_everything(run, plan, prepared, models, progress)
    yield from run.call_all(DELETE_DEPLOYMENT, [DeploymentRef(name=c.deployment) for c in candidates])
    run.report.cleanup += [f"deleted evaluation deployment {c.deployment}" for c in candidates]
    graded = yield from run.call(
        GRADE_EVALUATION,
        GradeInput(
            options=options,
            eval_set=prepared,
            source=eval_blob.path,
            is_validation_file=from_validation,
            models=models,
            usage=usage,
            folder=folder,
        ),
    )
    if graded.left_out:
        run.report.warnings.append(
            f"{graded.left_out} example(s) left out of the evaluation: an answer was lost to a crash "
            "(a model is never asked the same example twice)"
        )
    run.report.evaluation = graded.report
    run.report.artifacts.update(graded.artifacts)
    decision = graded.report.decision
    if not decision.promote:
        raise PipelineError("not_better_than_baseline", decision.reason)
    chosen = next(c for c in candidates if c.label == decision.candidate)
    run.report.model_choice = ModelChoice(
        strategy="best_checkpoint" if chosen.step is not None else "final",
        model=chosen.model,
        step=chosen.step,
        reason=f"promoted by the quality gate: {decision.reason}",
    )
    return chosen.model


def eval_set(plan: RunPlan) -> tuple[PinnedBlob, bool]:
    """The eval set, and whether it is the validation file (which also steered checkpoint choice)."""
    named = plan.dataset("eval")
    if named is not None:
        return named, False
    validation = plan.dataset("validation")
    if validation is None:
        raise PipelineError(
            "evaluation_failed", "no held-out examples: neither an eval set nor a validation file"
        )
    return validation, True


@run_step
def choose_candidates(run: RunState, plan: RunPlan, final: JobStatus, options: EvaluationOptions) -> Steps:
    assert final.fine_tuned_model is not None
    found = [Candidate("final", final.fine_tuned_model, None, _deployment_name(plan, run.attempt, "final"))]
    if options.candidates != "final":
        checkpoints = yield from run.call(LIST_CHECKPOINTS, JobId(job_id=final.id))
        best = best_checkpoint(checkpoints)
        last_step = max((c.step for c in checkpoints.items), default=None)
        if best is not None and best[0].step != last_step:  # the last checkpoint is the final model
            checkpoint = best[0]
            found.append(
                Candidate(
                    "best_checkpoint",
                    checkpoint.model,
                    checkpoint.step,
                    _deployment_name(plan, run.attempt, "ckpt"),
                )
            )
        elif options.candidates == "best_checkpoint":
            run.report.warnings.append(
                "the best checkpoint is the final model; it is evaluated once, as final"
            )
    if options.candidates == "best_checkpoint" and len(found) > 1:
        found = found[1:]
    return found


def _deployment_name(plan: RunPlan, attempt: str, label: str) -> str:
    return shortened_name(f"{plan.options.deployment_name}-eval-{attempt.lower()}-{label}", 64)


@run_step
def deploy_candidates(run: RunState, plan: RunPlan, candidates: list[Candidate]) -> Steps:
    """Temporary deployments, tagged `evaluation`, so a crash or a cancel never leaves them behind."""
    room = yield from run.call(COUNT_DEPLOYMENTS, AccountRef())
    needed = room.fine_tuned + len(candidates)
    if needed > room.fine_tuned_limit:
        raise PipelineError(
            "evaluation_failed",
            f"the account serves {room.fine_tuned} fine-tuned deployments and allows {room.fine_tuned_limit} "
            f"(FT_MAX_FINE_TUNED_DEPLOYMENTS); evaluating {len(candidates)} candidates needs {needed}: "
            "delete unused fine-tuned deployments, or evaluate fewer candidates",
        )
    run.report.warnings.append(
        f"evaluation used {len(candidates)} of the account's {room.fine_tuned_limit - room.fine_tuned} free "
        "fine-tuned deployment slots"
    )
    sku = plan.options.evaluation_sku or plan.options.deployment_sku
    requests = [
        DeployInput(
            name=c.deployment, model=c.model, sku=sku, capacity=1, run_key=run.run_key, role="evaluation"
        )
        for c in candidates
    ]
    yield from run.call_all(DEPLOY_MODEL, requests)
    pending = [c.deployment for c in candidates]

    def ready() -> Steps:
        nonlocal pending
        statuses = yield from run.call_all(GET_DEPLOYMENT, [DeploymentRef(name=name) for name in pending])
        broken = [s.name for s in statuses if not s.exists or s.provisioning_state in ("Failed", "Canceled")]
        if broken:
            raise PipelineError(
                "evaluation_failed", f"evaluation deployment {', '.join(broken)} could not be provisioned"
            )
        pending = [s.name for s in statuses if s.provisioning_state != "Succeeded"]
        return not pending, None

    yield from poll(
        run,
        ready,
        attempts=DEPLOYMENT_POLLS,
        interval=plan.options.poll_min_seconds,
        give_up=PipelineError("evaluation_failed", "the evaluation deployments were not ready in time"),
    )


@run_step
def ask_everything(
    run: RunState, plan: RunPlan, prepared: PreparedEvalSet, models: list[ModelInfo], progress: _Progress
) -> Steps:
    """Every example of every model, then every answer of every judge; returns the token usage."""
    options = plan.options.evaluation
    assert options is not None
    common = {"examples_blob": prepared.blob, "folder": f"{plan.report_folder}evaluation/"}
    asks: list[Payload] = [
        AskInput(label=m.label, deployment=m.deployment, index=i, **common)
        for i in range(prepared.examples)
        for m in models
    ]
    answered = yield from in_batches(run, ASK_MODEL, asks, plan.options.eval_concurrency, progress)
    usage = [_usage(m.deployment, "answers", [a for a in answered if a.label == m.label]) for m in models]
    for judge in options.judges:
        judgements: list[Payload] = [
            JudgeInput(
                grader=judge.name,
                deployment=judge.deployment,
                rubric=judge.rubric,
                label=m.label,
                index=i,
                **common,
            )
            for i in range(prepared.examples)
            for m in models
        ]
        judged = yield from in_batches(run, JUDGE_ANSWER, judgements, plan.options.eval_concurrency, progress)
        usage.append(_usage(judge.deployment, "judge", judged))
    return usage


@run_step
def in_batches(
    run: RunState, activity: Activity[Any, Any], requests: list[Payload], size: int, progress: _Progress
) -> Steps:
    """Run the requests `size` at a time. One the service could not answer yet goes back in the
    queue behind a durable timer of the wait it asked for; after MAX_REFUSALS it is given up (its
    answer counts as empty) and the report says how many were."""
    queue = [(request, 0) for request in requests]
    results: list[Any] = []
    given_up = 0
    while queue:
        batch, queue = queue[:size], queue[size:]
        answers = yield from run.call_all(activity, [request for request, _ in batch])
        waits = []
        for (request, refusals), answer in zip(batch, answers, strict=True):
            if answer.ok:
                results.append(answer)
            elif refusals + 1 < MAX_REFUSALS:
                queue.append((request, refusals + 1))
                waits.append(answer.retry_after or 1.0)
            else:
                given_up += 1
        progress.done += len(batch) - len(waits)
        run.publish(evaluation={"done": progress.done, "total": progress.total})
        if waits:
            yield from run.sleep(min(max(waits), SHORT_WAIT_CAP_SECONDS))
    if given_up:
        run.report.warnings.append(
            f"{activity.name}: {given_up} call(s) refused {MAX_REFUSALS} times; scored as empty"
        )
    return results


def _usage(deployment: str, purpose: Literal["answers", "judge"], answers: Iterable[Any]) -> TokenUsage:
    answers = list(answers)
    return TokenUsage(
        model=deployment,
        purpose=purpose,
        requests=len([a for a in answers if not a.reused]),
        prompt_tokens=sum(a.prompt_tokens for a in answers),
        completion_tokens=sum(a.completion_tokens for a in answers),
    )
