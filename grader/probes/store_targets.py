"""Which object a write of the student's code goes into, for telling shared state from the rest.

The tracer sees a store bytecode (`STORE_ATTR value`, `STORE_SUBSCR`) but not the object written into:
it sits on the value stack, which a trace function cannot read. Where the target is written as a name
and an attribute or an index (`counter.value += 1`, `box[0] = x`, `self.total = 0`), the source of the
store, located by the bytecode's positions (3.11 and later), names the object, which is then looked up
in the frame. So `value` written into two different objects (a counter and each new message object) is
two things, not one counter written twice; and an attribute of a `threading.local` is each thread's
own, never shared. Other targets (`a.b.c = 1`, `f().x = 1`) keep the attribute name alone, as before.

Up to 3.12 a frame's locals cannot be read safely from a trace function: reading `frame.f_locals`
makes the interpreter copy them out before every later trace call and back after it, and a closure's
cell written back that way undoes another thread's update made meanwhile (the tracer's forced switches
happen exactly then). There, only a module's globals and the closure of the function a thread was
started with are looked in, and `self.x = ...` inside `__init__` (an object being built, not yet
shared by anyone) is no shared write. From 3.13 on, `frame.f_locals` is a view of the frame, safe to
read.
"""
from __future__ import annotations

import ast
import dis
import linecache
import sys
import threading
from dataclasses import dataclass, field
from types import CodeType, FrameType, FunctionType

_MISSING = object()


def base_name(code: CodeType, instruction: dis.Instruction) -> str | None:
    """The name the stored-into object is read from (`counter` in `counter.value += 1`), or None."""
    positions = getattr(instruction, "positions", None)
    if positions is None or None in (positions.lineno, positions.end_lineno, positions.col_offset,
                                      positions.end_col_offset):
        return None
    lines = linecache.getlines(code.co_filename)
    if positions.end_lineno > len(lines):
        return None
    # Column offsets count UTF-8 bytes.
    chunk = [line.encode() for line in lines[positions.lineno - 1:positions.end_lineno]]
    chunk[-1] = chunk[-1][:positions.end_col_offset]
    chunk[0] = chunk[0][positions.col_offset:]
    try:
        node = ast.parse("(" + b"".join(chunk).decode() + ")", mode="eval").body
    except (SyntaxError, UnicodeDecodeError, ValueError):
        return None
    if isinstance(node, (ast.Attribute, ast.Subscript)) and isinstance(node.value, ast.Name):
        return node.value.id
    return None


_LOCALS_ARE_A_VIEW = sys.version_info >= (3, 13)


def _in_thread_closure(code: CodeType, name: str) -> object:
    """The value of the free variable `name` of `code` when `code` is the function the current thread
    was started with (its closure holds the cells), else _MISSING. Only a plain function's attributes
    are read: a student's callable object could run code of its own on attribute access."""
    function = vars(threading.current_thread()).get("_target")
    if type(function) is not FunctionType or function.__code__ is not code or not function.__closure__:
        return _MISSING
    try:
        return function.__closure__[code.co_freevars.index(name)].cell_contents
    except (ValueError, IndexError):
        return _MISSING


def _looked_up(frame: FrameType, name: str) -> object:
    """What `name` means in `frame`, where it can be read safely and without running any code of the
    student's (dictionary and cell reads only); _MISSING where it cannot."""
    code = frame.f_code
    if _LOCALS_ARE_A_VIEW:
        local_names = frame.f_locals
        if name in local_names:
            return local_names[name]
    elif name in code.co_freevars:
        return _in_thread_closure(code, name)
    elif name in code.co_varnames or name in code.co_cellvars:
        return _MISSING
    return frame.f_globals.get(name, _MISSING)


def _builds_self(code: CodeType, name: str) -> bool:
    """Whether a store into `name` is `self.x = ...` in an `__init__`: an object being built."""
    return code.co_name == "__init__" and code.co_argcount > 0 and code.co_varnames[0] == name


def _is_per_thread(target: object) -> bool:
    # By the class's own MRO, not isinstance(): a student's `__class__` property runs no code here.
    return any(cls is threading.local for cls in type(target).__mro__)


@dataclass
class StoreTargets:
    """The targets of the stores met while tracing, with the source of each store read once."""

    _names: dict[tuple[CodeType, int], str | None] = field(default_factory=dict)

    def target(self, frame: FrameType, instruction: dis.Instruction) -> tuple[bool, int | None]:
        """(shared, owner) for a store about to run in `frame`: `shared` is False for an attribute of a
        threading.local; `owner` identifies the object written into, None where it is not known."""
        if instruction.opname not in ("STORE_ATTR", "STORE_SUBSCR"):
            return True, None
        key = (frame.f_code, instruction.offset)
        if key not in self._names:
            self._names[key] = base_name(frame.f_code, instruction)
        name = self._names[key]
        if name is None:
            return True, None
        if instruction.opname == "STORE_ATTR" and _builds_self(frame.f_code, name):
            return False, None
        target = _looked_up(frame, name)
        if target is _MISSING:
            return True, None
        if instruction.opname == "STORE_ATTR" and _is_per_thread(target):
            return False, None
        return True, id(target)
