"""The quality gate's I/O: the eval set read once, each example asked of each model, each answer
graded by the judges, and the whole scored into the evaluation report.

Every answer and judgement is a blob of the attempt (`runs/<run>/<attempt>/evaluation/...`),
written before the activity answers: a step run again after a crash finds it and asks nothing
twice. Only small numbers travel through the orchestration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import openai
from openai import OpenAI

from tuning.chat import NOT_SERVING_YET
from tuning.clients import Clients
from tuning.evaluation import (
    JUDGE_RESPONSE_FORMAT,
    EvalExample,
    EvalSet,
    JudgeReplyError,
    build_report,
    judge_messages,
    parse_judge_reply,
    read_eval_examples,
    render_evaluation_svg,
)
from tuning.failures import PipelineError
from tuning.payloads import (
    Answered,
    AskInput,
    EvalPrepare,
    Graded,
    GradeInput,
    Judged,
    JudgeInput,
    PreparedEvalSet,
)
from tuning.storage import DatasetStore

__all__ = ["ask_model", "grade_evaluation", "judge_answer", "prepare_eval_set"]

ANSWER_MAX_TOKENS = 512
JUDGE_MAX_TOKENS = 300
DEFAULT_RETRY_AFTER = 10.0


def prepare_eval_set(clients: Clients, request: EvalPrepare) -> PreparedEvalSet:
    store = clients.store
    with store.open_pinned(request.dataset) as stream:
        try:
            eval_set = read_eval_examples(stream, request.max_examples, source=request.dataset.path)
        except ValueError as error:
            raise PipelineError("evaluation_failed", str(error)) from None
    if not eval_set.examples:
        raise PipelineError("evaluation_failed", f"{request.dataset.path} has no example to evaluate")
    blob = store.write_json(f"{request.folder}examples.json", eval_set.model_dump(mode="json"))
    return PreparedEvalSet(
        blob=blob,
        examples=len(eval_set.examples),
        lines=eval_set.lines,
        evaluable=eval_set.evaluable,
        skipped=eval_set.skipped,
        selection=eval_set.selection,
    )


def ask_model(clients: Clients, request: AskInput) -> Answered:
    store = clients.store
    path = f"{request.folder}answers/{request.label}/{request.index}.json"

    def ask() -> dict[str, Any] | float:
        example = _example(store, request.examples_blob, request.index)
        answer = _chat(clients.openai, request.deployment, example.chat_messages(), ANSWER_MAX_TOKENS, None)
        if isinstance(answer, float):
            return answer
        text, usage = answer
        return {"answer": text, **usage}

    outcome = _at_most_once(store, path, ask)
    if isinstance(outcome, float):
        return Answered(label=request.label, index=request.index, ok=False, retry_after=outcome)
    document, fresh = outcome
    return Answered(
        label=request.label,
        index=request.index,
        ok=True,
        reused=not fresh,
        lost=document is None,
        **_usage(document or {}),
    )


def judge_answer(clients: Clients, request: JudgeInput) -> Judged:
    store = clients.store
    path = f"{request.folder}judges/{request.grader}/{request.label}/{request.index}.json"

    def ask() -> dict[str, Any] | float:
        example = _example(store, request.examples_blob, request.index)
        answered = _read(store, f"{request.folder}answers/{request.label}/{request.index}.json") or {}
        messages = judge_messages(
            list(example.prompt), example.reference, str(answered.get("answer", "")), request.rubric
        )
        reply = _chat(clients.openai, request.deployment, messages, JUDGE_MAX_TOKENS, JUDGE_RESPONSE_FORMAT)
        if isinstance(reply, float):
            return reply
        text, usage = reply
        try:
            return {"score": parse_judge_reply(text), "reply": text, **usage}
        except JudgeReplyError as error:
            raise PipelineError("evaluation_failed", f"grader {request.grader}: {error}") from None

    outcome = _at_most_once(store, path, ask)
    if isinstance(outcome, float):
        return Judged(
            grader=request.grader, label=request.label, index=request.index, ok=False, retry_after=outcome
        )
    document, fresh = outcome
    return Judged(
        grader=request.grader,
        label=request.label,
        index=request.index,
        ok=True,
        reused=not fresh,
        lost=document is None,
        score=document["score"] if document else None,
        **_usage(document or {}),
    )


def _at_most_once(
    store: DatasetStore, path: str, ask: Callable[[], dict[str, Any] | float]
) -> tuple[dict[str, Any] | None, bool] | float:
    """Ask a model at most once per attempt and example, whatever crashes and retries happen.

    The answer kept earlier is reused. Otherwise a claim blob is created first (create-only): a
    claim without an answer means an earlier run of this step asked and then died before keeping
    the answer, so it is not asked again: (None, False), "lost", and the grading leaves that
    example out for every model. A refusal (throttled, not serving yet) gives the claim back and
    answers the seconds to wait. Returns (document, asked now) or the wait.
    """
    kept = _read(store, path)
    if kept is not None:
        return kept, False
    claim = f"{path}.claim"
    if not store.create_once(claim):
        return None, False
    answer = ask()
    if isinstance(answer, float):
        store.delete(claim)
        return answer
    store.write_json(path, answer)
    return answer, True


def grade_evaluation(clients: Clients, request: GradeInput) -> Graded:
    """Score every kept answer, summarise, decide; evaluation.json and evaluation.svg beside the report.

    The comparison is paired, so an example is scored only where every model's answer (and every
    judgement) was kept: one lost to a crash leaves that example out for all models alike.
    """
    store, folder = clients.store, request.folder
    examples = _eval_set(store, request.eval_set.blob)
    labels = [model.label for model in request.models]
    indices = range(len(examples.examples))
    answers = {
        label: [_read(store, f"{folder}answers/{label}/{i}.json") for i in indices] for label in labels
    }
    judged = {
        judge.name: {
            label: [_read(store, f"{folder}judges/{judge.name}/{label}/{i}.json") for i in indices]
            for label in labels
        }
        for judge in request.options.judges
    }
    complete = [
        i
        for i in indices
        if all(answers[label][i] for label in labels)
        and all(by_label[label][i] for by_label in judged.values() for label in labels)
    ]
    if not complete:
        raise PipelineError("evaluation_failed", "no example has an answer from every model")
    report = build_report(
        request.options,
        examples.model_copy(update={"examples": tuple(examples.examples[i] for i in complete)}),
        is_validation_file=request.is_validation_file,
        models=request.models,
        answers={label: [_field(answers[label][i], "answer") for i in complete] for label in labels},
        judge_scores={
            name: {label: [float(_field(by_label[label][i], "score")) for i in complete] for label in labels}
            for name, by_label in judged.items()
        },
        usage=request.usage,
    )
    artifacts = {
        "evaluation.json": store.write_json(f"{folder}evaluation.json", report.model_dump(mode="json")),
        "evaluation.svg": store.write_text(
            f"{folder}evaluation.svg", render_evaluation_svg(report), "image/svg+xml"
        ),
    }
    return Graded(report=report, artifacts=artifacts, left_out=len(indices) - len(complete))


def _field(document: dict[str, Any] | None, name: str) -> str:
    assert document is not None  # only complete examples are read
    return str(document[name])


def _chat(
    client: OpenAI, deployment: str, messages: list[dict[str, str]], max_tokens: int, response_format: Any
) -> tuple[str, dict[str, int]] | float:
    """The answer and its token usage, or the seconds to wait when the deployment cannot answer yet.
    Deterministic settings: the same prompt gets the same answer from the same model."""
    extra: dict[str, Any] = {"response_format": response_format} if response_format else {}
    try:
        completion = client.chat.completions.create(
            model=deployment,
            messages=messages,  # type: ignore[arg-type]
            temperature=0,
            max_completion_tokens=max_tokens,
            **extra,
        )
    except openai.RateLimitError as error:
        return _retry_after(error)
    except NOT_SERVING_YET:  # a fresh evaluation deployment; the orchestrator bounds the retries
        return DEFAULT_RETRY_AFTER
    usage = completion.usage
    counts = {
        "prompt_tokens": usage.prompt_tokens if usage else 0,
        "completion_tokens": usage.completion_tokens if usage else 0,
    }
    return completion.choices[0].message.content or "", counts


def _retry_after(error: openai.APIStatusError) -> float:
    headers = error.response.headers
    try:
        if "retry-after-ms" in headers:
            return max(1.0, float(headers["retry-after-ms"]) / 1000)
        return max(1.0, float(headers.get("retry-after", DEFAULT_RETRY_AFTER)))
    except ValueError:
        return DEFAULT_RETRY_AFTER


def _read(store: DatasetStore, path: str) -> dict[str, Any] | None:
    if not store.exists(path):
        return None
    document = store.read_json(path)
    return document if isinstance(document, dict) else None


def _usage(kept: dict[str, Any]) -> dict[str, int]:
    return {
        "prompt_tokens": int(kept.get("prompt_tokens", 0)),
        "completion_tokens": int(kept.get("completion_tokens", 0)),
    }


_EVAL_SETS: dict[tuple[str, str], EvalSet] = {}
CACHED_EVAL_SETS = 8


def _eval_set(store: DatasetStore, blob: str) -> EvalSet:
    """The selected examples of an attempt: written once, so each worker reads them once."""
    key = (store.name, blob)
    if key not in _EVAL_SETS:
        if len(_EVAL_SETS) >= CACHED_EVAL_SETS:
            _EVAL_SETS.pop(next(iter(_EVAL_SETS)))
        _EVAL_SETS[key] = EvalSet.model_validate(store.read_json(blob))
    return _EVAL_SETS[key]


def _example(store: DatasetStore, blob: str, index: int) -> EvalExample:
    examples = _eval_set(store, blob).examples
    if not 0 <= index < len(examples):
        raise PipelineError("internal_error", f"example {index} is not in {blob} ({len(examples)} examples)")
    return examples[index]
