"""What the vendored specs say about one HTTP exchange: its operation, and whether the answer conforms.

Four documents in three dialects, each read as its dialect means it:

- OpenAPI 3.0 (Azure OpenAI authoring and inference): `nullable: true` allows null; boolean
  `exclusiveMinimum`/`exclusiveMaximum` qualify `minimum`/`maximum`; siblings of `$ref` are ignored;
- OpenAPI 3.1 (OpenAI's document): JSON Schema 2020-12, except that the document still carries the
  3.0 keywords above (`nullable`, boolean `exclusiveMinimum`), which are read as 3.0 meant them;
- Swagger 2.0 (ARM and its common types): `x-nullable`, `type: file`, and references to the
  common-types file by relative path.

Each document is rewritten once into plain JSON Schema 2020-12 and registered with `referencing`
under `urn:spec:<name>`, so a response is validated by a `$ref` to the exact place its schema sits
in its spec (`#/paths/~1files/post/responses/201/content/application~1json/schema`).

Rules where a spec does not say everything (README.md lists them with the deviations):
- OpenAI's document declares no error responses per operation: an error status is checked against
  its `components/schemas/ErrorResponse`;
- a status the operation does not declare is a violation, unless it is an error status and the
  operation has a `default` response (201 where the spec says 200 is a violation);
- ARM's asynchronous-operation monitors (Azure-AsyncOperation and Location URLs) are not in the
  resource-provider spec: a status monitor is checked against common-types' OperationStatusResult,
  a result monitor against the resource's own Deployment schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from local.processes import REPO
from tests.contract.deviations import DEVIATIONS, Deviation
from tests.contract.recording import Exchange

__all__ = ["Contract", "SpecOperation", "contract"]

SPECS = REPO / "local" / "aoai" / "specs"
COMMON_TYPES_REF = "../../../../../common-types/resource-management/v3/types.json"


@dataclass(frozen=True)
class Document:
    name: str
    file: str
    prefix: str
    dialect: str

    @property
    def uri(self) -> str:
        return f"urn:spec:{self.name}"


DOCUMENTS = (
    Document("authoring", "azure-openai-authoring-2025-04-01-preview.json", "/openai", "openapi-3.0"),
    Document("inference", "azure-openai-inference-2024-10-21.json", "/openai", "openapi-3.0"),
    Document("openai", "openai-openapi.json", "/openai/v1", "openapi-3.1"),
    Document("arm", "arm-cognitiveservices-2025-09-01.json", "", "swagger-2.0"),
    Document("arm-common", "arm-common-types-v3.json", "", "swagger-2.0"),
)
# Which spec family a style's operations come from.
STYLE_OF = {"authoring": "azure", "inference": "azure", "openai": "v1", "arm": "arm"}
ARM_ACCOUNT = "/subscriptions/{subscriptionId}/providers/Microsoft.CognitiveServices/locations/{location}"


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    kind = node.get("type")
    if isinstance(kind, str) and not any(k in node for k in ("$ref", "allOf", "anyOf", "oneOf")):
        widened = {**node, "type": [kind, "null"]}
        if "enum" in node:
            widened["enum"] = [*node["enum"], None]
        return widened
    return {"anyOf": [node, {"type": "null"}]}


def _rewrite(node: Any, dialect: str) -> Any:
    """One schema node (and everything below it) as JSON Schema 2020-12."""
    if isinstance(node, list):
        return [_rewrite(item, dialect) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _rewrite(value, dialect) for key, value in node.items()}
    nullable = node.get("nullable") is True or node.get("x-nullable") is True
    for key in ("nullable", "x-nullable"):
        if node.get(key) is True or node.get(key) is False:
            del node[key]
    if isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref.startswith(COMMON_TYPES_REF):
            node["$ref"] = "urn:spec:arm-common" + ref.removeprefix(COMMON_TYPES_REF)
        if dialect != "openapi-3.1":
            node = {"$ref": node["$ref"]}
    for exclusive, bound in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(exclusive), bool) and node.pop(exclusive) and bound in node:
            node[exclusive] = node.pop(bound)
    if node.get("type") == "file":
        del node["type"]
    return _nullable(node) if nullable else node


def _pointer(*parts: str) -> str:
    return "/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _apply(document: dict[str, Any], deviation: Deviation) -> None:
    if deviation.patch is None:
        return
    pointer, change = deviation.patch
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer.strip("/").split("/")]
    parent = document
    for part in parts[:-1]:
        parent = parent[part]
    parent[parts[-1]] = change(parent[parts[-1]])


@dataclass(frozen=True)
class SpecOperation:
    document: Document
    operation_id: str
    method: str
    template: str
    pattern: re.Pattern[str]
    spec: dict[str, Any] = field(repr=False, hash=False, compare=False)

    @property
    def style(self) -> str:
        return STYLE_OF["arm" if self.document.name.startswith("arm") else self.document.name]

    @property
    def long_running(self) -> bool:
        return bool(self.spec.get("x-ms-long-running-operation"))


def _path_pattern(prefix: str, template: str) -> re.Pattern[str]:
    regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(prefix + template))
    return re.compile(f"^{regex}$")


def _async_operations(arm: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """The ARM async-operation monitors, described in the spec's own terms (see the module docstring)."""
    error = {"schema": {"$ref": "urn:spec:arm-common#/definitions/ErrorResponse"}}
    deployment = {"schema": {"$ref": "urn:spec:arm#/definitions/Deployment"}}
    status = {
        "200": {"schema": {"$ref": "urn:spec:arm-common#/definitions/OperationStatusResult"}},
        "default": error,
    }
    result = {
        "200": deployment,
        "202": {"headers": {"Location": {"type": "string"}}},
        "204": {},
        "default": error,
    }
    return [
        ("AsyncOperation_Status", ARM_ACCOUNT + "/operationStatuses/{operationId}", {"responses": status}),
        ("AsyncOperation_Result", ARM_ACCOUNT + "/operationResults/{operationId}", {"responses": result}),
    ]


