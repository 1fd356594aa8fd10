"""An evaluation of four Clippy examples by a baseline and two candidates, built with the real code."""

from __future__ import annotations

import io
import json

from tuning.evaluation import (
    EvaluationReport,
    ModelInfo,
    TokenUsage,
    build_report,
    parse_evaluation_options,
    read_eval_examples,
)

SYSTEM = "Clippy is a factual chatbot that is also sarcastic."
EXAMPLES = [
    ("What's the capital of Canada?", "It's Ottawa, not Toronto. Shocking, I know!"),
    ("Who wrote 'Hamlet'?", "Some guy named William Shakespeare. Ever heard of him?"),
    ("What is the largest continent?", "Asia. It's not like it's a small island or anything."),
    ("What's the chemical symbol for gold?", "Au. As if they don't teach that in every chemistry class!"),
]
MODELS = (
    ModelInfo(label="baseline", role="baseline", deployment="gpt-4o", model="gpt-4o-2024-08-06"),
    ModelInfo(label="final", role="candidate", deployment="ft-demo-eval-1", model="gpt-4o-2024-08-06.ft-abc"),
    ModelInfo(label="best_checkpoint", role="candidate", deployment="ft-demo-eval-2", step=20),
)
HOSTILE = (
    "![pwned](https://evil.example/x.png) [click](javascript:alert(1)) "
    "<img src=x onerror=alert(1)> www.evil.example"
)


def eval_jsonl() -> bytes:
    lines = [
        {
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": q},
                {"role": "assistant", "content": a},
            ]
        }
        for q, a in EXAMPLES
    ]
    return b"".join(json.dumps(line).encode() + b"\n" for line in lines)


def answers() -> dict[str, list[str]]:
    references = [answer for _, answer in EXAMPLES]
    return {
        "baseline": ["Ottawa is the capital of Canada.", HOSTILE, "Asia.", "Au"],
        "final": [
            references[0],
            "Some guy named Homer. Ever heard of him?",
            references[2],
            "```\n```` Gold ````\n" + HOSTILE,
        ],
        "best_checkpoint": ["Toronto.", references[1], "Europe.", "Ag."],
    }


def sample_report() -> EvaluationReport:
    options = parse_evaluation_options(
        {
            "baseline_deployment": "gpt-4o",
            "graders": ["exact_match", "token_f1", {"type": "llm_judge", "deployment": "gpt-4.1"}],
        },
        "run.json",
    )
    eval_set = read_eval_examples(io.BytesIO(eval_jsonl()), 100, source="eval.jsonl")
    return build_report(
        options,
        eval_set,
        is_validation_file=False,
        models=MODELS,
        answers=answers(),
        judge_scores={
            "llm_judge": {
                "baseline": [0.5, 0.0, 0.5, 0.5],
                "final": [1.0, 0.2, 1.0, 0.1],
                "best_checkpoint": [0.0, 1.0, 0.0, 0.0],
            }
        },
        usage=[
            TokenUsage(
                model="baseline", purpose="answers", requests=4, prompt_tokens=120, completion_tokens=40
            ),
            TokenUsage(model="final", purpose="answers", requests=4, prompt_tokens=120, completion_tokens=52),
            TokenUsage(
                model="llm_judge", purpose="judge", requests=12, prompt_tokens=3_000, completion_tokens=600
            ),
        ],
    )
