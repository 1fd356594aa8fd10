"""Settings, per-run options and blob paths: the checks that stop a bad request early."""

from datetime import UTC

import pytest

from tuning.options import OptionsError, RunOptions, merge_options, parse_options
from tuning.paths import PathError, attempt_name, confined_blob_path, parse_incoming
from tuning.settings import SettingsError, load_settings

BASE_ENV = {
    "AzureWebJobsStorage": "UseDevelopmentStorage=true",
    "AZURE_OPENAI_ENDPOINT": "http://127.0.0.1:1",
}


def test_defaults_follow_the_design_table():
    settings = load_settings(BASE_ENV)
    assert settings.container == "fine-tuning"
    assert settings.base_model == "gpt-4o-2024-08-06"
    assert (settings.poll_min_seconds, settings.poll_max_seconds, settings.job_timeout_hours) == (30, 600, 72)
    assert (settings.deploy_sku, settings.deploy_capacity, settings.require_approval) == (
        "standard",
        1,
        "none",
    )
    assert settings.storage_connection == "UseDevelopmentStorage=true"
    assert settings.max_cost_usd is None


@pytest.mark.parametrize(
    "name, value",
    [
        ("FT_POLL_MIN_SECONDS", "soon"),
        ("FT_REQUIRE_APPROVAL", "always"),
        ("FT_DEPLOY_CAPACITY", "1.5"),
        ("FT_TRAINING_PRICES", "[1, 2]"),
        ("FT_MAX_COST_USD", "-3"),
    ],
)
def test_a_malformed_setting_is_named(name, value):
    with pytest.raises(SettingsError, match=name):
        load_settings({**BASE_ENV, name: value})


def test_poll_bounds_must_be_ordered():
    with pytest.raises(SettingsError, match="FT_POLL_MAX_SECONDS"):
        load_settings({**BASE_ENV, "FT_POLL_MIN_SECONDS": "60", "FT_POLL_MAX_SECONDS": "10"})


def test_secrets_stay_out_of_the_description():
    settings = load_settings(
        {**BASE_ENV, "AZURE_OPENAI_API_KEY": "sk-very-secret", "FT_STORAGE": "AccountKey=also-secret"}
    )
    described = repr(settings.describe()) + repr(settings)
    assert "sk-very-secret" not in described
    assert settings.describe()["openai_auth"] == "api-key"


def test_missing_deploy_target_names_every_missing_setting():
    with pytest.raises(
        SettingsError, match="AZURE_SUBSCRIPTION_ID, AZURE_RESOURCE_GROUP, AZURE_OPENAI_ACCOUNT"
    ):
        load_settings(BASE_ENV).require_arm_target()


def test_unknown_option_keys_are_errors():
    with pytest.raises(OptionsError, match="sufix"):
        parse_options({"sufix": "typo"}, "incoming/demo/run.json")


@pytest.mark.parametrize(
    "options, field",
    [
        ({"seed": -1}, "seed"),
        ({"hyperparameters": {"n_epochs": 0}}, "n_epochs"),
        ({"deployment": {"name": "has space"}}, "name"),
        ({"approval": "maybe"}, "approval"),
        ({"smoke_test": {"messages": []}}, "messages"),
        ({"method": "rlhf"}, "method"),
    ],
)
def test_option_values_are_checked(options, field):
    with pytest.raises(OptionsError, match=field):
        parse_options(options, "request options")


def test_later_layers_win_and_settings_fill_the_rest():
    settings = load_settings(
        {**BASE_ENV, "FT_DEPLOY_SKU": "GlobalStandard", "FT_REQUIRE_APPROVAL": "deployment"}
    )
    run_json = RunOptions.model_validate(
        {"seed": 105, "hyperparameters": {"n_epochs": 2, "batch_size": 4}, "deployment": {"capacity": 5}}
    )
    request = RunOptions.model_validate({"seed": 7, "hyperparameters": {"n_epochs": 3}, "approval": "none"})
    merged = merge_options(settings, "demo", run_json, request)
    assert merged.seed == 7
    assert merged.hyperparameters == {"n_epochs": 3, "batch_size": 4}
    assert (merged.deployment_name, merged.deployment_sku, merged.deployment_capacity) == (
        "ft-demo",
        "GlobalStandard",
        5,
    )
    assert merged.approval == "none"
    assert merged.smoke_test_messages[-1]["content"] == "Does Azure OpenAI support customer managed keys?"


@pytest.mark.parametrize(
    "path",
    [
        "../secrets/x.jsonl",
        "incoming/../../x.jsonl",
        "/etc/passwd",
        "https://evil.example/x.jsonl",
        "other:container/x.jsonl",
        "a//b.jsonl",
        "incoming\\run\\training.jsonl",
        "",
    ],
)
def test_paths_outside_the_container_are_refused(path):
    with pytest.raises(PathError):
        confined_blob_path(path)


def test_incoming_blob_names_map_to_runs_and_roles():
    assert parse_incoming("incoming/demo/training.jsonl").kind == "training"
    assert parse_incoming("incoming/demo/run.json").kind == "options"
    assert parse_incoming("incoming/demo/notes.txt").kind is None
    assert parse_incoming("incoming/demo/sub/training.jsonl") is None
    assert parse_incoming("runs/demo/training.jsonl") is None


def test_attempt_names_sort_by_time():
    from datetime import datetime

    assert attempt_name(datetime(2026, 11, 28, 21, 15, tzinfo=UTC)) == "20261128T211500Z"
