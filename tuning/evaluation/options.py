"""The `evaluation` block of `run.json` and of the HTTP body's `options`: which eval set, which
graders, which baseline, and how much better a candidate must be to be promoted.

Validated like the other options (unknown keys are an error) and frozen, because the same
object travels through the orchestration and into report.json. Layers merge field by field over
defaults the app builds from its settings (`merge_evaluation_options`), so a `run.json` that only
sets `min_improvement` keeps everything else.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

__all__ = [
    "SIMPLE_GRADERS",
    "CandidateChoice",
    "EvaluationOptions",
    "EvaluationOptionsError",
    "GraderSpec",
    "LlmJudgeGrader",
    "SimpleGrader",
    "merge_evaluation_options",
    "parse_evaluation_options",
]

SIMPLE_GRADERS = ("exact_match", "token_f1", "json_valid", "json_match", "contains")
SimpleGraderName = Literal["exact_match", "token_f1", "json_valid", "json_match", "contains"]
CandidateChoice = Literal["final", "best_checkpoint", "final_and_best_checkpoint"]

DEPLOYMENT_NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{1,63}\Z")  # Azure's rule, as in tuning.options
GRADER_NAME = re.compile(r"\A[A-Za-z][A-Za-z0-9_-]{0,39}\Z")
DATASET_NAME = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\.jsonl\Z")
SKU_NAME = re.compile(r"\A[A-Za-z][A-Za-z0-9_-]{0,63}\Z")
MAX_RUBRIC_CHARACTERS = 2000
MAX_GRADERS = 8
MAX_EXAMPLES = 2000


def _deployment_name(value: str) -> str:
    if not DEPLOYMENT_NAME.match(value):
        raise ValueError("2-64 characters: letters, digits, '_', '-', '.', starting with a letter or digit")
    return value


DeploymentName = Annotated[str, AfterValidator(_deployment_name)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SimpleGrader(_Strict):
    """A grader computed locally from the answer and the reference (see graders.py).

    Written as its bare name in options (`"token_f1"`), and dumped back the same way so report.json
    reads like the run.json it came from.
    """

    type: SimpleGraderName

    @property
    def name(self) -> str:
        return self.type

    @model_serializer
    def _as_name(self) -> str:
        return self.type


class LlmJudgeGrader(_Strict):
    """A grader deployment scores each answer against the reference on a 1-10 rubric.

    `name` tells two judges apart (two deployments, two rubrics); it is what `primary` refers to.
    """

    type: Literal["llm_judge"]
    deployment: DeploymentName
    rubric: str | None = Field(default=None, min_length=1, max_length=MAX_RUBRIC_CHARACTERS)
    name: str = "llm_judge"

    @field_validator("name")
    @classmethod
    def _grader_name(cls, value: str) -> str:
        if not GRADER_NAME.match(value):
            raise ValueError("1-40 characters: letters, digits, '_', '-', starting with a letter")
        if value in SIMPLE_GRADERS:
            raise ValueError(f"{value!r} is a built-in grader's name; give the judge another name")
        return value


class EvaluationOptionsError(ValueError):
    """The evaluation block failed validation; one `evaluation.field: problem` per problem."""


GraderSpec = Annotated[SimpleGrader | LlmJudgeGrader, Field(discriminator="type")]


class EvaluationOptions(_Strict):
    """The quality gate's options; every default can be replaced from the app settings."""

    dataset: str = "eval.jsonl"
    max_examples: int = Field(default=100, ge=1, le=MAX_EXAMPLES)
    baseline_deployment: DeploymentName | None = None
    graders: tuple[GraderSpec, ...] = (SimpleGrader(type="exact_match"), SimpleGrader(type="token_f1"))
    primary: str = "token_f1"
    min_improvement: float = Field(default=0.02, ge=0, lt=1)
    min_score: float | None = Field(default=None, ge=0, le=1)
    candidates: CandidateChoice = "final_and_best_checkpoint"
    evaluation_sku: str = "DeveloperTier"

    @field_validator("dataset")
    @classmethod
    def _plain_file_name(cls, value: str) -> str:
        if not DATASET_NAME.match(value) or ".." in value:
            raise ValueError(
                "a plain .jsonl file name in the run folder (no path): letters, digits, '_', '-', '.'"
            )
        if value == "training.jsonl":
            raise ValueError("the eval set cannot be the training file: it must be held-out data")
        return value

    @field_validator("evaluation_sku")
    @classmethod
    def _sku_name(cls, value: str) -> str:
        if not SKU_NAME.match(value):
            raise ValueError("a SKU name such as DeveloperTier, Standard or GlobalStandard")
        return value

    @field_validator("graders", mode="before")
    @classmethod
    def _names_to_objects(cls, value: object) -> object:
        """Bare names become `{"type": name}`; a bare "llm_judge" is refused, it needs a deployment."""
        if not isinstance(value, (list, tuple)):
            return value
        if not 1 <= len(value) <= MAX_GRADERS:
            raise ValueError(f"between 1 and {MAX_GRADERS} graders")
        if "llm_judge" in value:
            raise ValueError(
                'llm_judge needs an object: {"type": "llm_judge", "deployment": "<grader deployment>"}'
            )
        return [{"type": item} if isinstance(item, str) else item for item in value]

    @model_validator(mode="after")
    def _consistent(self) -> EvaluationOptions:
        names = [grader.name for grader in self.graders]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"graders: each grader name may appear once; repeated: {', '.join(repeated)}")
        if self.primary not in names:
            raise ValueError(f"primary: {self.primary!r} is not one of the graders ({', '.join(names)})")
        return self

    def grader(self, name: str) -> SimpleGrader | LlmJudgeGrader:
        """The grader with this name; KeyError when there is none."""
        for grader in self.graders:
            if grader.name == name:
                return grader
        raise KeyError(name)

    @property
    def judges(self) -> tuple[LlmJudgeGrader, ...]:
        """The graders that need a chat call per answer."""
        return tuple(grader for grader in self.graders if isinstance(grader, LlmJudgeGrader))


def parse_evaluation_options(data: object, source: str) -> EvaluationOptions:
    """One layer (`run.json`'s or the HTTP body's `evaluation` block), with errors naming the source."""
    try:
        return EvaluationOptions.model_validate(data if data is not None else {})
    except ValidationError as error:
        problems = (
            ".".join(["evaluation", *(str(part) for part in item["loc"])])
            + ": "
            + item["msg"].removeprefix("Value error, ")
            for item in error.errors(include_input=False, include_url=False)
        )
        raise EvaluationOptionsError(f"{source}: {'; '.join(problems)}") from None


def merge_evaluation_options(
    defaults: EvaluationOptions, *layers: EvaluationOptions | None, source: str = "options"
) -> EvaluationOptions:
    """Later layers win, field by field: only the fields a layer set explicitly replace the defaults.

    The merged result is validated again (a run.json that sets `primary` and a body that sets
    `graders` must still agree), and a failure names `source`.
    """
    merged = defaults.model_dump()
    for layer in layers:
        if layer is not None:
            merged.update(layer.model_dump(exclude_unset=True))
    return parse_evaluation_options(merged, source)
