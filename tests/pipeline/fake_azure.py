"""`FakeAzure`: what Azure answers, scenario by scenario, for the orchestrator tests.

Each answer is built from the activity's own input and output models (tuning.handles), and the
input the orchestration sends is parsed with the activity's input model: a payload field renamed
on either side makes these tests fail, as it would fail in Azure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tuning import handles
from tuning.evaluation import EvalExample, EvalSet, PromptMessage, build_report
from tuning.failures import PipelineError
from tuning.handles import Activity
from tuning.options import RunOptions, merge_options
from tuning.payloads import (
    AccountRef,
    ActivityOutcome,
    Answered,
    AskInput,
    Checkpoint,
    Checkpoints,
    DeployInput,
    DeploymentCount,
    DeploymentRef,
    DeploymentStatus,
    EvalPrepare,
    Failure,
    FileRef,
    FileStatus,
    Graded,
    GradeInput,
    JobControl,
    JobId,
    JobStatus,
    JobSubmitted,
    Judged,
    JudgeInput,
    LineIssue,
    PinnedBlob,
    PreparedEvalSet,
    Progress,
    ReleaseInput,
    ReleaseResult,
    ResolveInput,
    RunPlan,
    SmokeInput,
    SmokeResult,
    SubmitInput,
    UploadedFile,
    UploadInput,
    ValidateInput,
    ValidationResult,
    ValidationSummary,
)
from tuning.reports.model import ReportArtifacts, ReportInput, RunReport
from tuning.settings import Settings, load_settings

BASE_SETTINGS = {
    "AzureWebJobsStorage": "UseDevelopmentStorage=true",
    "FT_POLL_MIN_SECONDS": "30",
    "FT_POLL_MAX_SECONDS": "600",
    "FT_JOB_TIMEOUT_HOURS": "72",
}
FINE_TUNED = "gpt-4o-2024-08-06.ft-1"


def settings(**overrides: str) -> Settings:
    return load_settings({**BASE_SETTINGS, **overrides})


class FakeAzure:
    """A small model of Azure OpenAI, ARM and storage; it records what the orchestration asked."""

    def __init__(
        self,
        *,
        options: dict[str, Any] | None = None,
        app_settings: Settings | None = None,
        valid: bool = True,
        cost: float | None = 10.0,
        job_polls: int = 3,
        job_outcome: str = "succeeded",
        deployment_polls: int = 2,
        not_ready_answers: int = 0,
        existing_deployment: DeploymentStatus | None = None,
        candidate_quality: float = 1.0,
        throttled_answers: int = 0,
        examples: int = 6,
        fine_tuned_limit: int = 5,
    ) -> None:
        self.settings = app_settings or settings()
        self.options = merge_options(self.settings, "demo", RunOptions.model_validate(options or {}))
        self.valid = valid
        self.cost = cost
        self.job_polls = job_polls
        self.job_outcome = job_outcome
        self.deployment_polls = deployment_polls
        self.not_ready_answers = not_ready_answers
        self.polls = 0
        self.job_state = "running"
        self.job_created = False
        self.deployment: DeploymentStatus | None = existing_deployment
        self.released: list[ReleaseInput] = []
        self.reports: list[RunReport] = []
        self.candidate_quality = candidate_quality  # share of examples a candidate answers right
        self.throttled_answers = throttled_answers
        self.fine_tuned_limit = fine_tuned_limit
        self.eval_set = EvalSet(
            source="incoming/demo/eval.jsonl",
            examples=tuple(
                EvalExample(
                    index=i,
                    line=i + 1,
                    prompt=(PromptMessage(role="user", content=f"question {i}"),),
                    reference=f"the answer to question {i}",
                )
                for i in range(examples)
            ),
            lines=examples,
            evaluable=examples,
            skipped={},
            selection="all",
        )
        self.asked: list[tuple[str, int]] = []
        self.deployments_made: list[DeployInput] = []
        self.deleted: list[str] = []

    def activities(self) -> dict[str, Callable[[Any], dict[str, Any]]]:
        answers: dict[Activity[Any, Any], Callable[[Any], Any]] = {
            handles.RESOLVE_RUN: self.resolve_run,
            handles.VALIDATE_DATASETS: self.validate_datasets,
            handles.UPLOAD_FILE: self.upload_file,
            handles.GET_FILE_STATUS: self.get_file_status,
            handles.SUBMIT_JOB: self.submit_job,
            handles.GET_JOB_STATUS: self.get_job_status,
            handles.CONTROL_JOB: self.control_job,
            handles.LIST_CHECKPOINTS: self.list_checkpoints,
            handles.DEPLOY_MODEL: self.deploy_model,
            handles.GET_DEPLOYMENT: self.get_deployment,
            handles.DELETE_DEPLOYMENT: self.delete_deployment,
            handles.COUNT_DEPLOYMENTS: self.count_deployments,
            handles.RELEASE_RESOURCES: self.release_resources,
            handles.SMOKE_TEST: self.smoke_test,
            handles.WRITE_REPORT: self.write_report,
            handles.PREPARE_EVAL_SET: self.prepare_eval_set,
            handles.ASK_MODEL: self.ask_model,
            handles.JUDGE_ANSWER: self.judge_answer,
            handles.GRADE_EVALUATION: self.grade_evaluation,
        }
        assert set(answers) == set(handles.ALL), "every activity handle has a scripted answer"
        return {handle.name: _typed(handle, answer) for handle, answer in answers.items()}

    # -- answers -------------------------------------------------------------------------------

    def resolve_run(self, request: ResolveInput) -> RunPlan:
        datasets = [
            PinnedBlob(
                kind=kind, path=f"incoming/demo/{kind}.jsonl", sha256="a" * 64, size=100, etag=f"0x{kind}"
            )
            for kind in ("training", "validation")
        ]
        return RunPlan(
            run="demo",
            attempt=request.attempt,
            report_folder=f"runs/demo/{request.attempt}/",
            datasets=datasets,
            options=self.options,
        )

    def validate_datasets(self, request: ValidateInput) -> ValidationResult:
        errors = [] if self.valid else [LineIssue(line=3, code="invalid_json", message="line 3: not JSON")]
        return ValidationResult(
            files=[
                ValidationSummary(
                    file=d.path,
                    kind=d.kind,
                    valid=self.valid,
                    format="chat",
                    examples=10,
                    model=request.model,
                    encoding="o200k_base",
                    error_count=len(errors),
                    warning_count=0,
                    errors=errors,
                    errors_by_code={e.code: 1 for e in errors},
                    warnings_by_code={},
                    tokens={"total": {"sum": 1000}, "assistant": {"sum": 300}},
                    estimate={
                        "epochs": 10,
                        "billed_tokens": 10000,
                        "context_limit": 65536,
                        "cost_usd": self.cost,
                    },
                    report_blob=f"{request.report_folder}validation-{d.kind}.json",
                )
                for d in request.datasets
            ]
        )

    def upload_file(self, request: UploadInput) -> UploadedFile:
        kind = request.dataset.kind
        return UploadedFile(kind=kind, id=f"file-{kind}", filename="x.jsonl", status="pending", reused=False)

    def get_file_status(self, request: FileRef) -> FileStatus:
        return FileStatus(id=request.file_id, status="processed")

    def submit_job(self, request: SubmitInput) -> JobSubmitted:
        self.job_created = True
        return JobSubmitted(id="ftjob-1", reused=False)

    def _job(self, status: str) -> JobStatus:
        done = status == "succeeded"
        return JobStatus(
            id="ftjob-1",
            status=status,
            model="gpt-4o-2024-08-06",
            fine_tuned_model=FINE_TUNED if done else None,
            trained_tokens=30000 if done else None,
            result_files=["file-results"] if done else [],
            error=Failure(code="job_failed", message="boom", service_code="invalid_training_data")
            if status == "failed"
            else None,
            progress=Progress(step=self.polls, train_loss=1.0 / (1 + self.polls)),
        )

    def get_job_status(self, request: JobId) -> JobStatus:
        self.polls += 1
        if self.job_state in ("cancelled", "paused"):
            return self._job(self.job_state)
        return self._job(self.job_outcome if self.polls >= self.job_polls else "running")

    def control_job(self, request: JobControl) -> JobStatus:
        self.job_state = {"cancel": "cancelled", "pause": "paused", "resume": "running"}[request.action]
        return self._job(self.job_state)

    def list_checkpoints(self, request: JobId) -> Checkpoints:
        return Checkpoints(
            items=[
                Checkpoint(model=f"{FINE_TUNED}:ckpt-step-10", step=10, valid_loss=0.6, train_loss=0.7),
                Checkpoint(model=f"{FINE_TUNED}:ckpt-step-20", step=20, valid_loss=0.4, train_loss=0.5),
                Checkpoint(model=f"{FINE_TUNED}:ckpt-step-30", step=30, valid_loss=0.5, train_loss=0.3),
            ]
        )

    def deploy_model(self, request: DeployInput) -> DeploymentStatus:
        self.deployments_made.append(request)
        if request.role == "evaluation":
            return self._evaluation_deployment(request.name, request)
        self.deployment = DeploymentStatus(
            name=request.name,
            exists=True,
            model=request.model,
            provisioning_state="Creating",
            sku=request.sku,
            capacity=request.capacity,
            managed=True,
            run_key=request.run_key,
            role=request.role,
            replaces=request.replaces,
        )
        return self.deployment

    def _evaluation_deployment(self, name: str, request: DeployInput | None = None) -> DeploymentStatus:
        made = next((d for d in reversed(self.deployments_made) if d.name == name), request)
        if made is None or name in self.deleted:
            return DeploymentStatus(name=name, exists=False)
        return DeploymentStatus(
            name=name,
            exists=True,
            model=made.model,
            provisioning_state="Succeeded",
            managed=True,
            run_key=made.run_key,
            role="evaluation",
        )

    def get_deployment(self, request: DeploymentRef) -> DeploymentStatus:
        if request.name == "gpt-4o":  # the baseline: a base-model deployment someone else made
            return DeploymentStatus(
                name="gpt-4o", exists=True, model="gpt-4o", provisioning_state="Succeeded"
            )
        if "-eval-" in request.name:
            return self._evaluation_deployment(request.name)
        if self.deployment is None or self.deployment.name != request.name:
            return DeploymentStatus(name=request.name, exists=False)
        if self.deployment.run_key is not None:
            self.deployment_polls -= 1
            if self.deployment_polls <= 0:
                self.deployment = self.deployment.model_copy(update={"provisioning_state": "Succeeded"})
        return self.deployment

    def count_deployments(self, request: AccountRef) -> DeploymentCount:
        live = [d for d in self.deployments_made if d.name not in self.deleted]
        return DeploymentCount(total=len(live), fine_tuned=len(live), fine_tuned_limit=self.fine_tuned_limit)

    def delete_deployment(self, request: DeploymentRef) -> DeploymentStatus:
        self.deleted.append(request.name)
        if "-eval-" in request.name:
            return DeploymentStatus(name=request.name, exists=False)
        self.deployment = None
        return DeploymentStatus(name=request.name, exists=False)

    def release_resources(self, request: ReleaseInput) -> ReleaseResult:
        """What the real step does, on this model: cancel the run's unfinished job, remove the
        production deployment it created unless the run succeeded."""
        self.released.append(request)
        cancelled = []
        if self.job_created and self.job_state not in ("cancelled",) and not self._job_finished():
            self.job_state = "cancelled"
            cancelled.append("ftjob-1")
        deleted = []
        deployment = self.deployment
        if deployment and deployment.run_key == request.run_key and not request.keep_production:
            deleted.append(deployment.name)
            self.deployment = None
        return ReleaseResult(cancelled_jobs=cancelled, deleted_deployments=deleted)

    def _job_finished(self) -> bool:
        return self.polls >= self.job_polls and self.job_outcome in ("succeeded", "failed")

    def smoke_test(self, request: SmokeInput) -> SmokeResult:
        if self.not_ready_answers > 0:
            self.not_ready_answers -= 1
            return SmokeResult(ok=False, code="DeploymentNotReady")
        return SmokeResult(
            ok=True,
            answer="Yes, with customer-managed keys.",
            latency_ms=12.5,
            usage={"prompt_tokens": 20, "completion_tokens": 8, "total_tokens": 28},
        )

    # -- the quality gate ----------------------------------------------------------------------

    def prepare_eval_set(self, request: EvalPrepare) -> PreparedEvalSet:
        return PreparedEvalSet(
            blob=f"{request.folder}examples.json",
            examples=len(self.eval_set.examples),
            lines=6,
            evaluable=6,
            skipped={},
            selection="all",
        )

    def _answer(self, label: str, index: int) -> str:
        """The baseline answers half right; a candidate as right as `candidate_quality` says."""
        right = index < len(self.eval_set.examples) * (0.5 if label == "baseline" else self.candidate_quality)
        return self.eval_set.examples[index].reference if right else "I could not say."

    def ask_model(self, request: AskInput) -> Answered:
        if self.throttled_answers > 0:
            self.throttled_answers -= 1
            return Answered(label=request.label, index=request.index, ok=False, retry_after=7.0)
        self.asked.append((request.label, request.index))
        return Answered(
            label=request.label, index=request.index, ok=True, prompt_tokens=10, completion_tokens=5
        )

    def judge_answer(self, request: JudgeInput) -> Judged:
        return Judged(grader=request.grader, label=request.label, index=request.index, ok=True, score=0.5)

    def grade_evaluation(self, request: GradeInput) -> Graded:
        answers = {
            m.label: [self._answer(m.label, i) for i in range(len(self.eval_set.examples))]
            for m in request.models
        }
        report = build_report(
            request.options,
            self.eval_set,
            is_validation_file=request.is_validation_file,
            models=request.models,
            answers=answers,
            usage=request.usage,
        )
        return Graded(report=report, artifacts={"evaluation.json": f"{request.folder}evaluation.json"})

    def write_report(self, request: ReportInput) -> ReportArtifacts:
        self.reports.append(request.report)
        folder = request.report.report_folder
        return ReportArtifacts(
            container="fine-tuning",
            artifacts={name: folder + name for name in ("report.json", "report.md", "loss.svg")},
        )


def _typed(handle: Activity[Any, Any], answer: Callable[[Any], Any]) -> Callable[[Any], dict[str, Any]]:
    def activity(payload: Any) -> dict[str, Any]:
        request = handle.input.model_validate(payload)
        try:
            result = answer(request)
        except PipelineError as failure:
            return ActivityOutcome(failure=Failure.of(failure)).dump()
        return ActivityOutcome(result=handle.output.model_validate(result).dump()).dump()

    return activity
