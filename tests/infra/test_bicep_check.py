"""The infra static check: it passes on infra/ and fails on each planted mistake, naming the
file, the line and Bicep's diagnostic code."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.infra.bicep_check import check_infra
from tests.infra.bicep_syntax import Finding
from tests.infra.bicep_types import TypeLibrary

INFRA = Path(__file__).resolve().parents[2] / "infra"
FIXTURES = Path(__file__).parent / "fixtures"
IDENTITY = "'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31'"
MODULE = """param label string = ''
output names array = [ label ]
output name string = label
"""


@pytest.fixture(scope="module")
def library() -> TypeLibrary:
    return TypeLibrary.load()


@pytest.fixture
def infra_copy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(INFRA, tmp_path / "infra"))


def plant(infra: Path, file: str, old: str, new: str) -> int:
    """Replace `old` (which must occur once) in infra/<file>; return the line `new` starts on."""
    path = infra / file
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} is not once in {file}"
    path.write_text(text.replace(old, new))
    return text[: text.index(old)].count("\n") + 1


def where(findings: list[Finding]) -> list[tuple[str, str, int]]:
    return [(finding.file, finding.rule, finding.line) for finding in findings]


def test_infra_passes(library: TypeLibrary) -> None:
    findings = check_infra(INFRA, library)
    assert findings == [], "\n".join(map(str, findings))


def test_the_pre_fix_function_app_module_is_bcp178(infra_copy: Path, library: TypeLibrary) -> None:
    shutil.copy(FIXTURES / "functionapp-bcp178.bicep", infra_copy / "modules" / "functionapp.bicep")
    findings = [f for f in check_infra(infra_copy, library) if f.rule == "BCP178"]
    assert where(findings) == [("infra/modules/functionapp.bicep", "BCP178", 110)]
    assert (
        "storage.properties through 'allSettings' -> 'connectionSettings' -> 'blobEndpoint'"
        in findings[0].message
    )


class Plant(NamedTuple):
    """Replace `old` with `new` in infra/<file>; the finding must say `named`."""

    file: str
    old: str
    new: str
    named: str


@pytest.mark.parametrize(
    "plan",
    [
        pytest.param(
            Plant(
                "modules/functionapp.bicep",
                "        version: '3.11'\n",
                "        version: '3.11'\n        flavour: 'slim'\n",
                "functionAppConfig.runtime.flavour: 'flavour' is not a property of FunctionsRuntime",
            ),
            id="nested-four-deep",
        ),
        pytest.param(
            Plant(
                "modules/storage.bicep",
                "    allowBlobPublicAccess: false\n",
                "    allowBlobPublicAcess: false\n",
                "did you mean 'allowBlobPublicAccess'?",
            ),
            id="misspelt",
        ),
        pytest.param(
            Plant(
                "modules/openai-access.bicep",
                "        notActions: []\n",
                "        notActions: []\n        conditions: []\n",
                "properties.permissions[0].conditions: 'conditions' is not a property of Permission",
            ),
            id="in-an-array-item",
        ),
        pytest.param(
            Plant(
                "modules/identity.bicep",
                "  tags: tags\n",
                "  tags: tags\n  zone: '1'\n",
                "'zone' is not a property of Microsoft.ManagedIdentity/userAssignedIdentities",
            ),
            id="top-level",
        ),
    ],
)
def test_a_planted_unknown_property_is_found(infra_copy: Path, library: TypeLibrary, plan: Plant) -> None:
    # The planted property is the last line of `new`.
    line = plant(infra_copy, plan.file, plan.old, plan.new) + plan.new.rstrip("\n").count("\n")
    findings = check_infra(infra_copy, library)
    assert where(findings) == [(f"infra/{plan.file}", "BCP037", line)]
    assert plan.named in findings[0].message


def test_a_planted_unnecessary_depends_on_is_found(infra_copy: Path, library: TypeLibrary) -> None:
    line = plant(infra_copy, "main.bicep", "  // No dependsOn: the outputs", "  dependsOn: [ storage ]\n  //")
    findings = check_infra(infra_copy, library)
    assert where(findings) == [("infra/main.bicep", "no-unnecessary-dependson", line)]
    assert "'functionApp' already depends on 'storage'" in findings[0].message


def check_snippet(tmp_path: Path, library: TypeLibrary, main: str, **files: str) -> list[Finding]:
    root = tmp_path / "infra"
    root.mkdir()
    (root / "main.bicep").write_text(main)
    for name, text in files.items():
        (root / name.replace("_", ".")).write_text(text)
    return check_infra(root, library)


SNIPPETS = {
    "loop-over-module-output": (
        f"""module m 'mod.bicep' = {{
  name: 'm'
}}
resource ids {IDENTITY} = [for n in m.outputs.names: {{
  name: n
  location: 'westeurope'
}}]
""",
        [("BCP178", 4)],
    ),
    "name-from-listKeys": (
        f"""param key string
resource id {IDENTITY} = {{
  name: listKeys(key, '2023-01-01').keys[0].value
  location: 'westeurope'
}}
""",
        [("BCP120", 3)],
    ),
    "location-through-a-variable-from-reference": (
        f"""var where = reference('x', '2020-01-01').location
