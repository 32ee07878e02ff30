"""Which of a submission's code a check can run, for the variant tests: a check that runs only code
the reference solution has too gives the reference's verdict, which the reference's own test grades.

A check runs the submission's module code (at import) and the student's functions it calls: those
the catalog names (`calls`), and any the check's code spells, as `getattr(submission, "f")` does,
with every function those reach by name, attribute or string. The module as a check runs it is its
AST without docstrings and without the module-level functions the check cannot reach; two sources
that give the same one run the same code in that check.
"""
from __future__ import annotations

import ast
import functools
from pathlib import Path

from grader.catalog import CheckSpec, Exercise

CHECKS = Path(__file__).resolve().parents[1] / "grader" / "checks"


def names_in(nodes: list[ast.AST]) -> set[str]:
    """Every name the code may reach a module-level function by: names, attributes, and strings (as
    `globals()["f"]` or `getattr(module, "f")` would)."""
    found = set()
    for node in nodes:
        for inner in ast.walk(node):
            if isinstance(inner, ast.Name):
                found.add(inner.id)
            elif isinstance(inner, ast.Attribute):
                found.add(inner.attr)
            elif isinstance(inner, ast.Constant) and isinstance(inner.value, str):
                found.add(inner.value)
    return found


def runs_code_at_import(function: ast.FunctionDef) -> bool:
    """Whether defining `function` runs code: a decorator, or a call in a default or annotation."""
    arguments = function.args
    header = [*arguments.defaults, *filter(None, arguments.kw_defaults), *filter(None, [function.returns]),
              *(argument.annotation for argument in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                                                      arguments.vararg, arguments.kwarg]
                if argument is not None and argument.annotation is not None)]
    return bool(function.decorator_list) or any(isinstance(inner, ast.Call) for node in header
                                                for inner in ast.walk(node))


def _reached(functions: dict[str, ast.FunctionDef], start: list[ast.AST]) -> set[str]:
    """The names in `functions` that `start` reaches, directly or through one another."""
    reached: set[str] = set()
    frontier = start
    while frontier:
        names = (names_in(frontier) & functions.keys()) - reached
        reached |= names
        frontier = [functions[name] for name in names]
    return reached


def code_run(source: str, entries: set[str]) -> str:
    """The module `source` as code that calls the functions `entries` runs it: an AST dump without
    docstrings, comments and layout, and without the module-level functions neither the module's own
    code nor `entries` can reach. A function whose definition runs code (a decorator, a call in a
    default) stays, since that code runs at import."""
    tree = ast.parse(source)
    removable = {node.name: node for node in tree.body
                 if isinstance(node, ast.FunctionDef) and not runs_code_at_import(node) and node.name not in entries}
    kept = [node for node in tree.body if not (isinstance(node, ast.FunctionDef) and node.name in removable)]
    unreached = removable.keys() - _reached(removable, kept)
    tree.body = [node for node in tree.body if not (isinstance(node, ast.FunctionDef) and node.name in unreached)]
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)) and ast.get_docstring(node) is not None:
            node.body = node.body[1:] or [ast.Pass()]
    return ast.dump(tree)


@functools.cache
def _check_functions(exercise_id: str) -> dict[str, ast.FunctionDef]:
    """The module-level functions of an exercise's check module, in the order pytest runs its tests."""
    tree = ast.parse((CHECKS / f"{exercise_id}.py").read_text(encoding="utf-8"))
    return {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}


def entries(exercise: Exercise, spec: CheckSpec) -> set[str]:
    """The names through which `spec` may call the student's code: the catalog's `calls`, and every
    name its test function and the check module's helpers it uses spell."""
    helpers = _check_functions(exercise.id)
    test = helpers[spec.name]
    return {*spec.calls, *names_in([test]), *names_in([helpers[name] for name in _reached(helpers, [test])])}


def run_order(exercise: Exercise) -> list[CheckSpec]:
    """The exercise's checks in the order a grading runs them: their test functions' order."""
    return [exercise.check(name) for name in _check_functions(exercise.id) if name.startswith("test_")]


def runs_the_references_code(exercise: Exercise, spec: CheckSpec, source: str, reference: str) -> bool:
    """Whether `spec` runs the same code in `source` as in `reference`."""
    names = entries(exercise, spec)
    return code_run(source, names) == code_run(reference, names)
