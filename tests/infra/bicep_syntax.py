"""Bicep files as tree-sitter syntax trees, reduced to the declarations the checks read.

No Bicep compiler runs on these machines, so the static check parses with the tree-sitter
grammar for Bicep and works on its concrete syntax tree: identifiers stay distinct from
strings, every node keeps its line, and nothing is evaluated.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import tree_sitter
import tree_sitter_bicep

__all__ = [
    "BicepFile",
    "BicepSyntaxError",
    "Declaration",
    "Finding",
    "Loop",
    "Node",
    "Property",
    "line_of",
    "loop_of",
    "parse_bicep",
    "properties",
    "string_value",
    "text_of",
    "unwrap_parentheses",
    "walk",
]

Node = tree_sitter.Node
Kind = Literal["param", "var", "resource", "module", "output"]

_DECLARATION_KINDS: dict[str, Kind] = {
    "parameter_declaration": "param",
    "variable_declaration": "var",
    "resource_declaration": "resource",
    "module_declaration": "module",
    "output_declaration": "output",
}
_ESCAPES = {"\\'": "'", "\\\\": "\\", "\\n": "\n", "\\r": "\r", "\\t": "\t", "\\$": "$"}


@dataclass(frozen=True, order=True)
class Finding:
    """One broken rule, where it is. `rule` is the Bicep diagnostic code or linter rule name
    when Bicep has one (BCP178, no-unnecessary-dependson, ...), so a reader can look it up."""

    file: str
    line: int
    rule: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.rule}: {self.message}"


class BicepSyntaxError(ValueError):
    """The file does not parse (or declares a name twice); `finding` says where."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(str(finding))
        self.finding = finding


def text_of(node: Node) -> str:
    return (node.text or b"").decode()


def line_of(node: Node) -> int:
    return node.start_point.row + 1


def unwrap_parentheses(node: Node) -> Node:
    while node.type == "parenthesized_expression" and node.named_children:
        node = node.named_children[0]
    return node


def walk(node: Node) -> Iterator[Node]:
    """Every named node under `node` (itself included), depth first, comments left out."""
    if node.type == "comment":
        return
    yield node
    for child in node.named_children:
        yield from walk(child)


def string_value(node: Node) -> str | None:
    """The value of a string literal, or None when `node` is no string or interpolates."""
    if node.type != "string":
        return None
    parts: list[str] = []
    for child in node.named_children:
        if child.type == "interpolation":
            return None
        piece = text_of(child)
        parts.append(_ESCAPES.get(piece, piece) if child.type == "escape_sequence" else piece)
    return "".join(parts)


@dataclass(frozen=True)
class Property:
    """`key: value` in an object literal; `key` is None when the key interpolates."""

    key: str | None
    key_node: Node
    value: Node


def properties(obj: Node) -> list[Property]:
    """The properties of an object literal, in order."""
    found = []
    for child in obj.named_children:
        if child.type != "object_property":
            continue
        parts = [part for part in child.named_children if part.type != "comment"]
        if len(parts) != 2:  # a spread (`...x`) or an incomplete property: nothing to name
            continue
        key_node, value = parts
        key = text_of(key_node) if key_node.type == "identifier" else string_value(key_node)
        found.append(Property(key, key_node, value))
    return found


@dataclass(frozen=True)
class Loop:
    """`[for item in collection: body]`."""

    node: Node
    variables: tuple[str, ...]
    collection: Node
    body: Node


def loop_of(node: Node) -> Loop:
    """The parts of a for_statement node."""
    body = node.child_by_field_name("body")
    collection = None
    names: list[str] = []
    after_in = False
    for child in node.children:
        if child.type == "in":
            after_in = True
        elif child.is_named and after_in and collection is None:
            collection = child
        elif child.type == "for_loop_parameters":
            names += [text_of(part) for part in child.named_children]
        elif child.type == "identifier" and not after_in:
            names.append(text_of(child))
    if body is None or collection is None:  # only in a tree with syntax errors, refused before
        raise ValueError(f"line {line_of(node)}: a for-expression without collection or body")
    return Loop(node, tuple(names), collection, body)


@dataclass(frozen=True)
class Declaration:
    """A top-level `param`, `var`, `resource`, `module` or `output`.

    `value` is the default (param), the value (var, output) or the body object (resource,
    module; inside its `if` and `for`). `target` is the resource's `type@apiVersion` or the
    module's path; `type_node` the declared type of a param or output.
    """

    kind: Kind
    name: str
    node: Node
    value: Node | None
    target: str = ""
    existing: bool = False
    loop: Loop | None = None
    condition: Node | None = None
    type_node: Node | None = None

    @property
    def line(self) -> int:
        return line_of(self.node)

    @property
    def body(self) -> list[Property]:
        """The body's properties (resources and modules whose body is an object literal)."""
        return properties(self.value) if self.value is not None and self.value.type == "object" else []

    def body_property(self, name: str) -> Property | None:
        return next((prop for prop in self.body if prop.key == name), None)