resource id {IDENTITY} = {{
  name: 'id'
  location: where
}}
""",
        [("BCP120", 4)],
    ),
    "condition-on-existing-resource-properties": (
        f"""resource st 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {{
  name: 'stx'
}}
resource id {IDENTITY} = if (st.properties.isHnsEnabled) {{
  name: 'id'
  location: 'westeurope'
}}
""",
        [("BCP177", 4)],
    ),
    "name-of-an-existing-resource-named-at-runtime": (
        f"""module m 'mod.bicep' = {{
  name: 'm'
}}
resource e {IDENTITY} existing = {{
  name: m.outputs.name
}}
resource ids {IDENTITY} = [for i in range(0, 2): {{
  name: '${{e.name}}-${{i}}'
  location: 'westeurope'
}}]
""",
        [("BCP120", 8)],
    ),
    "loop-variables-lambdas-and-names-are-known": (
        f"""param names array
resource ids {IDENTITY} = [for (n, i) in names: {{
  name: '${{n}}-${{i}}'
  location: 'westeurope'
  tags: {{ index: string(i) }}
}}]
var upper = map(names, n => toUpper(n))
output ids array = [for (n, i) in names: ids[i].id]
output upper array = upper
""",
        [],
    ),
    "call-in-a-one-line-array": (
        f"""resource id {IDENTITY} = {{
  name: 'id'
  location: 'westeurope'
  tags: {{ group: join([ resourceGroup().id ], ',') }}
}}
resource more {IDENTITY} = [for x in [ reference('a', '2020-01-01').x ]: {{
  name: x
  location: 'westeurope'
}}]
""",
        [("BCP178", 6)],
    ),
    "undeclared-name": (
        f"""param location string
resource id {IDENTITY} = {{
  name: 'id'
  location: locaton
}}
""",
        [("BCP057", 4)],
    ),
    "unknown-api-version": (
        """resource id 'Microsoft.ManagedIdentity/userAssignedIdentities@2099-01-01' = {
  name: 'id'
  location: 'westeurope'
}
""",
        [("BCP081", 1)],
    ),
    "value-outside-a-closed-enum": (
        """resource config 'Microsoft.Web/sites/config@2024-04-01' = {
  name: 'appsetings'
  properties: {}
}
""",
        [("BCP036", 2)],
    ),
    "string-where-the-type-says-int": (
        """resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'logs'
  location: 'westeurope'
  properties: {
    retentionInDays: '30'
  }
}
""",
        [("BCP036", 5)],
    ),
    "required-property-missing": (
        f"""resource id {IDENTITY} = {{
  name: 'id'
}}
""",
        [("BCP035", 1)],
    ),
    "read-only-property-set": (
        """resource st 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: 'stx'
  location: 'westeurope'
  kind: 'StorageV2'
  sku: { name: 'Standard_LRS' }
  properties: {
    primaryEndpoints: {}
  }
}
""",
        [("BCP073", 7)],
    ),
    "module-parameters-and-outputs": (
        """module m 'needs.bicep' = {
  name: 'm'
  params: {
    neded: 'x'
  }
}
output o string = m.outputs.okk
""",
        [("BCP035", 1), ("BCP037", 4), ("BCP053", 7)],
    ),
    "constructs-the-check-cannot-follow": (
        """resource st 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: 'stx'
  resource blobs 'blobServices' existing = {
    name: 'default'
  }
}
module registry 'br/public:avm/res/web/site:0.1.0' = {
  name: 'site'
}
""",
        [("unsupported", 3), ("unsupported", 7)],
    ),
    "syntax-error": (
        """resource id 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id'
  location: = 'westeurope'
}
""",
        [("syntax", 3)],
    ),
}


@pytest.mark.parametrize(("main", "expected"), SNIPPETS.values(), ids=SNIPPETS.keys())
def test_each_rule_on_a_small_file(
    tmp_path: Path, library: TypeLibrary, main: str, expected: list[tuple[str, int]]
) -> None:
    findings = check_snippet(
        tmp_path,
        library,
        main,
        mod_bicep=MODULE,
        needs_bicep="param needed string\noutput ok string = needed\n",
    )
    assert [(f.rule, f.line) for f in findings if f.file == "infra/main.bicep"] == expected, "\n".join(
        map(str, findings)
    )


def test_the_parameters_file_names_only_declared_parameters(tmp_path: Path, library: TypeLibrary) -> None:
    parameters = {"parameters": {"b": {"value": "x"}, "c": {"value": 1}}}
    findings = check_snippet(
        tmp_path,
        library,
        "param a string\nparam b string = ''\n",
        main_parameters_json=json.dumps(parameters, indent=2),
    )
    assert [(f.file, f.line, f.message) for f in findings] == [
        ("infra/main.parameters.json", 1, "required parameter 'a' of infra/main.bicep is not given"),
        ("infra/main.parameters.json", 6, "infra/main.bicep has no parameter 'c'"),
    ]


def test_every_vendored_type_file_is_in_sources_md() -> None:
    types = Path(__file__).parent / "types"
    listed = (types / "SOURCES.md").read_text()
    assert sorted(path.name for path in types.glob("*.json") if f"`{path.name}`" in listed) == sorted(
        path.name for path in types.glob("*.json")
    )