class Contract:
    """The vendored specs, ready to check exchanges against."""

    def __init__(self, specs: Path = SPECS) -> None:
        resources = []
        self.documents: dict[str, dict[str, Any]] = {}
        for document in DOCUMENTS:
            contents = _rewrite(json.loads((specs / document.file).read_text()), document.dialect)
            for deviation in DEVIATIONS:
                if deviation.document == document.name:
                    _apply(contents, deviation)
            contents["$id"] = document.uri
            self.documents[document.name] = contents
            resources.append(
                (document.uri, Resource.from_contents(contents, default_specification=DRAFT202012))
            )
        self.registry: Registry[Any] = Registry().with_resources(resources)
        self.operations = list(self._operations())

    def _operations(self) -> Iterator[SpecOperation]:
        for document in DOCUMENTS:
            paths = self.documents[document.name].get("paths", {})
            extra = _async_operations(self.documents["arm"]) if document.name == "arm" else []
            entries = [
                (t, m, op) for t, ops in paths.items() for m, op in ops.items() if isinstance(op, dict)
            ]
            entries += [(template, "get", op) for _, template, op in extra]
            names = {template: op_id for op_id, template, _ in extra}
            for template, method, op in entries:
                if "responses" not in op:
                    continue
                op_id = op.get("operationId") or names[template]
                yield SpecOperation(
                    document, op_id, method.upper(), template, _path_pattern(document.prefix, template), op
                )

    def operation(self, method: str, path: str) -> SpecOperation | None:
        """The spec operation an exchange addresses; inference before authoring (both live under /openai)."""
        ranked = sorted(self.operations, key=lambda o: o.document.name != "inference")
        surface_openai = path.startswith("/openai/v1/")
        return next(
            (
                o
                for o in ranked
                if o.method == method
                and o.pattern.match(path)
                and (o.document.name == "openai") == surface_openai
            ),
            None,
        )

    @cache  # noqa: B019 - one Contract per session; validators are costly to build
    def _validator(self, uri: str, pointer: str) -> Draft202012Validator:
        return Draft202012Validator({"$ref": f"{uri}#{pointer}"}, registry=self.registry)

    def _schema_errors(self, uri: str, pointer: str, instance: Any) -> list[str]:
        errors = sorted(
            self._validator(uri, pointer).iter_errors(instance), key=lambda e: list(e.absolute_path)
        )
        return [f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message[:300]}" for e in errors[:5]]

    def violations(self, exchange: Exchange) -> tuple[SpecOperation | None, list[str]]:
        path = urlsplit(exchange.url).path
        operation = self.operation(exchange.method, path)
        if operation is None:
            return None, [f"{exchange.method} {path}: no operation in any vendored spec"]
        return operation, list(_Check(self, operation, exchange).run())


