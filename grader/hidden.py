"""Taking the hidden checks out of an exercise's catalog file and check module, for a student copy.

A hidden check is a catalog entry with `visibility: hidden` and the test function of the same name
in the exercise's check module. Both are cut out by their exact line ranges, from the YAML parser's
node positions and the Python parser's function spans, so that every other line of both files stays
as it was (comments, layout, the checks' feedback). The result is parsed again to prove that exactly
the hidden checks are gone.
"""
from __future__ import annotations

import ast

import yaml

from grader import yaml_text


class StripError(Exception):
    """A catalog or check module could not be stripped of its hidden checks; the message says why."""


def _remove_lines(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` without the 0-based, end-exclusive line ranges `spans`."""
    lines = text.splitlines(keepends=True)
    dropped = {n for start, end in spans for n in range(start, end)}
    return "".join(line for n, line in enumerate(lines) if n not in dropped)


def _check_items(text: str) -> list[yaml.MappingNode]:
    """The YAML nodes of the catalog file's `checks` entries, in order."""
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        raise StripError("the catalog file is not a mapping")
    for key, value in root.value:
        if key.value == "checks" and isinstance(value, yaml.SequenceNode):
            return value.value
    raise StripError("the catalog file has no list of checks")


def _scalar(node: yaml.MappingNode, name: str) -> str | None:
    return next((v.value for k, v in node.value if k.value == name and isinstance(v, yaml.ScalarNode)), None)


def _item_end(items: list[yaml.MappingNode], index: int) -> int:
    """The line after entry `index`: where the next entry starts, or the line after its last value."""
    if index + 1 < len(items):
        return items[index + 1].start_mark.line
    end = items[index].end_mark
    return end.line if end.column == 0 else end.line + 1


def hidden_check_names(catalog_text: str) -> list[str]:
    """The names of the catalog file's checks marked `visibility: hidden`."""
    return [_scalar(item, "name") for item in _check_items(catalog_text) if _scalar(item, "visibility") == "hidden"]


def strip_catalog(catalog_text: str) -> str:
    """The catalog file's text without its hidden checks' entries."""
    items = _check_items(catalog_text)
    spans = [(item.start_mark.line, _item_end(items, i)) for i, item in enumerate(items)
             if _scalar(item, "visibility") == "hidden"]
    if len(spans) == len(items):
        raise StripError("every check of the exercise is hidden: a student copy would have none")
    stripped = _remove_lines(catalog_text, spans)
    left = [c.get("name") for c in yaml_text.parse(stripped)["checks"]]
    expected = [_scalar(item, "name") for item in items if _scalar(item, "visibility") != "hidden"]
    if left != expected:
        raise StripError(f"stripping the hidden checks left {left}, expected {expected}")
    return stripped


def _function_span(lines: list[str], node: ast.FunctionDef) -> tuple[int, int]:
    """The 0-based, end-exclusive lines of a function with its decorators and the blank lines after it."""
    start = min([node.lineno, *(d.lineno for d in node.decorator_list)]) - 1
    end = node.end_lineno
    while end < len(lines) and not lines[end].strip():
        end += 1
    return start, end


def strip_module(module_text: str, names: list[str]) -> str:
    """The check module's text without the top-level test functions called `names`."""
    lines = module_text.splitlines(keepends=True)
    functions = {node.name: node for node in ast.parse(module_text).body
                 if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))}
    missing = [name for name in names if name not in functions]
    if missing:
        raise StripError(f"no top-level test function {', '.join(missing)} in the check module")
    stripped = _remove_lines(module_text, [_function_span(lines, functions[name]) for name in names])
    left = {node.name for node in ast.walk(ast.parse(stripped)) if isinstance(node, ast.FunctionDef)}
    if left & set(names):
        raise StripError(f"{sorted(left & set(names))} still defined after stripping")
    return stripped
