"""The static check of infra/: what a Bicep compiler would refuse, found without one.

For every .bicep file under the root: it parses (tree-sitter grammar for Bicep); every
resource's `type@apiVersion` exists in the official type definitions and its body fits them
(bicep_types); loops, conditions and names use only values known at the start of the
deployment (deploy_time: BCP178, BCP177, BCP120); every name it reads is declared (BCP057);
modules exist and get exactly their parameters (BCP091, BCP037, BCP035), module outputs read
exist (BCP053); no `dependsOn` repeats what a reference already implies (linter rule
no-unnecessary-dependson); `<name>.parameters.json` names only parameters of `<name>.bicep`
and gives every required one.

Run it by hand with `python -m tests.infra.bicep_check infra`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.infra.bicep_syntax import (
    BicepFile,
    BicepSyntaxError,
    Declaration,
    Finding,
    Node,
    parse_bicep,
    properties,
    text_of,
    walk,
)
from tests.infra.bicep_types import TypeLibrary, check_resource_body
from tests.infra.deploy_time import DeployTimeCheck, locals_at

__all__ = ["check_infra", "main"]

_MODULE_PROPERTIES = frozenset({"name", "scope", "params", "dependsOn", "identity"})
_NAMESPACES = frozenset({"az", "sys"})
_NAMED_DECLARATIONS = frozenset(
    {
        "parameter_declaration",
        "variable_declaration",
        "resource_declaration",
        "module_declaration",
        "output_declaration",
        "metadata_declaration",
        "type_declaration",
        "user_defined_function",
    }
)
_NOT_EXPRESSIONS = frozenset({"type", "decorators", "import_statement", "using_statement", "comment"})


class _Files:
    """Parsed files by path, each parsed once; a syntax error becomes a finding."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.parsed: dict[Path, BicepFile | None] = {}
        self.errors: list[Finding] = []

    def get(self, path: Path) -> BicepFile | None:
        path = path.resolve()
        if path not in self.parsed:
            display = path.relative_to(self.base).as_posix()
            try:
                self.parsed[path] = parse_bicep(path, display)
            except BicepSyntaxError as error:
                self.parsed[path] = None
                self.errors.append(error.finding)
        return self.parsed[path]


def _undeclared_names(file: BicepFile) -> list[Finding]:
    findings = []
    for node in walk(file.root):
        if node.type != "identifier" or _is_declaration_site(node):
            continue
        name = text_of(node)
        if name not in file.symbols and name not in _NAMESPACES and name not in locals_at(node):
            findings.append(file.finding(node, "BCP057", f"'{name}' is not declared"))
    return findings


def _is_declaration_site(node: Node) -> bool:
    """Identifiers that name rather than refer: declarations, object keys, function names,
    loop variables, lambda parameters, types and decorators."""
    parent = node.parent
    if parent is None:
        return True
    if parent.type in _NAMED_DECLARATIONS and parent.named_children[0].id == node.id:
        return True
    if parent.type == "object_property" and parent.named_children[0].id == node.id:
        return True
    if parent.type in ("call_expression", "for_statement") and node.id in _field_ids(parent):
        return True
    ancestor: Node | None = parent
    while ancestor is not None:
        if ancestor.type in _NOT_EXPRESSIONS:
            return True
        if ancestor.type == "lambda_expression" and ancestor.named_children[0].id in {node.id, parent.id}:
            return True
        ancestor = ancestor.parent
    return False


def _field_ids(node: Node) -> set[int]:
    return {child.id for name in ("function", "initializer") for child in node.children_by_field_name(name)}


def _modules(file: BicepFile, files: _Files) -> list[Finding]:
    findings = []
    outputs_of: dict[str, set[str]] = {}
    for decl in file.of_kind("module"):
        path = file.path.parent / decl.target
        module = files.get(path) if path.is_file() else None
        if not path.is_file() and ":" not in decl.target:
            findings.append(file.finding(decl.node, "BCP091", f"module '{decl.name}': no file {decl.target}"))
        for prop in decl.body:
            if prop.key is not None and prop.key not in _MODULE_PROPERTIES:
                findings.append(
                    file.finding(prop.key_node, "BCP037", f"module '{decl.name}' has no '{prop.key}'")
                )
        if module is None:
            continue
        outputs_of[decl.name] = set(module.outputs)
        findings += _module_params(file, decl, module)
    for node in walk(file.root):
        read = _output_read(node, outputs_of)
        if read is not None and read[1] not in outputs_of[read[0]]:
            known = ", ".join(sorted(outputs_of[read[0]]))
            message = f"module '{read[0]}' has no output '{read[1]}' (it has: {known})"
            findings.append(file.finding(node, "BCP053", message))
    return findings


def _module_params(file: BicepFile, decl: Declaration, module: BicepFile) -> list[Finding]:
    declared = {param.name: param for param in module.of_kind("param")}
    given = decl.body_property("params")
    if given is not None and given.value.type != "object":
        return []
    passed = properties(given.value) if given is not None else []
    findings = [
        file.finding(
            prop.key_node, "BCP037", f"module '{decl.name}' ({decl.target}) has no parameter '{prop.key}'"
        )
        for prop in passed
        if prop.key is not None and prop.key not in declared
    ]
    required = {name for name, param in declared.items() if param.value is None and not _nullable(param)}
    missing = required - {prop.key for prop in passed}
    if missing:
        message = (
            f"module '{decl.name}' ({decl.target}) lacks required parameters {', '.join(sorted(missing))}"
        )
        findings.append(file.finding(decl.node, "BCP035", message))
    return findings


