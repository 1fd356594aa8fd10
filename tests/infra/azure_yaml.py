"""azure.yaml checked against azd's own JSON schema (vendored: schemas/SOURCES.md), plus the
paths it names: the Bicep module, the service project and the hook scripts must exist.

The schema refers to a few more schemas by URL (AI agent and Foundry hosts); they are never
downloaded: a reference to one fails the check, which cannot happen for the `function` host.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml
from jsonschema import validators
from jsonschema.exceptions import best_match
from referencing import Registry
from referencing.exceptions import Unresolvable

from tests.infra.bicep_syntax import Finding

__all__ = ["SCHEMA", "azure_yaml_findings"]

SCHEMA = Path(__file__).parent / "schemas" / "azure.yaml.json"
RULE = "azure.yaml"


def _line(node: yaml.Node, path: list[str | int]) -> int:
    """The line of the YAML node at `path` (or of the deepest node that exists on the way)."""
    for step in path:
        if isinstance(node, yaml.MappingNode):
            match = next((value for key, value in node.value if key.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            match = node.value[step]
        else:
            match = None
        if match is None:
            break
        node = match
    return node.start_mark.line + 1


def _named_paths(document: dict[str, Any], root: Path) -> list[tuple[list[str | int], str]]:
    """(YAML path, problem) for each path azure.yaml names that does not exist."""
    problems: list[tuple[list[str | int], str]] = []
    infra = document.get("infra", {})
    module = root / infra.get("path", "infra") / f"{infra.get('module', 'main')}.bicep"
    if not module.is_file():
        problems.append((["infra", "module"], f"no Bicep module {module.relative_to(root)}"))
    for name, service in document.get("services", {}).items():
        if not (root / service.get("project", ".")).is_dir():
            problems.append((["services", name, "project"], f"no project folder {service.get('project')}"))
    for hook, platforms in document.get("hooks", {}).items():
        for platform, config in platforms.items() if isinstance(platforms, dict) else []:
            script = config.get("run", "") if isinstance(config, dict) else ""
            if script.startswith("./") and not (root / script).is_file():
                problems.append((["hooks", hook, platform, "run"], f"no hook script {script}"))
    return problems


def azure_yaml_findings(path: Path, schema_path: Path = SCHEMA) -> list[Finding]:
    """Schema violations and missing paths of one azure.yaml, each with its line."""
    display = path.name
    text = path.read_text()
    try:
        tree = yaml.compose(text)
        document = yaml.safe_load(text)
    except yaml.YAMLError as broken:
        mark = getattr(broken, "problem_mark", None)
        return [Finding(display, mark.line + 1 if mark else 1, RULE, f"not YAML: {broken}")]
    if tree is None or not isinstance(document, dict):
        return [Finding(display, 1, RULE, "azure.yaml must be a mapping")]
    schema = json.loads(schema_path.read_text())
    # An empty registry answers every URL with NoSuchResource: nothing is downloaded.
    validator = validators.validator_for(schema)(schema, registry=Registry())
    try:
        errors = list(validator.iter_errors(document))
    except Unresolvable as missing:
        return [
            Finding(
                display, 1, RULE, f"the schema needs {missing}, which is not vendored (nothing is downloaded)"
            )
        ]
    findings = []
    for top in errors:
        error = best_match([top])  # the branch that failed, not "valid under none of anyOf"
        at = ".".join(str(step) for step in error.absolute_path) or "(top)"
        message = error.message if len(error.message) <= 160 else error.message[:157] + "..."
        steps = list(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            steps += sorted(set(error.instance) - set(error.schema.get("properties", {})))[
                :1
            ]  # the bad key's line
        findings.append(Finding(display, _line(tree, steps), RULE, f"{at}: {message}"))
    findings += [
        Finding(display, _line(tree, where), RULE, problem)
        for where, problem in _named_paths(document, path.parent)
    ]
    return sorted(findings)
