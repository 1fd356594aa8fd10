"""The quality gate end to end (issue 11): the emulator's fine-tuned models answer with their nearest
training reply and the base model generically, so an eval set that resembles the training data is
won by the candidate and one that does not is not."""

from __future__ import annotations

import json
import signal
import time
from collections import Counter

from local.stack import LocalStack
from tests.e2e.test_runs import TRAINING, VALIDATION, report_of
from tests.support.emulator import EmulatorAdmin

SYSTEM = "Clippy is a factual chatbot that is also sarcastic."


def eval_set(pairs: list[tuple[str, str]]) -> bytes:
    lines = [
        {
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": q},
                {"role": "assistant", "content": a},
            ]
        }
        for q, a in pairs
    ]
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def training_pairs() -> list[tuple[str, str]]:
    pairs = []
    for line in TRAINING.splitlines():
        messages = json.loads(line)["messages"]
        pairs.append((messages[1]["content"], messages[2]["content"]))
    return pairs


RESEMBLING = eval_set([(f"Tell me: {q}", a) for q, a in training_pairs()])
UNRELATED = eval_set(
    [
        (
            f"Which spice blend goes with recipe number {n}?",
            f"Cumin, coriander and {n} grams of smoked paprika.",
        )
        for n in range(10)
    ]
)


def evaluation_deployments(emulator: EmulatorAdmin, run: str) -> list[str]:
    """The run's evaluation deployments still in the account, once ARM has finished deleting (a
    delete is accepted at once and completes a moment later)."""
    deadline = time.monotonic() + 15
    while True:
        left = [d["name"] for d in emulator.state()["deployments"] if d["name"].startswith(f"ft-{run}-eval-")]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)


def test_a_candidate_that_learned_the_task_is_promoted(stack: LocalStack, emulator: EmulatorAdmin) -> None:
    stack.upload_run(
        "gate-win", {"eval.jsonl": RESEMBLING, "validation.jsonl": VALIDATION, "training.jsonl": TRAINING}
    )
    run = stack.wait_for_run("gate-win", timeout=300)
    assert run["result"] == "succeeded", run
    report = report_of(stack, run)
    evaluation = report["evaluation"]
    assert evaluation["decision"]["promote"] and evaluation["eval_set"]["examples"] == 10
    assert not evaluation["eval_set"]["is_validation_file"]
    assert report["deployment"]["model"] == next(
        m["model"] for m in evaluation["models"] if m["label"] == evaluation["decision"]["candidate"]
    )
    assert evaluation_deployments(emulator, "gate-win") == []
    markdown = stack.read_blob(run["report"]["report.md"]).decode()
    assert "## Evaluation" in markdown and "evaluation/evaluation.svg" in markdown
    assert b"<svg" in stack.read_blob(run["report"]["evaluation.svg"])


def test_a_candidate_no_better_than_the_base_model_is_not_promoted(
    stack: LocalStack, emulator: EmulatorAdmin
) -> None:
    stack.upload_run("gate-lose", {"eval.jsonl": UNRELATED, "training.jsonl": TRAINING})
    run = stack.wait_for_run("gate-lose", timeout=300)
    assert run["result"] == "rejected", run
    assert run["errors"][0]["code"] == "not_better_than_baseline"
    assert [d for d in emulator.state()["deployments"] if d["name"] == "ft-gate-lose"] == []
    assert evaluation_deployments(emulator, "gate-lose") == []
    assert report_of(stack, run)["evaluation"]["decision"]["promote"] is False


def test_a_crash_during_evaluation_resumes_without_asking_twice(
    stack: LocalStack, emulator: EmulatorAdmin
) -> None:
    many = eval_set([(f"Tell me again: {q} ({n})", a) for n in range(4) for q, a in training_pairs()])
    stack.upload_run("gate-crash", {"eval.jsonl": many, "training.jsonl": TRAINING})
    stack.wait_for_run(
        "gate-crash", timeout=240, until=lambda run: 0 < ((run.get("evaluation") or {}).get("done") or 0) < 60
    )
    stack.host.stop(signal.SIGKILL)
    stack.start_host()
    run = stack.wait_for_run("gate-crash", timeout=300)
    assert run["result"] in ("succeeded", "rejected"), run
    asked = Counter(
        (entry["deployment"], entry["messages_sha256"])
        for entry in emulator.chat_log()
        if entry["deployment"].startswith("ft-gate-crash-eval-") or entry["deployment"] == "gpt-4o"
    )
    repeated = {key: count for key, count in asked.items() if count > 1}
    assert not repeated, f"asked more than once: {repeated}"
    assert evaluation_deployments(emulator, "gate-crash") == []


def test_a_promotion_over_an_earlier_model_can_be_rolled_back(
    stack: LocalStack, emulator: EmulatorAdmin
) -> None:
    shared = b'{"deployment": {"name": "ft-shared"}}'
    for run in ("roll-a", "roll-b"):
        stack.upload_run(run, {"run.json": shared, "training.jsonl": TRAINING})
        assert stack.wait_for_run(run, timeout=180)["result"] == "succeeded"
    first = report_of(stack, stack.wait_for_run("roll-a", timeout=5))
    second = report_of(stack, stack.wait_for_run("roll-b", timeout=5))
    assert (
        second["deployment"]["replaced_model"]
        == first["deployment"]["model"]
        != second["deployment"]["model"]
    )
    assert stack.api("POST", "runs/roll-a/rollback")[1]["code"] == "nothing_to_roll_back"  # it created it
    status, rolled = stack.api("POST", "runs/roll-b/rollback", {"by": "e2e"})
    assert status == 202 and rolled["model"] == first["deployment"]["model"]
    [deployment] = [d for d in emulator.state()["deployments"] if d["name"] == "ft-shared"]
    assert deployment["model"] == first["deployment"]["model"]
