"""Guarding the grader from the code it grades, inside the grading child.

Two instruments, both installed before the student's module is imported:

- An audit hook (PEP 578; Python code cannot remove one) that refuses, with PermissionError, what a
  submission could use to reach or switch off the grader: frames (`sys._getframe`, a traceback's
  `tb_frame`, a generator's `gi_frame`, also through `inspect`), the garbage collector's object lists,
  `ctypes`, importing the grader or pytest, `sys.settrace`/`sys.setprofile` (the race checks' tracing;
  `threading.settrace`, which raises no audit event, is replaced by a function that refuses every
  caller but the grader), writing the grader's own files, reading a process's memory, and signalling the
  keeper. Each refusal is recorded.
- A fingerprint of the modules a verdict passes through (the grader, pytest, pluggy, and the standard
  modules that encode and sign events) and of the instruments' hooks (`threading`, `_thread`, the
  tracing functions of `sys`), compared before each verdict is sent: a submission that replaced a
  check function, the outcome, the event writer or a lock factory is caught by the change.

Probes also report what they find about themselves (`report_tampering`: an instrument removed while
the student's code ran). A verdict given while any of these saw something is an error with reason
`tampered`. What this cannot stop
(an attack on the interpreter itself) is described in README's threat model.
"""
from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import grader
from grader.messages import Message, msg, render

GRADER_DIR = str(Path(grader.__file__).resolve().parent)
# Frames of these files pass an audited operation on to their caller, who is the one asking.
TRANSPARENT = ("inspect.py", "traceback.py", "<frozen importlib._bootstrap>",
               "<frozen importlib._bootstrap_external>", os.path.join("ctypes", "__init__.py"))
FRAME_ATTRIBUTES = {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"}
PROTECTED_IMPORTS = ("grader", "_pytest", "pytest", "pluggy", "ctypes", "_ctypes")
FINGERPRINTED = ("grader", "_pytest", "pytest", "pluggy", "json", "hmac", "hashlib", "os", "posix", "_json",
                 # the instruments' own hooks: the lock factories, the thread start-up. (Not `time`:
                 # every timing check reads clocks it took before the student's import, so a rebound
                 # clock fools only the student's own timing.)
                 "threading", "_thread")
# The interpreter hooks of `sys` the instruments rely on (the rest of `sys` is rebound by pytest).
SYS_HOOKS = ("settrace", "gettrace", "setprofile", "setswitchinterval", "getswitchinterval", "_getframe",
             "addaudithook", "audit", "exit", "modules")
# Python functions that switch the tracing off without an audit event: refused to the student's file.
GUARDED_FUNCTIONS = (("threading", "settrace"), ("threading", "setprofile"))
# Attributes rebound legitimately: by pytest around every test, or by a submission.
REBOUND_LEGITIMATELY = {"_pytest.assertion.util._reprcompare", "_pytest.assertion.util._assertion_pass",
                     "_pytest.assertion.util._config",
                     # a submission may set its own: the thread watch installs its hook for each call
                     # and puts back the one before it afterwards (grader.probes.threads)
                     "threading.excepthook"}
_ASKED_BY_STUDENT = {"sys._getframe", "sys._current_frames", "gc.get_objects", "gc.get_referrers",
                     "gc.get_referents", "sys.settrace", "sys.setprofile", "sys.addaudithook"}
# Standard-library code that calls whatever callable it is handed (a thread's target, an executor's or
# a pool's task, a timer's or a finalizer's function): when one of these is the asker, the callable
# was the operation itself, handed over by the submission. None calls an audited operation itself.
DISPATCHERS = tuple(os.sep + os.path.join(*path) for path in (
    ("threading.py",), ("concurrent", "futures", "thread.py"), ("multiprocessing", "pool.py"), ("sched.py",),
    ("weakref.py",)))
# Code in a dispatcher's file that reads frames for itself, never for a callable it was handed: a pool
# worker formats the traceback of a task that raised, to send it to the caller as text.
READS_FRAMES_FOR_ITSELF = frozenset({"ExceptionWithTraceback.__init__"})
_WATCHED_EVENTS = frozenset({"open", "os.kill", "os.killpg", "object.__getattr__", "import", *_ASKED_BY_STUDENT})


def _write_mode(args) -> bool:
    mode, flags = args[1], args[2]
    if isinstance(mode, str):
        return any(c in mode for c in "wax+")
    return bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_APPEND | os.O_CREAT | os.O_TRUNC))


_INSTALLED: list["Guard"] = []


def report_tampering(what: Message) -> None:
    """Record evidence of tampering that an instrument found about itself (it was removed, bypassed
    or switched off while the student's code ran): the running check's verdict becomes `tampered`."""
    for guard in _INSTALLED:
        guard.attempts.append(what)


