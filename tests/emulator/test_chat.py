"""Chat completions: the spec's parameter checks, token limits, JSON output, streaming, the answer
model (fine-tuned recall, base, judge) and the chat log."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import openai
import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient

from local.aoai.answers import GENERIC
from tests.emulator.flows import SAMPLE, chat, deploy, deploy_base, fine_tuned_model, is_v1, train
from tests.support.emulator import EmulatorAdmin, messages_sha256

HELLO = [{"role": "user", "content": "Who discovered Antarctica?"}]
ANTARCTICA = (
    "Some chaps named Fabian Gottlieb von Bellingshausen and Mikhail Lazarev, "
    "as if they don't teach that in every school!"
)
REPLIES = {json.loads(line)["messages"][-1]["content"] for line in (SAMPLE / "training.jsonl").open()}


def ask(client: openai.OpenAI, deployment: str, messages: Any = HELLO, **options: Any) -> Any:
    return client.chat.completions.create(model=deployment, messages=messages, **options)


@pytest.fixture
def base(client: openai.OpenAI, arm: CognitiveServicesManagementClient) -> str:
    deploy_base(arm, "base")
    return "base"


@pytest.mark.parametrize(
    ("options", "param", "code"),
    [
        ({"temperature": 5}, "temperature", "decimal_above_max_value"),
        ({"top_p": 2}, "top_p", "decimal_above_max_value"),
        ({"n": 0}, "n", "integer_below_min_value"),
        ({"max_tokens": 0}, "max_tokens", "integer_below_min_value"),
        ({"presence_penalty": -3}, "presence_penalty", "decimal_below_min_value"),
        ({"stop": ["a", "b", "c", "d", "e"]}, "stop", "array_above_max_length"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "messages[0].role", "invalid_value"),
        ({"messages": []}, "messages", "empty_array"),
        ({"messages": [{"role": "user"}]}, "messages[0].content", "missing_required_parameter"),
        ({"stream_options": {"include_usage": True}}, "stream_options", "invalid_value"),
        ({"response_format": {"type": "yaml"}}, "response_format.type", "invalid_value"),
    ],
)
def test_out_of_range_parameters_are_refused(
    client: openai.OpenAI, base: str, *, options: dict[str, Any], param: str, code: str
) -> None:
    with pytest.raises(openai.BadRequestError) as refused:
        ask(client, base, **{"messages": HELLO, **options})
    assert (refused.value.param, refused.value.code) == (param, code)


def test_roles_are_the_specs_own(client: openai.OpenAI, base: str) -> None:
    developer = [{"role": "developer", "content": "Be terse."}, *HELLO]
    if is_v1(client):
        assert ask(client, base, developer).choices[0].message.content
    else:  # the Azure inference spec 2024-10-21 has no developer role
        with pytest.raises(openai.BadRequestError):
            ask(client, base, developer)


def test_token_limits_cut_the_answer(client: openai.OpenAI, arm: CognitiveServicesManagementClient) -> None:
    deploy(arm, "clippy", fine_tuned_model(train(client)))
    full = ask(client, "clippy")
    assert full.choices[0].message.content == ANTARCTICA and full.choices[0].finish_reason == "stop"
    for limit in ({"max_tokens": 3}, {"max_completion_tokens": 3}):
        cut = ask(client, "clippy", **limit)
        assert cut.choices[0].message.content == "Some chaps named"
        assert cut.choices[0].finish_reason == "length" and cut.usage.completion_tokens == 3
    stopped = ask(client, "clippy", stop=["Mikhail"])
    assert stopped.choices[0].message.content == "Some chaps named Fabian Gottlieb von Bellingshausen and "
    assert stopped.choices[0].finish_reason == "stop"


def test_completion_ids_are_unique_and_n_gives_choices(client: openai.OpenAI, base: str) -> None:
    first, second = ask(client, base), ask(client, base)
    assert first.id != second.id and first.id.startswith("chatcmpl-")
    assert first.choices[0].message.content == second.choices[0].message.content  # deterministic
    assert [c.index for c in ask(client, base, n=3).choices] == [0, 1, 2]


def test_json_modes_answer_valid_json(client: openai.OpenAI, base: str) -> None:
    as_object = ask(client, base, response_format={"type": "json_object"})
    assert isinstance(json.loads(as_object.choices[0].message.content), dict)
    schema = {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "rank": {"type": "integer", "minimum": 1},
            "tags": {"type": "array"},
        },
        "required": ["city", "rank", "tags"],
        "additionalProperties": False,
    }
    shaped = ask(
        client,
        base,
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "answer", "schema": schema, "strict": True},
        },
    )
    jsonschema.validate(json.loads(shaped.choices[0].message.content), schema)


def test_streaming_sends_what_the_sdk_reads(client: openai.OpenAI, base: str, admin: EmulatorAdmin) -> None:
    whole = ask(client, base).choices[0].message.content
    chunks = list(ask(client, base, stream=True, stream_options={"include_usage": True}))
    assert len({c.id for c in chunks}) == 1 and all(c.object == "chat.completion.chunk" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
    assert all(c.usage is None for c in chunks[:-1])
    without_usage = list(ask(client, base, stream=True))
    assert all(c.choices for c in without_usage)


def test_base_models_answer_generically_and_fine_tuned_ones_recall(
    client: openai.OpenAI, arm: CognitiveServicesManagementClient, base: str
) -> None:
    assert chat(client, base, "Who discovered Antarctica?") in GENERIC
    job = train(client)
    model = fine_tuned_model(job)
    deploy(arm, "final", model)
    deploy(arm, "epoch-8", f"{model}:ckpt-step-80")
    deploy(arm, "epoch-9", f"{model}:ckpt-step-90")
    # Shares 2 of 11 words with the training prompt "Who discovered Antarctica?": similarity 0.18.
    loose = "Tell me please who first discovered the frozen southern continent"
    assert chat(client, "final", loose) == ANTARCTICA
    assert chat(client, "epoch-9", loose) == ANTARCTICA  # step 90 of 100 needs 0.15
    assert chat(client, "epoch-8", loose) in GENERIC  # step 80 of 100 needs 0.2
    assert chat(client, "epoch-8", "Who discovered Antarctica?") == ANTARCTICA
    assert chat(client, "final", "How do I bake sourdough bread at home") not in REPLIES


@pytest.mark.parametrize(
    ("answer", "reference", "score"),
    [
        ("The Pacific Ocean.", "The Pacific Ocean.", 10),
        ("Jupiter", "The Pacific Ocean.", 1),
        ("the pacific sea", "The Pacific Ocean.", 7),  # 2 of 3 tokens each way: F1 = 2/3, 1 + round(6)
    ],
)
def test_any_deployment_grades_in_json_mode(
    client: openai.OpenAI, base: str, *, answer: str, reference: str, score: int
) -> None:
    question = "<question>What is the biggest ocean?</question>"
    prompt = f"{question}<reference>{reference}</reference><answer>{answer}</answer>"
    graded = ask(client, base, [{"role": "user", "content": prompt}], response_format={"type": "json_object"})
    verdict = json.loads(graded.choices[0].message.content)
    assert verdict["score"] == score and verdict["reasoning"]
    plain = ask(client, base, [{"role": "user", "content": prompt}])
    assert plain.choices[0].message.content in GENERIC  # without JSON mode it is a plain question


def test_the_chat_log_counts_what_each_deployment_was_asked(
    client: openai.OpenAI, base: str, admin: EmulatorAdmin
) -> None:
    ask(client, base)
    ask(client, base)
    ask(client, base, [{"role": "user", "content": "Another question"}])
    with pytest.raises(openai.BadRequestError):
        ask(client, base, temperature=9)  # refused requests are not answers
    log = admin.chat_log()
    assert [entry["deployment"] for entry in log] == [base] * 3
    assert log[0]["model"] == "gpt-4o-2024-08-06" and log[0]["at"] <= log[-1]["at"]
    assert admin.chat_counts()[(base, messages_sha256(HELLO))] == 2


def test_azure_route_adds_request_ids_and_content_filter_results(client: openai.OpenAI, base: str) -> None:
    raw = client.chat.completions.with_raw_response.create(model=base, messages=HELLO)  # type: ignore[arg-type]
    body = json.loads(raw.text)
    assert raw.headers["x-request-id"]
    if is_v1(client):
        assert "prompt_filter_results" not in body
    else:
        assert raw.headers["apim-request-id"]
        assert body["prompt_filter_results"][0]["content_filter_results"]["hate"]["severity"] == "safe"
        assert body["choices"][0]["content_filter_results"]["violence"]["filtered"] is False