def _nullable(param: Declaration) -> bool:
    return param.type_node is not None and any(n.type == "nullable_type" for n in walk(param.type_node))


def _output_read(node: Node, outputs_of: dict[str, set[str]]) -> tuple[str, str] | None:
    """(module, output) for `module.outputs.output` (or `modules[i].outputs.output`)."""
    if node.type != "member_expression":
        return None
    outputs = node.child_by_field_name("object")
    prop = node.child_by_field_name("property")
    if outputs is None or prop is None or outputs.type != "member_expression":
        return None
    base = outputs.child_by_field_name("object")
    if base is not None and base.type == "subscript_expression":
        base = base.child_by_field_name("object")
    outputs_prop = outputs.child_by_field_name("property")
    if base is None or outputs_prop is None or text_of(outputs_prop) != "outputs":
        return None
    name = text_of(base)
    return (name, text_of(prop)) if name in outputs_of else None


def _unnecessary_depends_on(file: BicepFile) -> list[Finding]:
    """Bicep's no-unnecessary-dependson: an explicit dependency the references already imply,
    directly or through variables and other resources (existing resources are not deployed,
    so they are walked through but are no dependency)."""
    findings = []
    direct = {name: _references(file, decl) for name, decl in file.symbols.items()}
    for decl in [*file.of_kind("resource"), *file.of_kind("module")]:
        listed = decl.body_property("dependsOn")
        if listed is None or listed.value.type != "array":
            continue
        implied = _closure(file, direct, decl.name)
        for item in listed.value.named_children:
            target = file.symbols.get(text_of(item)) if item.type == "identifier" else None
            if target is not None and target.loop is None and target.name in implied:
                message = f"'{decl.name}' already depends on '{target.name}' through the values it reads"
                findings.append(file.finding(item, "no-unnecessary-dependson", message))
    return findings


def _references(file: BicepFile, decl: Declaration) -> set[str]:
    if decl.kind in ("resource", "module"):
        parts: list[Node] = [p.value for p in decl.body if p.key != "dependsOn"]
        parts += [
            node for node in (decl.condition, decl.loop.collection if decl.loop else None) if node is not None
        ]
    else:
        parts = [decl.value] if decl.value is not None else []
    return {
        text_of(node)
        for part in parts
        for node in walk(part)
        if node.type == "identifier" and text_of(node) in file.symbols and not _is_declaration_site(node)
    }


def _closure(file: BicepFile, direct: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(direct[start])
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo += direct.get(name, set())
    return {
        name
        for name in seen
        if file.symbols[name].kind in ("resource", "module") and not file.symbols[name].existing
    }


def _parameters_file(file: BicepFile, base: Path) -> list[Finding]:
    path = file.path.with_name(file.path.stem + ".parameters.json")
    if not path.is_file():
        return []
    display = path.relative_to(base).as_posix()
    text = path.read_text()
    given = json.loads(text).get("parameters", {})
    declared = {param.name: param for param in file.of_kind("param")}

    def line(name: str) -> int:
        return next((i for i, row in enumerate(text.splitlines(), 1) if f'"{name}"' in row), 1)

    findings = [
        Finding(display, line(name), "parameters", f"{file.display} has no parameter '{name}'")
        for name in given
        if name not in declared
    ]
    findings += [
        Finding(display, 1, "parameters", f"required parameter '{name}' of {file.display} is not given")
        for name, param in declared.items()
        if param.value is None and not _nullable(param) and name not in given
    ]
    return findings


def _unsupported(file: BicepFile) -> list[Finding]:
    """Constructs the check cannot follow; reported so that nothing passes unchecked."""
    findings = []
    for node in walk(file.root):
        if node.type == "resource_declaration" and node.parent is not None and node.parent.id != file.root.id:
            message = "a nested resource is not checked: declare it at the top level with `parent:`"
            findings.append(file.finding(node, "unsupported", message))
        elif node.type in ("import_functionality", "import_statement", "using_statement"):
            findings.append(file.finding(node, "unsupported", "imports are not checked"))
    for decl in file.of_kind("module"):
        if ":" in decl.target:
            message = (
                f"module '{decl.name}' comes from a registry ({decl.target}); only local files are checked"
            )
            findings.append(file.finding(decl.node, "unsupported", message))
    return findings


def _check_file(file: BicepFile, files: _Files, library: TypeLibrary) -> list[Finding]:
    findings: list[Finding] = _unsupported(file)
    deploy_time = []
    for decl in file.of_kind("resource"):
        type_findings, constants = check_resource_body(file, decl, library)
        findings += type_findings
        deploy_time += constants
    findings += DeployTimeCheck(file).check(deploy_time)
    findings += _undeclared_names(file)
    findings += _modules(file, files)
    findings += _unnecessary_depends_on(file)
    findings += _parameters_file(file, files.base)
    return findings


def check_infra(root: Path, library: TypeLibrary | None = None) -> list[Finding]:
    """Every finding for the .bicep files under `root`, paths shown relative to root's parent."""
    library = library or TypeLibrary.load()
    root = root.resolve()
    files = _Files(root.parent)
    findings: list[Finding] = []
    for path in sorted(root.rglob("*.bicep")):
        file = files.get(path)
        if file is not None:
            findings += _check_file(file, files, library)
    return sorted(set(findings + files.errors))


def main(argv: list[str]) -> int:
    root = Path(argv[0] if argv else "infra")
    findings = check_infra(root)
    for finding in findings:
        print(finding)
    count = len(list(root.rglob("*.bicep")))
    print(f"{count} Bicep files under {root}: {len(findings) or 'no'} findings")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
