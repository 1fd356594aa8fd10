"""Settings, per-run options and blob paths: the checks that stop a bad or hostile request early,
before anything is uploaded, and keep the operator's limits as ceilings."""

from __future__ import annotations

from typing import Any

import pytest

from tuning.failures import CODES, PipelineError
from tuning.options import RunOptions, merge_options, parse_options
from tuning.paths import check_run_name, confined_blob_path, parse_incoming, shortened_name
from tuning.settings import SettingsError, load_settings

BASE_ENV = {
    "AzureWebJobsStorage": "UseDevelopmentStorage=true",
    "AZURE_OPENAI_ENDPOINT": "http://127.0.0.1:1",
}


def settings(**overrides: str) -> Any:
    return load_settings({**BASE_ENV, **overrides})


def merged(options: dict[str, Any], run: str = "demo", **env: str) -> Any:
    return merge_options(settings(**env), run, parse_options(options, "run.json"))


def refused(options: dict[str, Any], code: str, run: str = "demo", **env: str) -> str:
    with pytest.raises(PipelineError) as raised:
        merged(options, run, **env)
    assert raised.value.code == code, raised.value
    return raised.value.message


def test_defaults_follow_the_design_table() -> None:
    s = settings()
    assert s.container == "fine-tuning"
    assert s.base_model == "gpt-4o-2024-08-06"
    assert (s.poll_min_seconds, s.poll_max_seconds, s.job_timeout_hours) == (30, 600, 72)
    assert (s.deploy_sku, s.deploy_capacity, s.require_approval) == ("Standard", 1, "none")
    assert (s.deployment_prefix, s.allowed_skus, s.max_capacity) == (
        "ft-",
        ("Standard", "GlobalStandard", "DeveloperTier"),
        1,
    )
    assert (s.openai_api_style, s.data_scan, s.eval_concurrency) == ("v1", "warn", 4)
    assert s.storage_connection == "UseDevelopmentStorage=true"
    assert s.max_cost_usd is None and s.public_base_url is None


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("FT_POLL_MIN_SECONDS", "soon"),
        ("FT_REQUIRE_APPROVAL", "always"),
        ("FT_DEPLOY_CAPACITY", "1.5"),
        ("FT_TRAINING_PRICES", "[1, 2]"),
        ("FT_MAX_COST_USD", "-3"),
        ("FT_MAX_COST_USD", "nan"),
        ("FT_DEPLOY_SKU", "Gold"),
        ("FT_ALLOWED_SKUS", "Standard,Gold"),
        ("AZURE_OPENAI_API_STYLE", "v2"),
        ("FT_DATA_SCAN", "loud"),
        ("FT_DEPLOYMENT_PREFIX", "has space"),
        ("FT_PUBLIC_BASE_URL", "example.com"),
    ],
)
def test_a_malformed_setting_is_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        settings(**{name: value})


def test_operator_defaults_must_sit_within_the_operators_own_limits() -> None:
    with pytest.raises(SettingsError, match="FT_MAX_CAPACITY"):
        settings(FT_DEPLOY_CAPACITY="5")
    with pytest.raises(SettingsError, match="FT_ALLOWED_SKUS"):
        settings(FT_DEPLOY_SKU="GlobalStandard", FT_ALLOWED_SKUS="Standard")


def test_the_public_base_url_comes_from_settings_never_from_a_request() -> None:
    assert settings(WEBSITE_HOSTNAME="ft.azurewebsites.net").public_base_url == "https://ft.azurewebsites.net"
    assert settings(FT_PUBLIC_BASE_URL="http://127.0.0.1:7071/").public_base_url == "http://127.0.0.1:7071"


def test_secrets_stay_out_of_the_description() -> None:
    s = settings(AZURE_OPENAI_API_KEY="sk-very-secret", FT_STORAGE="AccountKey=also-secret")
    described = repr(s.describe()) + repr(s)
    assert "sk-very-secret" not in described and "also-secret" not in repr(s.describe())
    assert s.describe()["openai_auth"] == "api-key"


def test_missing_deploy_target_names_every_missing_setting() -> None:
    with pytest.raises(
        SettingsError, match="AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, AZURE_OPENAI_ACCOUNT"
    ):
        settings().require_arm_target()


