"""What infra/ gives the app: the settings it reads, with their defaults, and the ARM rights
its deployment steps use (read from the templates' syntax trees, not from their text)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.infra.bicep_syntax import BicepFile, Node, parse_bicep, properties, string_value, text_of

INFRA = Path(__file__).resolve().parents[2] / "infra"

# Setting -> default, as DESIGN.md's settings table gives them.
OPERATOR_SETTINGS = {
    "AZURE_OPENAI_API_STYLE": "v1",
    "FT_DEPLOYMENT_PREFIX": "ft-",
    "FT_ALLOWED_SKUS": "Standard,GlobalStandard,DeveloperTier",
    "FT_MAX_CAPACITY": "1",
    "FT_DATA_SCAN": "warn",
    "FT_EVAL_CONCURRENCY": "4",
    "FT_RECONCILE_SCHEDULE": "0 */5 * * * *",
    "FT_EVAL_BASELINE_DEPLOYMENT": "",
    "FT_REQUIRE_EVALUATION": "false",
}


def parse(name: str) -> BicepFile:
    return parse_bicep(INFRA / name, name)


def default_of(file: BicepFile, value: Node) -> tuple[str, str]:
    """(parameter, its default as the app setting's text) for `param` or `string(param)`."""
    if value.type == "call_expression":
        arguments = value.child_by_field_name("arguments")
        assert text_of(value.child_by_field_name("function") or value) == "string" and arguments is not None
        value = arguments.named_children[0]
    param = file.symbols[text_of(value)]
    assert param.kind == "param" and param.value is not None
    literal = string_value(param.value)
    return param.name, literal if literal is not None else text_of(param.value)


def app_settings(main: BicepFile) -> dict[str | None, Node]:
    """The `settings` object main.bicep passes to the function app module, by setting name."""
    module_params = next(p for p in main.symbols["functionApp"].body if p.key == "params").value
    settings = next(p for p in properties(module_params) if p.key == "settings").value
    return {p.key: p.value for p in properties(settings)}


def test_operator_settings_are_parameters_with_the_designed_defaults() -> None:
    main = parse("main.bicep")
    given = app_settings(main)
    assert {name: default_of(main, given[name])[1] for name in OPERATOR_SETTINGS} == OPERATOR_SETTINGS


def test_azd_environment_names_the_settings_with_the_same_defaults() -> None:
    main = parse("main.bicep")
    given = app_settings(main)
    parameters = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    for setting, default in OPERATOR_SETTINGS.items():
        param, _ = default_of(main, given[setting])
        assert parameters[param]["value"] == f"${{{setting}={default}}}"


def test_public_base_url_is_the_sites_own_host_name() -> None:
    module = parse("modules/functionapp.bicep")
    config = next(d for d in module.of_kind("resource") if d.target.startswith("Microsoft.Web/sites/config@"))
    assert string_value(next(p.value for p in config.body if p.key == "name")) == "appsettings"
    assert text_of(next(p.value for p in config.body if p.key == "parent")) == "site"
    values = text_of(next(p.value for p in config.body if p.key == "properties"))
    assert re.search(r"FT_PUBLIC_BASE_URL: 'https://\$\{site\.properties\.defaultHostName\}'", values)


def test_the_deployment_role_always_includes_delete() -> None:
    access = parse("modules/openai-access.bicep")
    actions = access.symbols["deploymentActions"].value
    assert actions is not None and actions.type == "array"  # a plain list: no switch
    assert [string_value(item) for item in actions.named_children if item.type == "string"] == [
        "Microsoft.CognitiveServices/accounts/read",
        "Microsoft.CognitiveServices/accounts/deployments/read",
        "Microsoft.CognitiveServices/accounts/deployments/write",
        "Microsoft.CognitiveServices/accounts/deployments/delete",
    ]
