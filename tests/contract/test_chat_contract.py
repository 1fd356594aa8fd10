"""Chat completions on both styles: answers, streams, JSON mode and refusals checked against the specs."""

from __future__ import annotations

import json

import openai
import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import Deployment, DeploymentModel, DeploymentProperties, Sku
from openai.types.chat import ChatCompletionMessageParam

from tests.contract.conftest import ACCOUNT, RESOURCE_GROUP
from tests.contract.coverage import covers
from tests.support.emulator import EmulatorAdmin

HELLO: list[ChatCompletionMessageParam] = [{"role": "user", "content": "Who discovered Antarctica?"}]


@pytest.fixture
def deployment(arm: CognitiveServicesManagementClient) -> str:
    model = DeploymentModel(format="OpenAI", name="gpt-4o-mini", version="2024-07-18")
    body = Deployment(
        sku=Sku(name="GlobalStandard", capacity=1), properties=DeploymentProperties(model=model)
    )
    arm.deployments.begin_create_or_update(
        RESOURCE_GROUP, ACCOUNT, "chat", body, enforce_https=False
    ).result()
    return "chat"


@covers(azure=("ChatCompletions_Create",), v1=("createChatCompletion",))
def test_answers_streams_and_json(client: openai.OpenAI, deployment: str) -> None:
    plain = client.chat.completions.create(model=deployment, messages=HELLO, n=2, temperature=0.2, seed=3)
    assert len(plain.choices) == 2
    cut = client.chat.completions.create(model=deployment, messages=HELLO, max_completion_tokens=2)
    assert cut.choices[0].finish_reason == "length"
    stream = client.chat.completions.create(
        model=deployment,
        messages=HELLO,
        stream=True,
        stream_options={"include_usage": True},
    )
    assert list(stream)[-1].usage is not None
    judged = client.chat.completions.create(
        model=deployment,
        messages=[
            {"role": "user", "content": "<reference>blue whale</reference><answer>blue whale</answer>"}
        ],
        response_format={"type": "json_object"},
    )
    assert json.loads(judged.choices[0].message.content or "")["score"] == 10


@covers(azure=("ChatCompletions_Create",), v1=("createChatCompletion",))
def test_chat_refusals(client: openai.OpenAI, deployment: str, admin: EmulatorAdmin) -> None:
    for options in ({"temperature": 5}, {"stop": ["a", "b", "c", "d", "e"]}, {"n": 0}):
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(model=deployment, messages=HELLO, **options)
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=deployment, messages=[{"role": "robot", "content": "hi"}])  # type: ignore[misc, list-item]
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nowhere", messages=HELLO)
    admin.deployment_not_ready_seconds(30, deployment=deployment)
    with pytest.raises(openai.BadRequestError) as not_ready:
        client.chat.completions.create(model=deployment, messages=HELLO)
    assert not_ready.value.code == "DeploymentNotReady"
