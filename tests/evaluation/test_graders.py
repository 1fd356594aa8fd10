"""Each local grader on known inputs with known scores."""

from __future__ import annotations

import pytest

from tuning.evaluation import GraderError, LlmJudgeGrader, SimpleGrader, normalize_text, score

# (answer, reference, F1) measured with azure-ai-evaluation 1.18.10's F1ScoreEvaluator on this
# machine (its f1_score output, bit for bit): token_f1 must be the same metric.
SDK_F1 = [
    ("Lyon is the capital of France.", "Paris is the capital of France.", 0.8000000000000002),
    (
        "The main transformer is the object that feeds all the fixtures in low voltage tracks.",
        "Master transformer.",
        0.14285714285714285,
    ),
    ("the the the cat", "The cat sat", 0.6666666666666666),
    ("It's Canberra, not Sydney!", "Its Canberra not Sydney", 1.0),
    ("Über café naïve", "über Café", 0.8),
    ("An apple a day", "apple day", 1.0),
    ("", "The", 0.0),
    ("a an the", "The.", 0.0),
    ("Blue Whale. Quite a big fish isn't it?", "blue whale", 0.4444444444444445),
    ("x-ray x ray", "xray", 0.5),
    ("New\tYork\nCity", "new york city", 1.0),
]


def grade(grader: str, reference: str, answer: str) -> float:
    return score(grader, prompt=(), reference=reference, answer=answer)


def test_normalisation_is_squads() -> None:
    assert normalize_text("  The Cat's   (an) HAT!\n") == "cats hat"
    assert normalize_text("theatre another") == "theatre another"  # articles only as whole words
    assert normalize_text("¿Qué?") == "¿qué"  # SQuAD strips ASCII punctuation only


@pytest.mark.parametrize(("answer", "reference", "expected"), SDK_F1)
def test_token_f1_equals_azure_ai_evaluation(answer: str, reference: str, expected: float) -> None:
    assert grade("token_f1", reference, answer) == expected


def test_token_f1_counts_repeated_tokens_once_per_match() -> None:
    # answer "cat cat cat" (3 tokens) shares one "cat" with "cat sat": precision 1/3, recall 1/2
    assert grade("token_f1", "cat sat", "cat cat cat") == pytest.approx(
        2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2)
    )


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("The Pacific Ocean.", "pacific ocean", 1.0),
        ("Pacific  ocean!!", "The Pacific Ocean", 1.0),
        ("Pacific Ocean, obviously", "The Pacific Ocean", 0.0),
        ("", "", 1.0),
        ("Atlantic", "Pacific", 0.0),
    ],
)
def test_exact_match(answer: str, reference: str, expected: float) -> None:
    assert grade("exact_match", reference, answer) == expected


@pytest.mark.parametrize(
    ("answer", "reference", "expected"),
    [
        ("It's Canberra, not Sydney. Shocking!", "canberra", 1.0),
        ("The answer is: New York City.", "New York", 1.0),
        ("concatenate", "cat", 0.0),  # whole words only
        ("York New", "New York", 0.0),  # in order
        ("anything at all", "The.", 0.0),  # nothing left to look for
    ],
)
def test_contains(answer: str, reference: str, expected: float) -> None:
    assert grade("contains", reference, answer) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('{"a": 1}', 1.0),
        ('  [1, 2, "x"]\n', 1.0),
        ("42", 1.0),
        ('```json\n{"a": 1}\n```', 0.0),  # a fence is not JSON to a parser
        ('{"a": NaN}', 0.0),
        ("{'a': 1}", 0.0),
        ("", 0.0),
        ("[" * 100_000, 0.0),  # too deep: refused, not a RecursionError
    ],
)
def test_json_valid(answer: str, expected: float) -> None:
    assert grade("json_valid", "ignored", answer) == expected


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ('{"b": [1, 2], "a": {"y": null, "x": "s"}}', 1.0),  # key order ignored at every depth
        ('{"a": {"x": "s", "y": null}, "b": [1.0, 2]}', 1.0),  # 1 and 1.0 are the same JSON number
        ('{"a": {"x": "s", "y": null}, "b": [2, 1]}', 0.0),  # array order matters
        ('{"a": {"x": "s"}, "b": [1, 2]}', 0.0),
        ('{"a": {"x": "s", "y": null}, "b": [1, 2], "c": 0}', 0.0),
        ("not json", 0.0),
    ],
)
def test_json_match(answer: str, expected: float) -> None:
    reference = '{"a": {"x": "s", "y": null}, "b": [1, 2]}'
    assert grade("json_match", reference, answer) == expected


def test_json_match_tells_true_from_one() -> None:
    assert grade("json_match", '{"ok": true}', '{"ok": 1}') == 0.0
    assert grade("json_match", "[false]", "[0]") == 0.0
    assert grade("json_match", '{"ok": true}', '{"ok": true}') == 1.0


def test_json_match_needs_a_json_reference() -> None:
    with pytest.raises(GraderError, match="json_match needs a JSON reference"):
        grade("json_match", "Canberra", '"Canberra"')


def test_grader_objects_and_names_score_alike() -> None:
    assert score(SimpleGrader(type="contains"), prompt=(), reference="b", answer="a b c") == 1.0


def test_llm_judge_and_unknown_graders_are_refused() -> None:
    judge = LlmJudgeGrader(type="llm_judge", deployment="gpt-4.1")
    with pytest.raises(GraderError, match="judge_messages and parse_judge_reply"):
        score(judge, prompt=(), reference="a", answer="a")
    with pytest.raises(GraderError, match="unknown grader 'bleu'"):
        grade("bleu", "a", "a")
