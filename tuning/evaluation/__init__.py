"""The quality gate's library: eval sets, graders, paired statistics, the promotion decision and
the report's Evaluation section. Pure functions and pydantic models, no I/O: the pipeline's
activities make the chat calls and hand the answers in. See README.md beside this file.
"""

from tuning.evaluation.chart import render_evaluation_svg
from tuning.evaluation.decision import Decision, decide
from tuning.evaluation.examples import EvalExample, EvalSet, EvalSetError, PromptMessage, read_eval_examples
from tuning.evaluation.graders import GraderError, normalize_text, score
from tuning.evaluation.judge import (
    JUDGE_PROMPT_VERSION,
    JUDGE_RESPONSE_FORMAT,
    JudgeReplyError,
    judge_messages,
    parse_judge_reply,
)
from tuning.evaluation.markdown import render_evaluation_markdown
from tuning.evaluation.options import (
    EvaluationOptions,
    EvaluationOptionsError,
    LlmJudgeGrader,
    SimpleGrader,
    merge_evaluation_options,
    parse_evaluation_options,
)
from tuning.evaluation.report import (
    EvaluationReport,
    ExampleContrast,
    ModelInfo,
    TokenUsage,
    build_report,
    chat_calls,
)
from tuning.evaluation.statistics import GraderSummary, bootstrap_interval, summarise_grader

__all__ = [
    "JUDGE_PROMPT_VERSION",
    "JUDGE_RESPONSE_FORMAT",
    "Decision",
    "EvalExample",
    "EvalSet",
    "EvalSetError",
    "EvaluationOptions",
    "EvaluationOptionsError",
    "EvaluationReport",
    "ExampleContrast",
    "GraderError",
    "GraderSummary",
    "JudgeReplyError",
    "LlmJudgeGrader",
    "ModelInfo",
    "PromptMessage",
    "SimpleGrader",
    "TokenUsage",
    "bootstrap_interval",
    "build_report",
    "chat_calls",
    "decide",
    "judge_messages",
    "merge_evaluation_options",
    "normalize_text",
    "parse_evaluation_options",
    "parse_judge_reply",
    "read_eval_examples",
    "render_evaluation_markdown",
    "render_evaluation_svg",
    "score",
    "summarise_grader",
]