class _Check:
    """One exchange against one operation: status, media type, body schema, headers."""

    def __init__(self, contract: Contract, operation: SpecOperation, exchange: Exchange) -> None:
        self.contract, self.operation, self.exchange = contract, operation, exchange
        self.where = f"{operation.operation_id} {exchange.status}"

    def _response(self) -> tuple[str | None, dict[str, Any] | None]:
        responses = self.operation.spec["responses"]
        status = str(self.exchange.status)
        if status in responses:
            return status, responses[status]
        if self.exchange.status >= 400:
            return ("default", responses["default"]) if "default" in responses else (None, None)
        return None, None

    def _media_types(self, response: dict[str, Any]) -> list[str]:
        if self.operation.document.dialect == "swagger-2.0":
            return (
                list(self.operation.spec.get("produces") or ["application/json"])
                if "schema" in response
                else []
            )
        return list(response.get("content") or {})

    def _schema_pointer(self, status: str, response: dict[str, Any], media: str) -> tuple[str, str] | None:
        document = self.operation.document
        if "schema" in response and document.dialect == "swagger-2.0":
            if document.name == "arm" and self.operation.operation_id.startswith("AsyncOperation"):
                return None  # synthetic: the schema itself is a $ref, validated below
            return document.uri, _pointer(
                "paths", self.operation.template, self.operation.method.lower(), "responses", status, "schema"
            )
        if media in (response.get("content") or {}):
            pointer = _pointer(
                "paths",
                self.operation.template,
                self.operation.method.lower(),
                "responses",
                status,
                "content",
                media,
                "schema",
            )
            return document.uri, pointer
        return None

    def _error_fallback(self) -> bool:
        """OpenAI declares no error bodies per operation: its ErrorResponse is the contract for them."""
        return self.operation.document.name == "openai" and self.exchange.status >= 400

    def run(self) -> Iterator[str]:
        status, response = self._response()
        if response is None or status is None:
            declared = ", ".join(self.operation.spec["responses"])
            if not self._error_fallback():
                yield f"{self.where}: status not declared (declared: {declared})"
                return
            status, response = str(self.exchange.status), {}
        yield from self._headers(response)
        if not self.exchange.body:
            return
        yield from self._body(status, response)

    def _headers(self, response: dict[str, Any]) -> Iterator[str]:
        present = {name.lower() for name in self.exchange.headers}
        for name in response.get("headers") or {}:
            if name.lower() not in present:
                yield f"{self.where}: the spec's header {name!r} is missing"
        lro_answer = self.operation.long_running and self.exchange.status in (201, 202)
        if lro_answer and not {"azure-asyncoperation", "location"} & present:
            yield f"{self.where}: a long-running operation answered without Azure-AsyncOperation or Location"

    def _body(self, status: str, response: dict[str, Any]) -> Iterator[str]:
        media = self.exchange.media_type
        declared = self._media_types(response)
        rule = next((d for d in DEVIATIONS if d.allows(self.operation.operation_id, media)), None)
        if self._error_fallback() and not declared:
            yield from self._validate("urn:spec:openai", "/components/schemas/ErrorResponse")
            return
        if media not in declared and rule is None:
            listed = ", ".join(declared) or "no body"
            yield f"{self.where}: media type {media!r} not declared (declared: {listed})"
            return
        if media == "application/octet-stream" or (rule is not None and rule.binary):
            return  # file content: bytes, nothing to validate against a schema
        target = rule.validate_as if rule is not None and rule.validate_as else media
        yield from self._validate_media(status, response, target)

    def _validate_media(self, status: str, response: dict[str, Any], media: str) -> Iterator[str]:
        if self.operation.operation_id.startswith("AsyncOperation"):
            ref = response["schema"]["$ref"]
            uri, _, pointer = ref.partition("#")
            yield from self._validate(uri, pointer)
            return
        located = self._schema_pointer(status, response, media)
        if located is None:
            yield f"{self.where}: no schema for {media!r}"
            return
        yield from self._validate(*located)

    def _validate(self, uri: str, pointer: str) -> Iterator[str]:
        for document in self.exchange.documents():
            for error in self.contract._schema_errors(uri, pointer, document):
                yield f"{self.where}: {error}"


@cache
def contract() -> Contract:
    """The specs, read once per session."""
    return Contract()
