"""Per-run options: the schema of `run.json` and of the HTTP body's `options`, and how they merge
with the operator's settings.

Unknown keys are an error (a typo such as `"sufix"` must not silently train without a suffix),
every value is checked against the documented ranges and the model catalog before anything is
uploaded, and the operator's settings are ceilings a run can only tighten: a lower cost ceiling,
more approval gates, a smaller capacity. A run can never raise the cost ceiling, drop a gate the
operator requires, pick a SKU outside the allowlist, exceed the capacity ceiling or name a
deployment outside the operator's prefix.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tuning.catalog import UnknownModelError, check_training_combination, resolve_model
from tuning.evaluation import EvaluationOptions, EvaluationOptionsError, merge_evaluation_options
from tuning.failures import PipelineError
from tuning.paths import shortened_name
from tuning.settings import ApprovalMode, Gate, Settings, canonical_sku, gates_of

__all__ = [
    "DEFAULT_SMOKE_TEST",
    "ResolvedOptions",
    "RunOptions",
    "default_deployment_name",
    "describe_validation_error",
    "merge_options",
    "parse_options",
]

# The lab's smoke-test conversation.
DEFAULT_SMOKE_TEST = (
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": "Does Azure OpenAI support customer managed keys?"},
)
DEPLOYMENT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,63}$"
DEPLOYMENT_NAME_LIMIT = 64
TrainingType = Literal["Standard", "GlobalStandard", "Developer"]
Auto = Literal["auto"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Hyperparameters(Strict):
    """Ranges from the fine-tuning job schemas (OpenAI's FineTuneSupervisedHyperparameters and
    FineTuneDPOHyperparameters, which Azure's authoring spec follows): checked here so a bad value
    fails before upload, not after hours of queueing."""

    n_epochs: Annotated[int, Field(ge=1, le=50)] | Auto | None = None
    batch_size: Annotated[int, Field(ge=1, le=256)] | Auto | None = None
    learning_rate_multiplier: Annotated[float, Field(gt=0, le=10)] | Auto | None = None
    beta: Annotated[float, Field(gt=0, le=2)] | Auto | None = None

    def present(self) -> dict[str, int | float | str]:
        return self.model_dump(exclude_none=True)


class DeploymentOptions(Strict):
    name: str | None = Field(default=None, pattern=DEPLOYMENT_NAME_PATTERN)
    sku: str | None = None
    capacity: int | None = Field(default=None, ge=1)

    @field_validator("sku")
    @classmethod
    def _known_sku(cls, value: str | None) -> str | None:
        if value is not None and canonical_sku(value) is None:
            raise ValueError(f"unknown deployment SKU {value!r}")
        return None if value is None else canonical_sku(value)


class ChatMessage(Strict):
    role: Literal["system", "user", "assistant"]
    content: str = Field(min_length=1, max_length=8000)


class SmokeTestOptions(Strict):
    messages: list[ChatMessage] = Field(min_length=1, max_length=20)


class RunOptions(Strict):
    """What a run may ask for; None means "use the operator's setting"."""

    base_model: str | None = Field(default=None, min_length=1, max_length=100)
    seed: int | None = Field(default=None, ge=-(2**31), le=2**31 - 1)
    hyperparameters: Hyperparameters | None = None
    suffix: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,40}$")
    method: Literal["supervised", "dpo"] | None = None
    training_type: TrainingType | None = None
    model_choice: Literal["final", "best_checkpoint"] | None = None
    deployment: DeploymentOptions | None = None
    smoke_test: SmokeTestOptions | None = None
    approval: ApprovalMode | None = None
    max_cost_usd: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    evaluation: EvaluationOptions | Literal[False] | None = Field(
        default=None, description="the quality gate; false to skip it (unless the operator requires it)"
    )


class ResolvedOptions(Strict):
    """Options with every default filled in and every limit applied: what the run carries."""

    base_model: str
    seed: int | None
    hyperparameters: dict[str, int | float | str]
    suffix: str | None
    method: Literal["supervised", "dpo"]
    training_type: TrainingType
    model_choice: Literal["final", "best_checkpoint"]
    deployment_name: str
    deployment_sku: str
    deployment_capacity: int
    smoke_test_messages: list[dict[str, str]]
    approval_gates: tuple[Gate, ...]
    approval_timeout_hours: float
    max_cost_usd: float | None
    poll_min_seconds: float
    poll_max_seconds: float
    job_timeout_hours: float
    evaluation: EvaluationOptions | None = None
    evaluation_sku: str | None = None
    eval_concurrency: int = 4
    warnings: tuple[str, ...] = ()

    @property
    def n_epochs(self) -> int | None:
        epochs = self.hyperparameters.get("n_epochs")
        return epochs if isinstance(epochs, int) else None


def parse_options(data: object, source: str) -> RunOptions:
    """Check options against the schema; `invalid_options` names every field that is wrong."""
    if data is None:
        return RunOptions()
    try:
        return RunOptions.model_validate(data)
    except ValidationError as error:
        raise PipelineError("invalid_options", f"{source}: {describe_validation_error(error)}") from None
    except RecursionError:
        raise PipelineError("invalid_options", f"{source}: nested too deeply") from None


def describe_validation_error(error: ValidationError) -> str:
    """One line per problem, `field.path: message`, without echoing the input values."""
    problems = []
    for item in error.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in item["loc"]) or "(body)"
        problems.append(f"{where}: {item['msg']}")
    return "; ".join(problems)


def default_deployment_name(settings: Settings, run: str) -> str:
    """The operator's prefix plus the run name, shortened with a hash so names never collide."""
    return shortened_name(f"{settings.deployment_prefix}{run}", DEPLOYMENT_NAME_LIMIT)


def merge_options(
    settings: Settings, run: str, *layers: RunOptions, eval_set_present: bool = False
) -> ResolvedOptions:
    """Later layers win (run.json, then the HTTP body) for choices; limits only ever tighten."""

    def pick(attribute: str, default: Any) -> Any:
        """The last layer's value that is set; the schema of ResolvedOptions checks its type."""
        for layer in reversed(layers):
            value = getattr(layer, attribute)
            if value is not None:
                return value
        return default

    hyperparameters: dict[str, int | float | str] = {}
    deployment: dict[str, Any] = {}
    for layer in layers:
        if layer.hyperparameters:
            hyperparameters.update(layer.hyperparameters.present())
        if layer.deployment:
            deployment.update(layer.deployment.model_dump(exclude_none=True))
    smoke: SmokeTestOptions | None = pick("smoke_test", None)
    messages = [m.model_dump() for m in smoke.messages] if smoke else [dict(m) for m in DEFAULT_SMOKE_TEST]
    method = pick("method", "supervised")
    training_type = pick("training_type", "Standard")
    base_model = _catalog_model(pick("base_model", settings.base_model), method, training_type, settings)
    if "beta" in hyperparameters and method != "dpo":
        raise PipelineError("invalid_options", "hyperparameters.beta applies to the dpo method only")
    options = ResolvedOptions(
        base_model=base_model,
        seed=pick("seed", None),
        hyperparameters=hyperparameters,
        suffix=pick("suffix", None),
        method=method,
        training_type=training_type,
        model_choice=pick("model_choice", "final"),
        deployment_name=str(deployment.get("name") or default_deployment_name(settings, run)),
        deployment_sku=str(deployment.get("sku") or settings.deploy_sku),
        deployment_capacity=deployment.get("capacity") or settings.deploy_capacity,
        smoke_test_messages=messages,
        approval_gates=_gates(settings, layers),
        approval_timeout_hours=settings.approval_timeout_hours,
        max_cost_usd=_cost_ceiling(settings, pick("max_cost_usd", None)),
        poll_min_seconds=settings.poll_min_seconds,
        poll_max_seconds=settings.poll_max_seconds,
        job_timeout_hours=settings.job_timeout_hours,
        eval_concurrency=settings.eval_concurrency,
    )
    check_operator_limits(settings, options)
    return with_evaluation(settings, options, layers, eval_set_present)


def with_evaluation(
    settings: Settings, options: ResolvedOptions, layers: tuple[RunOptions, ...], eval_set_present: bool
) -> ResolvedOptions:
    """The quality gate runs when the run asks for it, when its folder has an eval.jsonl, or when
    the operator requires it (then a run cannot switch it off). The evaluation SKU falls back to the
    run's SKU, with a warning, where the model or the operator does not allow it."""
    asked = [layer.evaluation for layer in layers if layer.evaluation is not None]
    if False in asked and settings.require_evaluation:
        raise PipelineError(
            "option_not_allowed", "evaluation cannot be switched off: FT_REQUIRE_EVALUATION=true"
        )
    wanted = settings.require_evaluation or (
        False not in asked and (any(isinstance(a, EvaluationOptions) for a in asked) or eval_set_present)
    )
    if not wanted:
        return options
    defaults = EvaluationOptions(baseline_deployment=settings.eval_baseline_deployment)
    try:
        evaluation = merge_evaluation_options(
            defaults, *(a for a in asked if isinstance(a, EvaluationOptions)), source="options"
        )
    except EvaluationOptionsError as error:
        raise PipelineError("invalid_options", str(error)) from None
    spec = resolve_model(options.base_model, settings.training_prices)
    sku = canonical_sku(evaluation.evaluation_sku)
    warnings = list(options.warnings)
    if sku is None or sku not in spec.deployment_skus or sku not in settings.allowed_skus:
        warnings.append(
            f"evaluation SKU {evaluation.evaluation_sku} is not available for a fine-tuned {spec.name} here; "
            f"the evaluation deployments use the run's SKU, {options.deployment_sku}"
        )
        sku = options.deployment_sku
    return options.model_copy(
        update={"evaluation": evaluation, "evaluation_sku": sku, "warnings": tuple(warnings)}
    )


def _catalog_model(name: str, method: str, training_type: str, settings: Settings) -> str:
    try:
        spec = resolve_model(name, settings.training_prices)
    except UnknownModelError as error:
        raise PipelineError("unknown_model", str(error)) from None
    try:
        check_training_combination(spec, method, training_type)
    except ValueError as error:
        raise PipelineError("unsupported_combination", str(error)) from None
    return spec.name


def _gates(settings: Settings, layers: tuple[RunOptions, ...]) -> tuple[Gate, ...]:
    """The operator's gates plus any the run asks for: a run adds gates, never removes one."""
    wanted = set(gates_of(settings.require_approval))
    for layer in layers:
        if layer.approval is not None:
            wanted.update(gates_of(layer.approval))
    return tuple(gate for gate in ("training", "deployment") if gate in wanted)


def _cost_ceiling(settings: Settings, asked: float | None) -> float | None:
    """The lower of the operator's ceiling and the run's: a run can lower it, never raise it."""
    ceilings = [c for c in (settings.max_cost_usd, asked) if c is not None]
    return min(ceilings) if ceilings else None


def check_operator_limits(settings: Settings, options: ResolvedOptions) -> None:
    """Deployment options within what the operator allows and the model supports."""
    problems = []
    if not options.deployment_name.startswith(settings.deployment_prefix):
        problems.append(
            f"deployment name {options.deployment_name!r} must start with {settings.deployment_prefix!r} "
            "(FT_DEPLOYMENT_PREFIX): this service only manages deployments it names"
        )
    if options.deployment_sku not in settings.allowed_skus:
        problems.append(
            f"deployment SKU {options.deployment_sku} is not allowed (FT_ALLOWED_SKUS: "
            f"{', '.join(settings.allowed_skus)})"
        )
    if options.deployment_capacity > settings.max_capacity:
        problems.append(
            f"deployment capacity {options.deployment_capacity} is above the ceiling of "
            f"{settings.max_capacity} (FT_MAX_CAPACITY)"
        )
    if problems:
        raise PipelineError("option_not_allowed", "; ".join(problems))
    spec = resolve_model(options.base_model, settings.training_prices)
    if options.deployment_sku not in spec.deployment_skus:
        raise PipelineError(
            "unsupported_combination",
            f"a fine-tuned {spec.name} cannot be deployed on {options.deployment_sku}; "
            f"supported: {', '.join(spec.deployment_skus)}",
        )
