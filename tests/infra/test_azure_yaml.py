"""azure.yaml against azd's vendored JSON schema and the paths it names."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.infra.azure_yaml import azure_yaml_findings

REPO = Path(__file__).resolve().parents[2]


def test_azure_yaml_passes() -> None:
    findings = azure_yaml_findings(REPO / "azure.yaml")
    assert findings == [], "\n".join(map(str, findings))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """azure.yaml with the folders and hook scripts it names."""
    shutil.copy(REPO / "azure.yaml", tmp_path / "azure.yaml")
    shutil.copytree(REPO / "infra", tmp_path / "infra")
    return tmp_path


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("name: fine-tuning-pipeline", "name: Fine_Tuning", "name: 'Fine_Tuning' does not match"),
        (
            "      shell: sh\n",
            "      shell: zsh\n",
            "hooks.postdeploy.posix.shell: 'zsh' is not one of ['sh', 'pwsh']",
        ),
        (
            "      interactive: false\n      continueOnError: false\n    windows:",
            "      interactiv: false\n      continueOnError: false\n    windows:",
            "'interactiv' was unexpected",
        ),
        (
            "./infra/hooks/postdeploy.ps1",
            "./infra/hooks/post-deploy.ps1",
            "no hook script ./infra/hooks/post-deploy.ps1",
        ),
        ("  module: main\n", "  module: app\n", "no Bicep module infra/app.bicep"),
    ],
    ids=["name-pattern", "shell-enum", "unknown-hook-key", "missing-hook-script", "missing-module"],
)
def test_a_planted_mistake_is_found_on_its_line(project: Path, old: str, new: str, message: str) -> None:
    path = project / "azure.yaml"
    text = path.read_text()
    assert text.count(old) == 1
    path.write_text(text.replace(old, new))
    findings = azure_yaml_findings(path)
    assert len(findings) == 1, "\n".join(map(str, findings))
    assert message in findings[0].message
    line = text[: text.index(old)].count("\n") + 1
    assert findings[0].line == line


def test_a_schema_it_would_have_to_download_fails_the_check(project: Path) -> None:
    path = project / "azure.yaml"
    path.write_text(path.read_text().replace("host: function", "host: azure.ai.agent"))
    findings = azure_yaml_findings(path)
    assert len(findings) == 1
    assert "azure.ai.agent.json, which is not vendored" in findings[0].message


def test_not_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "azure.yaml"
    path.write_text("name: ok\nservices:\n  api: [unclosed\n")
    findings = azure_yaml_findings(path)
    assert [(f.rule, f.line) for f in findings] == [("azure.yaml", 4)]
    assert findings[0].message.startswith("not YAML")