@dataclass
class Guard:
    """The audit hook's state: whose code is the student's, and what it was refused."""

    student_file: str = ""
    # What was refused or found, as messages for the report (the student reads them).
    attempts: list[Message] = field(default_factory=list)
    _inside: threading.local = field(default_factory=threading.local)

    def install(self) -> None:
        """Install the audit hook for the rest of the process's life."""
        _INSTALLED.append(self)
        sys.addaudithook(self._hook)

    def arm(self, student_file: str) -> None:
        """From now on, refuse the student's file what the module docstring lists."""
        self.student_file = student_file
        for module, name in GUARDED_FUNCTIONS:
            owner = sys.modules[module]
            setattr(owner, name, self._refused_to_student(getattr(owner, name), f"{module}.{name}"))

    def _refused_to_student(self, function, label: str):
        # Refused to every caller but the grader (which never needs them once armed): a student's
        # call can come through the standard library too, as the target of a thread.
        def guarded(*args, **kwargs):
            self._inside.busy = True  # the frame walk below is the guard's own, not audited
            try:
                refused = not self._asked_by_grader()
            finally:
                self._inside.busy = False
            if refused:
                self.attempts.append(msg("guard.refused_call", name=label))
                raise PermissionError(f"refused by the grader: {label}")
            return function(*args, **kwargs)
        return guarded

    def _asker(self):
        """The code (a code object) that asked for the audited operation, None when none is known."""
        frame = sys._getframe(2)
        while frame is not None and (frame.f_code.co_filename == __file__
                                     or frame.f_code.co_filename.endswith(TRANSPARENT)):
            frame = frame.f_back
        return frame.f_code if frame is not None else None

    def _asked_by_student(self) -> bool:
        asker = self._asker()
        if asker is None:
            return False
        # co_qualname is new in 3.11: on 3.10 no dispatcher's code is taken as reading for itself.
        return asker.co_filename == self.student_file or (
            asker.co_filename.endswith(DISPATCHERS)
            and getattr(asker, "co_qualname", None) not in READS_FRAMES_FOR_ITSELF)

    def _asked_by_grader(self) -> bool:
        asker = self._asker()
        return asker is not None and asker.co_filename.startswith(GRADER_DIR + os.sep)

    def _refusal(self, event: str, args: tuple) -> Message | None:
        """What refusing `event` means, for the report; None when it is allowed."""
        if event == "open" and isinstance(args[0], str):
            path = os.path.realpath(args[0])
            if _write_mode(args) and path.startswith(GRADER_DIR + os.sep):
                return msg("guard.refused_write", path=path)
            if path.startswith("/proc/") and path.endswith("/mem"):
                return msg("guard.refused_memory", path=path)
            return None
        if event in ("os.kill", "os.killpg"):
            # -1: every process; 0 or the group's number: the group the keeper leads
            targets = (0, os.getpgrp()) if event == "os.killpg" else (0, -os.getpgrp(), -1, os.getppid())
            return msg("guard.refused_signal", call=f"{event}({args[0]}, ...)") if args[0] in targets else None
        if not self.student_file:
            return None
        if event in _ASKED_BY_STUDENT or event.startswith("ctypes."):
            return msg("guard.refused_call", name=event) if self._asked_by_student() else None
        if event == "object.__getattr__" and args[1] in FRAME_ATTRIBUTES:
            return msg("guard.refused_frame", attribute=args[1]) if self._asked_by_student() else None
        if event == "import" and str(args[0]).split(".")[0] in PROTECTED_IMPORTS:
            return msg("guard.refused_import", module=str(args[0])) if self._asked_by_student() else None
        return None

    def _hook(self, event: str, args: tuple) -> None:
        # Most events are none of the guard's business, decided first since this runs on every audited
        # operation of the process: above all `frame.f_code`, read by the race checks' tracer on every
        # bytecode the student's threads run, then time.sleep, os.listdir, ...
        if event == "object.__getattr__":
            if args[1] not in FRAME_ATTRIBUTES:
                return
        elif event not in _WATCHED_EVENTS and not event.startswith("ctypes."):
            return
        if getattr(self._inside, "busy", False):
            return
        self._inside.busy = True
        try:
            refusal = self._refusal(event, args)
            # Rendered while busy: reading the templates raises audit events of its own.
            said = render(refusal).removeprefix("- ") if refusal is not None else ""
        finally:
            self._inside.busy = False
        if refusal is not None:
            self.attempts.append(refusal)
            raise PermissionError(f"refused by the grader: {said}")


_MISSING = object()


def _namespaces(modules: dict) -> dict[str, tuple[object, dict]]:
    """{name: (the live namespace, a copy of it)} for the fingerprinted modules and their classes."""
    spaces = {}
    for name, module in list(modules.items()):
        if module is None or name.split(".")[0] not in FINGERPRINTED:
            continue
        spaces[name] = (vars(module), dict(vars(module)))
        for attr, value in list(vars(module).items()):
            if isinstance(value, type) and getattr(value, "__module__", None) == name:
                spaces[f"{name}.{attr}"] = (vars(value), dict(vars(value)))
    return spaces


class _SysHooks:
    """The hooks of `sys` the instruments rely on, looked up afresh (a namespace of its own)."""

    def get(self, name: str, default: object) -> object:
        return getattr(sys, name, default)


@dataclass
class Fingerprint:
    """Every attribute of the modules (and their classes) a verdict passes through, as the objects
    themselves: a replaced attribute is told by identity, even after the old object is gone. Each
    copy is compared with its live namespace, so a check costs lookups, not another copy."""

    spaces: dict[str, tuple[object, dict[str, object]]]

    @classmethod
    def take(cls) -> "Fingerprint":
        spaces = _namespaces(sys.modules)
        spaces["sys"] = (_SysHooks(), {name: getattr(sys, name) for name in SYS_HOOKS})
        return cls(spaces)

    def changes(self) -> list[str]:
        """The attributes replaced or removed since the fingerprint was taken."""
        changed = []
        for space, (live, saved) in self.spaces.items():
            get = live.get
            changed += [f"{space}.{attr}" for attr, value in saved.items()
                        if get(attr, _MISSING) is not value and f"{space}.{attr}" not in REBOUND_LEGITIMATELY]
        return changed