@dataclass(frozen=True)
class BicepFile:
    """One parsed .bicep file. `display` is the path findings show (relative to the checked root).

    `symbols` are the params, vars, resources and modules (one namespace); outputs have their own.
    """

    path: Path
    display: str
    root: Node
    target_scope: str
    symbols: dict[str, Declaration]
    outputs: dict[str, Declaration]

    def of_kind(self, kind: Kind) -> list[Declaration]:
        if kind == "output":
            return list(self.outputs.values())
        return [decl for decl in self.symbols.values() if decl.kind == kind]

    def finding(self, node: Node | int, rule: str, message: str) -> Finding:
        return Finding(self.display, node if isinstance(node, int) else line_of(node), rule, message)


@cache
def _parser() -> tree_sitter.Parser:
    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bicep.language()))


def _first_error(node: Node) -> Node | None:
    if node.is_error or node.is_missing:
        return node
    for child in node.children:
        if child.has_error or child.is_missing:
            return _first_error(child)
    return None


def _declaration(node: Node, kind: Kind) -> Declaration:
    name_node = node.child_by_field_name("name") or next(
        c for c in node.named_children if c.type == "identifier"
    )
    name = text_of(name_node)
    tokens = [child.type for child in node.children]
    value = node.children[tokens.index("=") + 1] if "=" in tokens else None
    type_node = next((c for c in node.named_children if c.type == "type"), None)
    if kind not in ("resource", "module"):
        return Declaration(kind, name, node, value, type_node=type_node)
    target_node = next(c for c in node.named_children if c.type == "string")
    loop = condition = None
    if value is not None and value.type == "for_statement":
        loop = loop_of(value)
        value = loop.body
    if value is not None and value.type == "if_statement":
        condition = next(c for c in value.named_children if c.type == "parenthesized_expression")
        value = next((c for c in value.named_children if c.type == "object"), None)
    return Declaration(
        kind,
        name,
        node,
        value,
        target=string_value(target_node) or text_of(target_node),
        existing="existing" in tokens,
        loop=loop,
        condition=condition,
    )


def _glued_items(root: Node) -> list[tuple[int, int]]:
    """Byte spans of array items the grammar split wrongly, outermost first.

    tree-sitter-bicep 1.1.0 reads `[ resourceGroup().id ]` as two items, `resourceGroup` and
    `().id`: array items may be separated by white space in its grammar. Bicep needs a comma or
    a new line between items, so two items on one line with no comma are always such a split.
    """
    spans: list[tuple[int, int]] = []
    for node in walk(root):
        if node.type != "array" or any(start <= node.start_byte < end for start, end in spans):
            continue
        run: list[Node] = []
        for child in node.children:
            if child.type == "comment":
                continue
            if child.is_named and run and child.start_point.row == run[-1].end_point.row:
                run.append(child)
                continue
            if len(run) > 1:
                spans.append((run[0].start_byte, run[-1].end_byte))
            run = [child] if child.is_named else []
        if len(run) > 1:
            spans.append((run[0].start_byte, run[-1].end_byte))
    return spans


def _parse_source(source: bytes) -> Node:
    """Parse, putting parentheses around wrongly split array items (which keeps every line
    where it is) until the grammar reads them as one expression."""
    for _ in range(20):
        root = _parser().parse(source).root_node
        spans = _glued_items(root)
        if not spans:
            return root
        for start, end in sorted(spans, reverse=True):
            source = source[:start] + b"(" + source[start:end] + b")" + source[end:]
    return root


def parse_bicep(path: Path, display: str) -> BicepFile:
    """Parse one file; BicepSyntaxError names the file and line of the first syntax error."""
    root = _parse_source(path.read_bytes())
    error = _first_error(root) if root.has_error else None
    if error is not None:
        snippet = text_of(error).splitlines()[0][:60] if text_of(error) else error.type
        raise BicepSyntaxError(Finding(display, line_of(error), "syntax", f"syntax error near {snippet!r}"))
    symbols: dict[str, Declaration] = {}
    outputs: dict[str, Declaration] = {}
    target_scope = "resourceGroup"
    for node in root.named_children:
        if node.type == "target_scope_assignment":
            target_scope = string_value(node.named_children[-1]) or target_scope
        elif node.type in _DECLARATION_KINDS:
            decl = _declaration(node, _DECLARATION_KINDS[node.type])
            namespace = outputs if decl.kind == "output" else symbols
            if decl.name in namespace:
                raise BicepSyntaxError(
                    Finding(display, decl.line, "BCP028", f"'{decl.name}' is declared twice")
                )
            namespace[decl.name] = decl
    return BicepFile(path, display, root, target_scope, symbols, outputs)