def test_unknown_option_keys_are_errors_that_name_the_file() -> None:
    with pytest.raises(PipelineError, match=r"incoming/demo/run\.json: sufix") as raised:
        parse_options({"sufix": "typo"}, "incoming/demo/run.json")
    assert raised.value.code == "invalid_options"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"seed": 2**31}, "seed"),
        ({"hyperparameters": {"n_epochs": 0}}, "n_epochs"),
        ({"hyperparameters": {"n_epochs": 200}}, "n_epochs"),  # OpenAI's schema: 1-50
        ({"hyperparameters": {"batch_size": 257}}, "batch_size"),
        ({"hyperparameters": {"learning_rate_multiplier": 0}}, "learning_rate_multiplier"),
        ({"hyperparameters": {"beta": 2.5}}, "beta"),
        ({"deployment": {"name": "has space"}}, "name"),
        ({"deployment": {"name": "ft-ok\n"}}, "name"),
        ({"deployment": {"sku": "Gold"}}, "sku"),
        ({"deployment": {"capacity": 0}}, "capacity"),
        ({"approval": "maybe"}, "approval"),
        ({"smoke_test": {"messages": []}}, "messages"),
        ({"method": "rlhf"}, "method"),
        ({"training_type": "Premium"}, "training_type"),
        ({"suffix": "x" * 41}, "suffix"),
        ({"suffix": "has.dot"}, "suffix"),
        ({"max_cost_usd": float("inf")}, "max_cost_usd"),
    ],
)
def test_option_values_are_checked_against_the_documented_ranges(options: dict[str, Any], field: str) -> None:
    with pytest.raises(PipelineError, match=field):
        parse_options(options, "request options")


def test_deeply_nested_options_are_a_clear_error_not_a_crash() -> None:
    nested: Any = {}
    for _ in range(5000):
        nested = {"x": nested}
    with pytest.raises(PipelineError, match=r"run\.json") as raised:
        parse_options({"hyperparameters": nested}, "run.json")
    assert raised.value.code == "invalid_options"


def test_choices_follow_the_later_layer_and_settings_fill_the_rest() -> None:
    s = settings(FT_DEPLOY_SKU="GlobalStandard", FT_MAX_CAPACITY="5")
    run_json = RunOptions.model_validate(
        {"seed": 105, "hyperparameters": {"n_epochs": 2, "batch_size": 4}, "deployment": {"capacity": 5}}
    )
    request = RunOptions.model_validate({"seed": 7, "hyperparameters": {"n_epochs": 3}})
    options = merge_options(s, "demo", run_json, request)
    assert options.seed == 7
    assert options.hyperparameters == {"n_epochs": 3, "batch_size": 4}
    assert (options.deployment_name, options.deployment_sku, options.deployment_capacity) == (
        "ft-demo",
        "GlobalStandard",
        5,
    )
    assert options.base_model == "gpt-4o-2024-08-06" and options.training_type == "Standard"


# -- the operator's limits are ceilings (issue 8, finding 3) ------------------------------------


@pytest.mark.parametrize(
    ("operator", "asked", "effective"),
    [("50", 1e300, 50.0), ("50", 20.0, 20.0), (None, 20.0, 20.0), ("50", None, 50.0)],
)
def test_a_run_can_lower_the_cost_ceiling_never_raise_it(
    operator: str | None, asked: float | None, effective: float
) -> None:
    env = {"FT_MAX_COST_USD": operator} if operator else {}
    assert merged({"max_cost_usd": asked} if asked else {}, **env).max_cost_usd == effective


@pytest.mark.parametrize(
    ("operator", "asked", "gates"),
    [
        ("training", "none", ("training",)),
        ("deployment", "training", ("training", "deployment")),
        ("both", "none", ("training", "deployment")),
        ("none", "deployment", ("deployment",)),
    ],
)
def test_a_run_can_add_approval_gates_never_drop_one(
    operator: str, asked: str, gates: tuple[str, ...]
) -> None:
    assert merged({"approval": asked}, FT_REQUIRE_APPROVAL=operator).approval_gates == gates


