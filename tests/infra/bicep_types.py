"""Resource bodies checked against the official resource type definitions.

The definitions are the JSON type graphs Bicep itself loads (Azure/bicep-types-az), cut down
to the resource types infra/ declares: `types/*.json` (source and commit in types/SOURCES.md).
Every object literal in a resource body is checked, as deep as literals go: property names
(BCP037), read-only properties (BCP073), required properties (BCP035), literal values against
string enums, patterns, lengths and integer ranges (BCP036). A value that is an expression
(a parameter, a function call) cannot be checked statically and is left alone. The check also
reports which properties Bicep requires to be known at the start of the deployment (the type's
DeployTimeConstant flag, plus the top-level properties Bicep always treats so).
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.infra.bicep_syntax import (
    BicepFile,
    Declaration,
    Finding,
    Node,
    loop_of,
    properties,
    string_value,
    text_of,
    unwrap_parentheses,
)

__all__ = ["TYPES_DIR", "DeployTimeProperty", "TypeLibrary", "TypeNode", "check_resource_body"]

TYPES_DIR = Path(__file__).parent / "types"

# ObjectTypePropertyFlags of Azure/bicep-types (src/bicep-types/src/types.ts).
REQUIRED = 1
READ_ONLY = 2
DEPLOY_TIME_CONSTANT = 8

# Set on every resource body by Bicep itself rather than by the type definitions
# (Bicep's AzResourceTypeProvider).
SYSTEM_PROPERTIES = frozenset({"scope", "parent", "dependsOn"})
# Top-level properties Bicep requires to be deploy-time constants whatever the type says
# (AzResourceTypeProvider.WriteOnlyDeployTimeConstantPropertyNames, plus name, scope, parent).
TOP_LEVEL_DEPLOY_TIME = frozenset(
    {
        "name",
        "scope",
        "parent",
        "location",
        "kind",
        "subscriptionId",
        "resourceGroup",
        "managedBy",
        "extendedLocation",
        "zones",
        "placement",
        "plan",
        "sku",
        "identity",
        "managedByExtended",
        "tags",
        "asserts",
    }
)
_LITERAL_KINDS = {
    "string": "string",
    "number": "int",
    "boolean": "bool",
    "null": "null",
    "object": "object",
    "array": "array",
    "for_statement": "array",
}
_SCALAR_KINDS = {
    "StringType": "string",
    "StringLiteralType": "string",
    "IntegerType": "int",
    "BooleanType": "bool",
    "NullType": "null",
}


@dataclass(frozen=True, eq=False)
class TypeNode:
    """One entry of a type graph; `$ref`s resolve within the same graph (`table`)."""

    table: list[dict[str, Any]]
    data: dict[str, Any]

    @property
    def kind(self) -> str:
        return str(self.data["$type"])

    @property
    def name(self) -> str:
        return str(self.data.get("name", self.kind))

    def ref(self, reference: dict[str, str]) -> TypeNode:
        return TypeNode(self.table, self.table[int(reference["$ref"].removeprefix("#/"))])

    def describe(self) -> str:
        if self.kind == "StringLiteralType":
            return repr(self.data["value"])
        if self.kind == "UnionType":
            return " | ".join(self.ref(member).describe() for member in self.data["elements"])
        if self.kind in ("ObjectType", "DiscriminatedObjectType"):
            return f"object ({self.name})"
        return {"ArrayType": "array", "AnyType": "any"}.get(self.kind) or _SCALAR_KINDS[self.kind]


class TypeLibrary:
    """The vendored resource types, by `type@apiVersion` (ARM type names are case-insensitive)."""

    def __init__(self, resources: dict[str, TypeNode]) -> None:
        self._resources = {name.lower(): body for name, body in resources.items()}

    @classmethod
    def load(cls, folder: Path = TYPES_DIR) -> TypeLibrary:
        resources: dict[str, TypeNode] = {}
        for path in sorted(folder.glob("*.json")):
            table = json.loads(path.read_text())
            for entry in table:
                if entry["$type"] == "ResourceType":
                    resources[entry["name"]] = TypeNode(table, entry).ref(entry["body"])
        return cls(resources)

    def body(self, target: str) -> TypeNode | None:
        return self._resources.get(target.lower())

    def versions(self, resource_type: str) -> list[str]:
        prefix = resource_type.lower() + "@"
        return sorted(name.removeprefix(prefix) for name in self._resources if name.startswith(prefix))


@dataclass(frozen=True)
class DeployTimeProperty:
    """A property whose value must be known at the start of the deployment (Bicep BCP120)."""

    name: str
    owner: str
    value: Node


def _literal_kind(node: Node) -> str | None:
    return _LITERAL_KINDS.get(node.type)


def _has_spread(obj: Node) -> bool:
    return any(
        len(child.named_children) == 1 for child in obj.named_children if child.type == "object_property"
    )


def _did_you_mean(key: str, candidates: list[str]) -> str:
    same_case = [name for name in candidates if name.lower() == key.lower()]
    close = same_case or difflib.get_close_matches(key, candidates, n=1, cutoff=0.7)
    return f"; did you mean '{close[0]}'?" if close else ""


@dataclass
class _BodyCheck:
    file: BicepFile
    record_deploy_time: bool
    findings: list[Finding] = field(default_factory=list)
    deploy_time: list[DeployTimeProperty] = field(default_factory=list)

    def fail(self, node: Node, rule: str, message: str) -> None:
        self.findings.append(self.file.finding(node, rule, message))

    def resource(self, decl: Declaration, body: TypeNode) -> None:
        obj = decl.value
        assert obj is not None
        selected = self.select(obj, body, decl.target) if body.kind == "DiscriminatedObjectType" else body
        if selected is None:
            return
        self.object(obj, selected, decl.target, top=True, check_required=not decl.existing)
        if decl.existing and decl.body_property("name") is None:
            self.fail(obj, "BCP035", f"{decl.target}: an existing resource needs 'name'")
        if self.record_deploy_time:
            recorded = {item.value.id for item in self.deploy_time}
            self.deploy_time += [
                DeployTimeProperty(prop.key, selected.name, prop.value)
                for prop in decl.body
                if prop.key in TOP_LEVEL_DEPLOY_TIME and prop.value.id not in recorded
            ]

    def select(self, obj: Node, union: TypeNode, where: str) -> TypeNode | None:
        """The variant of a discriminated object type that the literal's discriminator names,
        with the base properties merged in; None (after a finding if it is wrong) when unknown."""
        key = union.data["discriminator"]
        prop = next((p for p in properties(obj) if p.key == key), None)
        value = string_value(prop.value) if prop is not None else None
        elements: dict[str, dict[str, str]] = union.data["elements"]
        if prop is not None and value is not None and value not in elements:
            choices = ", ".join(f"'{name}'" for name in sorted(elements))
            self.fail(prop.value, "BCP036", f"{where}.{key} is '{value}'; {union.name} knows {choices}")
        if value not in elements:
            return None
        element = union.ref(elements[str(value)])
        merged = {
            "$type": "ObjectType",
            "name": element.name,
            "properties": {**union.data.get("baseProperties", {}), **element.data.get("properties", {})},
        }
        if "additionalProperties" in element.data:
            merged["additionalProperties"] = element.data["additionalProperties"]
        return TypeNode(union.table, merged)

    def object(
        self, obj: Node, expected: TypeNode, where: str, top: bool = False, check_required: bool = True
    ) -> None:
        declared: dict[str, dict[str, Any]] = expected.data.get("properties", {})
        additional = expected.data.get("additionalProperties")
        seen = set()
        for prop in properties(obj):
            path = f"{where}.{prop.key}" if prop.key is not None else f"{where}[key]"
            spec = declared.get(prop.key) if prop.key is not None else None
            if prop.key is not None:
                seen.add(prop.key)
            if spec is not None:
                flags = int(spec.get("flags", 0))
                if flags & READ_ONLY:
                    self.fail(prop.key_node, "BCP073", f"{path} is read-only in {expected.name}")
                if flags & DEPLOY_TIME_CONSTANT and self.record_deploy_time:
                    self.deploy_time.append(DeployTimeProperty(str(prop.key), expected.name, prop.value))
                self.value(prop.value, expected.ref(spec["type"]), path)
            elif additional is not None:
                self.value(prop.value, expected.ref(additional), path)
            elif prop.key is None or (top and prop.key in SYSTEM_PROPERTIES):
                continue
            else:
                writable = sorted(
                    name for name, s in declared.items() if not int(s.get("flags", 0)) & READ_ONLY
                )
                hint = _did_you_mean(prop.key, writable)
                message = f"{path}: '{prop.key}' is not a property of {expected.name}{hint}"
                self.fail(prop.key_node, "BCP037", f"{message} (it has: {', '.join(writable)})")
        if check_required and not _has_spread(obj):
            missing = [
                name
                for name, spec in declared.items()
                if int(spec.get("flags", 0)) & REQUIRED and not int(spec.get("flags", 0)) & READ_ONLY
                if name not in seen
            ]
            if missing:
                self.fail(
                    obj, "BCP035", f"{where} ({expected.name}) lacks required {', '.join(sorted(missing))}"
                )

    def value(self, node: Node, expected: TypeNode, where: str) -> None:
        node = unwrap_parentheses(node)
        if node.type == "ternary_expression":
            for branch in ("consequence", "alternative"):
                if (part := node.child_by_field_name(branch)) is not None:
                    self.value(part, expected, where)
            return
        kind = expected.kind
        literal = _literal_kind(node)
        if kind == "AnyType" or literal is None or literal == "null":
            return
        if kind == "UnionType":
            self.union(node, expected, where)
        elif kind in ("ObjectType", "DiscriminatedObjectType") and literal == "object":
            selected = self.select(node, expected, where) if kind == "DiscriminatedObjectType" else expected
            if selected is not None:
                self.object(node, selected, where)
        elif kind == "ArrayType" and literal == "array":
            self.array(node, expected.ref(expected.data["itemType"]), where)
        elif kind in _SCALAR_KINDS and literal == _SCALAR_KINDS[kind]:
            self.scalar(node, expected, where)
        else:
            self.mismatch(node, expected, where)

    def mismatch(self, node: Node, expected: TypeNode, where: str) -> None:
        shown = text_of(node).splitlines()[0][:50] if text_of(node) else node.type
        self.fail(node, "BCP036", f"{where} expects {expected.describe()}, not {shown}")

    def array(self, node: Node, item: TypeNode, where: str) -> None:
        if node.type == "for_statement":
            body = unwrap_parentheses(loop_of(node).body)
            if body.type == "if_statement":
                body = body.named_children[-1]
            self.value(body, item, f"{where}[for]")
            return
        items = [child for child in node.named_children if child.type != "comment"]
        for index, child in enumerate(items):
            self.value(child, item, f"{where}[{index}]")

    def scalar(self, node: Node, expected: TypeNode, where: str) -> None:
        data = expected.data
        if expected.kind == "IntegerType":
            number = int(text_of(node))
            low, high = data.get("minValue"), data.get("maxValue")
            if (low is not None and number < low) or (high is not None and number > high):
                self.fail(node, "BCP036", f"{where} is {number}, outside {low}..{high}")
            return
        value = string_value(node)
        if value is None:
            return
        if expected.kind == "StringLiteralType" and value != data["value"]:
            self.mismatch(node, expected, where)
        if expected.kind != "StringType":
            return
        shortest, longest, pattern = data.get("minLength"), data.get("maxLength"), data.get("pattern")
        if (shortest is not None and len(value) < shortest) or (longest is not None and len(value) > longest):
            self.fail(
                node, "BCP036", f"{where} '{value}' has {len(value)} characters, not {shortest}..{longest}"
            )
        if pattern is not None and not _matches(pattern, value):
            self.fail(node, "BCP036", f"{where} '{value}' does not match {pattern}")

    def union(self, node: Node, expected: TypeNode, where: str) -> None:
        """A literal fits a union when it fits one member; the first fitting member's
        deploy-time properties count."""
        members = [expected.ref(member) for member in expected.data["elements"]]
        attempts = []
        for member in members:
            attempt = _BodyCheck(self.file, self.record_deploy_time)
            attempt.value(node, member, where)
            if not attempt.findings:
                self.deploy_time += attempt.deploy_time
                return
            attempts.append(attempt)
        objects = [a for a, m in zip(attempts, members, strict=True) if m.kind.endswith("ObjectType")]
        if node.type == "object" and objects:
            self.findings += objects[0].findings
        else:
            self.mismatch(node, expected, where)


def _matches(pattern: str, value: str) -> bool:
    """The types carry .NET regular expressions; one Python cannot compile is not held against the value."""
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True


def check_resource_body(
    file: BicepFile, decl: Declaration, library: TypeLibrary
) -> tuple[list[Finding], list[DeployTimeProperty]]:
    """Check one resource declaration against its type; return the findings and the
    properties whose values must be known at the start of the deployment."""
    resource_type, _, api_version = decl.target.partition("@")
    if not api_version:
        return [file.finding(decl.node, "BCP029", f"'{decl.target}' is not of the form type@apiVersion")], []
    body = library.body(decl.target)
    if body is None:
        known = ", ".join(library.versions(resource_type)) or "none"
        message = (
            f"no type definition for '{decl.target}' in tests/infra/types (vendored versions: {known});"
            " vendor it from Azure/bicep-types-az as tests/infra/types/SOURCES.md describes"
        )
        return [file.finding(decl.node, "BCP081", message)], []
    if decl.value is None or decl.value.type != "object":
        return [], []
    check = _BodyCheck(file, record_deploy_time=not decl.existing)
    check.resource(decl, body)
    return check.findings, check.deploy_time
