"""Which expressions Azure Resource Manager can evaluate at the start of a deployment.

ARM expands loops, evaluates conditions and computes resource names and scopes before it
deploys anything, so those places may only use values known then: parameters, variables made
of them, functions of them, and the `id`, `name`, `type` and `apiVersion` of resources and the
`name` of modules. A resource's other properties (`storage.properties.primaryEndpoints`),
`reference()`, `list*()` and module outputs exist only once something has been deployed.
Bicep refuses them there: BCP178 (for-expression), BCP177 (if-condition), BCP120 (a property
such as `name`). This module follows Bicep's DeployTimeConstantValidator, variables included:
a variable is known at the start only when everything it reads is.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from tests.infra.bicep_syntax import (
    BicepFile,
    Declaration,
    Finding,
    Node,
    loop_of,
    string_value,
    text_of,
    walk,
)
from tests.infra.bicep_types import DeployTimeProperty

__all__ = ["DeployTimeCheck", "RuntimeValue", "locals_at"]

# Functions whose result exists only at deployment time (Bicep: FunctionFlags.RequiresInlining).
_LIST_FUNCTION = re.compile(r"^list[a-zA-Z]*$")
_RUNTIME_FUNCTIONS = frozenset(
    {"reference", "toLogicalZone", "toLogicalZones", "toPhysicalZone", "toPhysicalZones"}
)
# Where a resource itself (not a property of it) may stand: Bicep's ResourceScopeType and
# ResourceParentType properties.
_SYMBOL_PLACES = ("the 'scope' property", "the 'parent' property")
# Properties of a resource known before it is deployed
# (AzResourceTypeProvider.ReadWriteDeployTimeConstantPropertyNames).
_READABLE_AT_START = ("apiVersion", "id", "name", "type")


@dataclass(frozen=True)
class RuntimeValue:
    """Why an expression is not known at the start: what it reads (`storage.properties`,
    `listKeys()`, `openAiAccess.outputs`) and the variables it reads it through."""

    what: str
    through: tuple[str, ...] = ()

    def explain(self) -> str:
        chain = f" through {' -> '.join(repr(name) for name in self.through)}" if self.through else ""
        return f"it reads {self.what}{chain}, which is known only once deployed"


def locals_at(node: Node) -> frozenset[str]:
    """Loop variables and lambda parameters in scope at `node`."""
    names: set[str] = set()
    parent = node.parent
    while parent is not None:
        if parent.type == "for_statement":
            names.update(loop_of(parent).variables)
        elif parent.type == "lambda_expression":
            names.update(text_of(n) for n in walk(parent.named_children[0]) if n.type == "identifier")
        parent = parent.parent
    return frozenset(names)


class DeployTimeCheck:
    """The BCP120/BCP177/BCP178 rules for one file."""

    def __init__(self, file: BicepFile) -> None:
        self.file = file
        self._variables: dict[str, RuntimeValue | None] = {}
        self._existing: dict[str, bool] = {}

    def check(self, deploy_time: list[DeployTimeProperty]) -> list[Finding]:
        """Every loop collection, condition and deploy-time property of the file."""
        findings = []
        for node, rule, place in self._containers(deploy_time):
            scope = locals_at(node)
            symbol = self._symbol(node, scope) if place.startswith(_SYMBOL_PLACES) else None
            if symbol is not None:  # `scope: storage`, `parent: site`: the resource itself
                runtime = None if self.existing_known(symbol) else RuntimeValue(f"'{symbol.name}'", ())
            else:
                runtime = self.runtime_value(node, scope)
            if runtime is not None:
                message = f"{place} must be known at the start of the deployment, but {runtime.explain()}"
                findings.append(self.file.finding(node, rule, message))
        return findings

    def _containers(self, deploy_time: list[DeployTimeProperty]) -> Iterator[tuple[Node, str, str]]:
        for node in walk(self.file.root):
            if node.type == "for_statement":
                loop = loop_of(node)
                yield loop.collection, "BCP178", "the for-expression"
                if node.parent is not None and node.parent.type == "variable_declaration":
                    yield loop.body, "BCP182", "the for-body of a variable"
            elif node.type == "if_statement":
                yield node.named_children[0], "BCP177", "the if-condition"
        for constant in deploy_time:
            yield constant.value, "BCP120", f"the '{constant.name}' property of {constant.owner}"
        for module in self.file.of_kind("module"):
            for prop in module.body:
                if prop.key in ("name", "scope", "identity"):
                    yield prop.value, "BCP120", f"the '{prop.key}' property of module '{module.name}'"

    def runtime_value(self, node: Node, scope: frozenset[str] = frozenset()) -> RuntimeValue | None:
        """The first thing `node` reads that is unknown at the start of the deployment, or None."""
        kind = node.type
        if kind == "identifier":
            return self._identifier(text_of(node), scope)
        if kind in ("member_expression", "subscript_expression"):
            return self._access(node, scope)
        if kind == "call_expression":
            return self._call(node, scope)
        if kind == "lambda_expression":
            params = {text_of(n) for n in walk(node.named_children[0]) if n.type == "identifier"}
            return self._first(node.named_children[1:], scope | params)
        if kind == "for_statement":
            loop = loop_of(node)
            inner = scope | set(loop.variables)
            return self.runtime_value(loop.collection, scope) or self.runtime_value(loop.body, inner)
        if kind == "object_property":
            key, *rest = node.named_children
            return self._first(rest if key.type == "identifier" else [key, *rest], scope)
        return self._first(node.named_children, scope)

    def _first(self, nodes: list[Node], scope: frozenset[str]) -> RuntimeValue | None:
        for child in nodes:
            if child.type != "comment" and (found := self.runtime_value(child, scope)) is not None:
                return found
        return None

    def _identifier(self, name: str, scope: frozenset[str]) -> RuntimeValue | None:
        decl = None if name in scope else self.file.symbols.get(name)
        if decl is None or decl.kind == "param":
            return None
        if decl.kind == "var":
            found = self._variable(decl)
            return RuntimeValue(found.what, (name, *found.through)) if found else None
        return RuntimeValue(f"the whole {decl.kind} '{name}'")

    def _variable(self, decl: Declaration) -> RuntimeValue | None:
        if decl.name not in self._variables:
            self._variables[decl.name] = None  # a cycle is Bicep's BCP080, not ours to report
            value = decl.value
            self._variables[decl.name] = self.runtime_value(value) if value is not None else None
        return self._variables[decl.name]

    def _access(self, node: Node, scope: frozenset[str]) -> RuntimeValue | None:
        """`x.p`, `x.?p`, `x['p']`, `x[i].p`: a resource's or module's property, or an access
        into some other value."""
        base = node.child_by_field_name("object")
        assert base is not None
        target = self._symbol(base, scope)
        if node.type == "subscript_expression":
            index = node.child_by_field_name("index")
            assert index is not None
            if target is not None and target.loop is None:
                name = string_value(index)
                return self._property(target, name) if name else RuntimeValue(f"'{target.name}[...]'")
            if target is not None:  # one element of a resource or module collection
                return self.runtime_value(index, scope)
            return self.runtime_value(base, scope) or self.runtime_value(index, scope)
        prop = node.child_by_field_name("property")
        assert prop is not None
        if target is not None:
            found = self._property(target, text_of(prop))
            index = base.child_by_field_name("index") if base.type == "subscript_expression" else None
            return found or (self.runtime_value(index, scope) if index is not None else None)
        return self.runtime_value(base, scope)

    def _symbol(self, node: Node, scope: frozenset[str]) -> Declaration | None:
        """The resource or module `node` names: `res`, or `res[i]` for a collection."""
        if node.type == "subscript_expression":
            base = node.child_by_field_name("object")
            decl = self._symbol(base, scope) if base is not None else None
            return decl if decl is not None and decl.loop is not None else None
        if node.type != "identifier" or text_of(node) in scope:
            return None
        decl = self.file.symbols.get(text_of(node))
        return decl if decl is not None and decl.kind in ("resource", "module") else None

    def _property(self, decl: Declaration, name: str) -> RuntimeValue | None:
        readable = ("name",) if decl.kind == "module" else _READABLE_AT_START
        if name in readable and self.existing_known(decl):
            return None
        suffix = " (an existing resource named by a runtime value)" if name in readable else ""
        return RuntimeValue(f"{decl.name}.{name}{suffix}")

    def existing_known(self, decl: Declaration) -> bool:
        """A resource's id and name are known at the start unless it is an existing resource
        whose name, scope or parent is not (Bicep's ResourceTypeResolver)."""
        if not decl.existing:
            return True
        if decl.name not in self._existing:
            self._existing[decl.name] = True  # cycles: see _variable
            identity = [p.value for p in decl.body if p.key in ("name", "scope", "parent")]
            self._existing[decl.name] = all(self.runtime_value(value) is None for value in identity)
        return self._existing[decl.name]

    def _call(self, node: Node, scope: frozenset[str]) -> RuntimeValue | None:
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        assert function is not None
        if function.type == "member_expression":  # az.reference(...), storage.listKeys()
            owner = function.child_by_field_name("object")
            prop = function.child_by_field_name("property")
            name = text_of(prop) if prop is not None else ""
            if owner is not None and self._symbol(owner, scope) is not None:
                return RuntimeValue(f"{text_of(function)}()")
        else:
            name = text_of(function)
        if name in _RUNTIME_FUNCTIONS or _LIST_FUNCTION.match(name):
            return RuntimeValue(f"{name}()")
        return self._first(arguments.named_children, scope) if arguments is not None else None