def test_a_deployment_outside_the_operators_prefix_is_refused_before_anything_runs() -> None:
    message = refused({"deployment": {"name": "prod-chat"}}, "option_not_allowed")
    assert "FT_DEPLOYMENT_PREFIX" in message and "'ft-'" in message
    assert merged({"deployment": {"name": "ft-chat"}}).deployment_name == "ft-chat"
    assert (
        merged({"deployment": {"name": "team-chat"}}, FT_DEPLOYMENT_PREFIX="team-").deployment_name
        == "team-chat"
    )


def test_skus_outside_the_allowlist_and_capacity_above_the_ceiling_are_refused() -> None:
    message = refused({"deployment": {"sku": "ProvisionedManaged", "capacity": 1000}}, "option_not_allowed")
    assert (
        "ProvisionedManaged is not allowed" in message
        and "capacity 1000 is above the ceiling of 1" in message
    )
    assert merged({"deployment": {"sku": "globalstandard"}}).deployment_sku == "GlobalStandard"


def test_a_sku_the_model_cannot_be_deployed_on_is_refused_with_what_it_supports() -> None:
    message = refused(
        {"base_model": "gpt-35-turbo", "deployment": {"sku": "DeveloperTier"}}, "unsupported_combination"
    )
    assert "supported:" in message


def test_unknown_models_and_unsupported_methods_fail_before_upload() -> None:
    refused({"base_model": "gpt-5-turbo-max"}, "unknown_model")
    assert "supports methods supervised" in refused(
        {"base_model": "gpt-35-turbo", "method": "dpo"}, "unsupported_combination"
    )
    refused({"hyperparameters": {"beta": 0.1}}, "invalid_options")  # beta is a DPO hyperparameter


def test_undated_model_names_resolve_to_the_catalogs_model() -> None:
    assert merged({"base_model": "gpt-4.1-mini"}).base_model == "gpt-4.1-mini-2025-04-14"


def test_long_run_names_shorten_to_distinct_deployment_names() -> None:
    first = merged({}, run="a" * 60 + "-one").deployment_name
    second = merged({}, run="a" * 60 + "-two").deployment_name
    assert first != second and len(first) <= 64 and len(second) <= 64
    assert first.startswith("ft-aaaa")
    assert shortened_name("short", 64) == "short"


# -- names and paths ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["demo\n", "demo\r", "-demo", "", "x" * 64, "a/b", "demo\x00"])
def test_run_names_are_checked_in_full(name: str) -> None:
    with pytest.raises(PipelineError) as raised:
        check_run_name(name)
    assert raised.value.code == "invalid_run_name"


@pytest.mark.parametrize(
    "path",
    [
        "https://evil.example/x.jsonl",
        "/etc/passwd",
        "../other/training.jsonl",
        "incoming/../../x.jsonl",
        "incoming//x.jsonl",
        "incoming\\x.jsonl",
        "incoming/x\n.jsonl",
        "other-container:/x.jsonl",
        "incoming/x\x7f.jsonl",
    ],
)
def test_blob_paths_are_confined_to_the_container(path: str) -> None:
    with pytest.raises(PipelineError) as raised:
        confined_blob_path(path)
    assert raised.value.code == "invalid_path"


def test_incoming_blobs_map_to_their_run_and_role() -> None:
    assert parse_incoming("incoming/demo/training.jsonl").kind == "training"  # type: ignore[union-attr]
    assert parse_incoming("incoming/demo/eval.jsonl").kind == "eval"  # type: ignore[union-attr]
    assert parse_incoming("incoming/demo/notes.txt").kind is None  # type: ignore[union-attr]
    assert parse_incoming("incoming/demo\n/training.jsonl") is None
    assert parse_incoming("elsewhere/demo/training.jsonl") is None


def test_every_failure_code_is_snake_case_and_documented() -> None:
    for code, entry in CODES.items():
        assert code == entry.code and code.replace("_", "").isalpha() and code.islower()
        assert entry.meaning and entry.action and entry.stage
    with pytest.raises(ValueError, match="unknown failure code"):
        PipelineError("NotACode", "x")
