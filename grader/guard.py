"""Guarding the grader from the code it grades, inside the grading child.

Two instruments, both installed before the student's module is imported:

- An audit hook (PEP 578; Python code cannot remove one) that refuses, with PermissionError, what a
  submission could use to reach or switch off the grader: frames (`sys._getframe`, a traceback's
  `tb_frame`, a generator's `gi_frame`, also through `inspect`), the garbage collector's object lists,
  `ctypes`, importing the grader or pytest, `sys.settrace`/`sys.setprofile` (the race checks' tracing),
  writing the grader's own files, reading a process's memory, and signalling the keeper. Each refusal
  is recorded.
- A fingerprint of the modules a verdict passes through (the grader, pytest, pluggy, and the standard
  modules that encode and sign events), compared before each verdict is sent: a submission that
  replaced a check function, the outcome or the event writer is caught by the change it made.

A verdict given while either saw something is an error with reason `tampered`. What this cannot stop
(an attack on the interpreter itself) is described in README's threat model.
"""
from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import grader

GRADER_DIR = str(Path(grader.__file__).resolve().parent)
# Frames of these files pass an audited operation on to their caller, who is the one asking.
TRANSPARENT = ("inspect.py", "traceback.py", "<frozen importlib._bootstrap>",
               "<frozen importlib._bootstrap_external>", os.path.join("ctypes", "__init__.py"))
FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"}
PROTECTED_IMPORTS = ("grader", "_pytest", "pytest", "pluggy", "ctypes", "_ctypes")
FINGERPRINTED = ("grader", "_pytest", "pytest", "pluggy", "json", "hmac", "hashlib", "os", "posix", "_json")
# Module attributes that pytest itself rebinds around every test.
REBOUND_BY_PYTEST = {"_pytest.assertion.util._reprcompare", "_pytest.assertion.util._assertion_pass",
                     "_pytest.assertion.util._config"}
_ASKED_BY_STUDENT = {"sys._getframe", "sys._current_frames", "gc.get_objects", "gc.get_referrers",
                     "gc.get_referents", "sys.settrace", "sys.setprofile", "sys.addaudithook"}


def _write_mode(args) -> bool:
    mode, flags = args[1], args[2]
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC))


@dataclass
class Guard:
    """The audit hook's state: whose code is the student's, and what it was refused."""

    student_file: str = ""
    attempts: list[str] = field(default_factory=list)
    _inside: threading.local = field(default_factory=threading.local)

    def install(self) -> None:
        """Install the audit hook for the rest of the process's life."""
        sys.addaudithook(self._hook)

    def arm(self, student_file: str) -> None:
        """From now on, refuse the student's file what the module docstring lists."""
        self.student_file = student_file

    def _asked_by_student(self) -> bool:
        frame = sys._getframe(1)
        while frame is not None and (frame.f_code.co_filename == __file__
                                     or frame.f_code.co_filename.endswith(TRANSPARENT)):
            frame = frame.f_back
        return frame is not None and frame.f_code.co_filename == self.student_file

    def _refusal(self, event: str, args: tuple) -> str:
        if event == "open" and isinstance(args[0], str):
            path = os.path.realpath(args[0])
            if _write_mode(args) and path.startswith(GRADER_DIR + os.sep):
                return f"writing the grader's file {path}"
            if path.startswith("/proc/") and path.endswith("/mem"):
                return f"reading process memory ({path})"
            return ""
        if event in ("os.kill", "os.killpg"):
            if args[0] in (-1, os.getppid()) or (event == "os.killpg" and args[0] == os.getpgid(os.getppid())):
                return f"{event}({args[0]}, ...): a signal to the grader's own processes"
            return ""
        if not self.student_file:
            return ""
        if event in _ASKED_BY_STUDENT or event.startswith("ctypes."):
            return event if self._asked_by_student() else ""
        if event == "object.__getattr__" and args[1] in FRAME_ATTRIBUTES:
            return f"the frame attribute {args[1]}" if self._asked_by_student() else ""
        if event == "import" and str(args[0]).split(".")[0] in PROTECTED_IMPORTS:
            return f"import {args[0]}" if self._asked_by_student() else ""
        return ""

    def _hook(self, event: str, args: tuple) -> None:
        if getattr(self._inside, "busy", False):
            return
        self._inside.busy = True
        try:
            refusal = self._refusal(event, args)
        finally:
            self._inside.busy = False
        if refusal:
            self.attempts.append(refusal)
            raise PermissionError(f"refused by the grader: {refusal}")


def _namespaces(modules: dict) -> dict[str, dict]:
    spaces = {}
    for name, module in list(modules.items()):
        if module is None or name.split(".")[0] not in FINGERPRINTED:
            continue
        spaces[name] = dict(vars(module))
        for attr, value in list(vars(module).items()):
            if isinstance(value, type) and getattr(value, "__module__", None) == name:
                spaces[f"{name}.{attr}"] = dict(vars(value))
    return spaces


@dataclass
class Fingerprint:
    """Every attribute of the modules (and their classes) a verdict passes through, as the objects
    themselves: a replaced attribute is told by identity, even after the old object is gone."""

    spaces: dict[str, dict[str, object]]

    @classmethod
    def take(cls, extra_modules: tuple[str, ...] = ()) -> "Fingerprint":
        spaces = _namespaces(sys.modules)
        for name in extra_modules:
            if name in sys.modules:
                spaces[name] = dict(vars(sys.modules[name]))
        return cls(spaces)

    def changes(self, extra_modules: tuple[str, ...] = ()) -> list[str]:
        """The attributes replaced or removed since the fingerprint was taken."""
        now = Fingerprint.take(extra_modules).spaces
        changed = []
        for space, attrs in self.spaces.items():
            current = now.get(space)
            if current is None:
                continue
            changed += [f"{space}.{attr}" for attr, value in attrs.items()
                        if (attr not in current or current[attr] is not value)
                        and f"{space}.{attr}" not in REBOUND_BY_PYTEST]
        return changed
