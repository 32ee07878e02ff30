"""Running an exercise's checks in supervised children and collecting every verdict.

The runner starts a grading child (`grader.worker`), reads its events as they come, and enforces two
limits of its own: each check's time (a backstop behind the in-child pytest-timeout) and the whole
run's time. When a child hangs, crashes or exits in the middle of a check, that check gets an error
saying what happened and the remaining checks are run again in a fresh child.
"""
from __future__ import annotations

import os
import re
import selectors
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

from grader import bytecode, sandbox
from grader.catalog import CheckSpec, Exercise
from grader.events import IMPORT, INTERNAL_ERROR, RESULT, START, EventReader, new_secret
from grader.hangs import Hangs
from grader.messages import Message, msg, render
from grader.probes.processes import signal_name
from grader.report import (CRASHED, ERROR, EXITED, GRADER_ERROR, HIDDEN, OUT_OF_MEMORY, PASSED, SKIPPED, TAMPERED,
                           TIMED_OUT, CheckResult, ExerciseResult)

_clock = time.monotonic


@dataclass
class Attempt:
    """What one grading child reported before it ended."""

    results: dict[str, dict] = field(default_factory=dict)
    running: str | None = None
    importing: bool = False
    stopped_because: str = ""
    tampered: Message | None = None
    returncode: int | None = None
    stderr: str = ""
    student_file: Path | None = None
    layers: dict = field(default_factory=dict)
    out_of_memory: bool = False
    output_cut: bool = False
    # (check, error) when pytest or the grader's hooks failed in the child; the check may be "".
    internal_error: tuple[str, str] | None = None
    # Whether the child said anything: it says the import starts before any code of the student's runs.
    heard: bool = False


def _out_of_protocol(attempt: Attempt, event, expected: set[str]) -> Message | None:
    """What is wrong with an authenticated event in this run, or None."""
    # A parametrized check starts once per item: a start of the running check is its next item.
    if event.kind == START and event.check != attempt.running and (
            event.check not in expected or event.check in attempt.results or attempt.running is not None):
        return msg("events.start_out_of_turn", check=event.check)
    if event.kind == RESULT and event.check != attempt.running:
        return msg("events.result_not_running", check=event.check)
    return None


def _read_events(child: sandbox.Child, read_fd: int, checks: list[CheckSpec], exercise: Exercise,
                 limits: sandbox.Limits, secret: bytes, hangs: Hangs) -> Attempt:
    attempt, reader = Attempt(), EventReader(secret)
    specs = {spec.name: spec for spec in checks}
    expected = set(specs)
    run_deadline = _clock() + exercise.hard_limit(checks)
    check_deadline = None
    selector = selectors.DefaultSelector()
    selector.register(read_fd, selectors.EVENT_READ)
    try:
        while True:
            deadline = min(run_deadline, check_deadline or run_deadline)
            if not selector.select(timeout=max(0.0, deadline - _clock())):
                attempt.stopped_because = "check" if deadline != run_deadline else "run"
                child.request_stack_dump(limits)
                return attempt
            chunk = os.read(read_fd, 65536)
            if not chunk:
                return attempt
            for event in reader.feed(chunk):
                attempt.heard = True
                problem = _out_of_protocol(attempt, event, expected)
                if problem is not None:
                    reader.problems.append(problem)
                    break
                if event.kind == IMPORT:
                    attempt.importing = event.data.get("phase") == "start"
                elif event.kind == START:
                    attempt.running = event.check
                    check_deadline = _clock() + hangs.timeout(specs[event.check]) + limits.check_grace_s
                elif event.kind == RESULT:
                    attempt.results[event.check] = event.data
                    if event.data.get("reason") == TIMED_OUT:
                        hangs.record(specs[event.check])
                    attempt.running, check_deadline = None, None
                elif event.kind == INTERNAL_ERROR:
                    attempt.internal_error = (event.check, str(event.data.get("error", "")))
            if reader.problems:
                # The submission wrote on the event pipe: nothing more this child says is trusted.
                attempt.tampered = reader.problems[0]
                return attempt
    finally:
        selector.close()


def _layers_in_english(layers: dict) -> dict:
    """The child's confinement layers ({name: what} active, {name: why} skipped) in English, as the
    JSON report gives them, with the messages themselves under `said` for a reader's language."""
    said = {part: dict(layers.get(part) or {}) for part in ("active", "skipped")}
    english = {part: {name: render(Message.from_data(data), "en") for name, data in said[part].items()}
               for part in said}
    return {**english, "said": said}


def run_attempt(exercise: Exercise, submission_dir: Path, checks: list[CheckSpec],
                limits: sandbox.Limits, hangs: Hangs | None = None, alone: bool = True) -> Attempt:
    """Run `checks` in one fresh grading child and report what it finished; `hangs` (the functions
    that hung before) is told of every function that hangs in this child. `alone` says whether
    nothing else is graded beside this child (see the checks' `alone` fixture)."""
    hangs = hangs if hangs is not None else Hangs()
    bytecode.ensure_compiled()
    workspace = sandbox.Workspace.create(submission_dir)
    read_fd, write_fd = os.pipe()
    secret_read, secret_write = os.pipe()
    secret = new_secret()
    os.write(secret_write, secret)
    os.close(secret_write)
    args = ["-c", sandbox.WORKER_CODE, "--exercise", exercise.id,
            "--submission", str(workspace.submission), "--checks", ",".join(spec.name for spec in checks),
            "--events-fd", str(write_fd), "--secret-fd", str(secret_read), "--hung", hangs.to_arg(),
            *([] if alone else ["--beside"])]
    try:
        child = sandbox.start(args, pass_fds=(write_fd, secret_read), limits=limits, workspace=workspace,
                              preload=exercise.preload)
    finally:
        os.close(write_fd)
        os.close(secret_read)
    try:
        attempt = _read_events(child, read_fd, checks, exercise, limits, secret, hangs)
        child.kill(limits)
        attempt.returncode = child.returncode
        attempt.stderr = child.output_tail()[1]
        attempt.student_file = workspace.submission / exercise.module
        attempt.layers = _layers_in_english(child.status.get("layers", {}))
        attempt.out_of_memory = bool(child.status.get("out_of_memory"))
        attempt.output_cut = bool(child.status.get("output_cut"))
    finally:
        os.close(read_fd)
        child.close()
    return attempt


_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+) in (?P<fn>\S+)')


def _stack_of_student(stderr: str, student_file: Path) -> Message | str:
    """Where the student's code was in the main thread of a faulthandler dump, innermost first."""
    blocks = re.split(r"\n(?=(?:Current thread|Thread) 0x)", stderr)
    main = [block for block in blocks if block.lstrip().startswith("Current thread")]
    places = [msg("where.line_in_function", line=int(m["line"]), function=m["fn"], code="")
              for m in _FRAME.finditer(main[-1] if main else "") if m["file"] == str(student_file)]
    others = sum(1 for block in blocks if block.lstrip().startswith("Thread 0x") and str(student_file) in block)
    if not places:
        return ""
    stack: Message = places[0]
    for outer in places[1:4]:
        stack = msg("where.called_from", inner=stack, outer=outer)
    return msg("runner.stack", stack=stack, others=msg("runner.other_threads", others=others) if others else "")


def _why_unfinished(attempt: Attempt, spec: CheckSpec, exercise: Exercise, limits: sandbox.Limits,
                    hangs: Hangs) -> Message:
    where = _stack_of_student(attempt.stderr, attempt.student_file) if attempt.student_file else ""
    if attempt.tampered:
        return msg("runner.tampered", seen=attempt.tampered)
    if attempt.stopped_because == "check":
        return msg("runner.check_timed_out", seconds=hangs.timeout(spec), where=where)
    if attempt.stopped_because == "run":
        return msg("runner.run_timed_out", exercise=exercise.id, where=where)
    code = attempt.returncode
    if attempt.out_of_memory:
        return msg("runner.out_of_memory", mebibytes=limits.memory_bytes >> 20, where=where)
    if code == -signal.SIGXCPU:
        return msg("runner.cpu_time_used_up", seconds=limits.cpu_seconds, where=where)
    if code is not None and code < 0:
        return msg("runner.crashed", signal=signal_name(-code))
    return msg("runner.exited", code=code)


def _why_never_ran(attempt: Attempt) -> Message:
    last_lines = "\n".join(attempt.stderr.strip().splitlines()[-5:])
    output = msg("runner.output", output=last_lines) if last_lines else ""
    if not attempt.heard:
        # Nothing of the student's ran: the child failed to start (its confinement refused, say).
        return _grader_error(msg("runner.child_never_started", code=attempt.returncode, output=output))
    return msg("runner.never_ran", code=attempt.returncode, output=output)


def _grader_error(error: str | Message) -> Message:
    return msg("verdict.grader_error", error=error)


def _result(spec: CheckSpec, status: str, message: list[Message], lang: str, reason: str = "",
            duration: float = 0.0, details: dict | None = None) -> CheckResult:
    return CheckResult(
        name=spec.name, target=spec.target, status=status,
        points=spec.points if status == PASSED else 0.0, max_points=spec.points,
        visibility=spec.visibility, feedback=render(message, lang), reason=reason, duration_s=duration,
        details=details or {}, message=[part.to_data() for part in message],
    )


def _reported(spec: CheckSpec, data: dict, lang: str) -> CheckResult:
    """A check's verdict as the grading child reported it, with the catalog's hint under the failure
    it is about (when the check asked for it)."""
    message = [Message.from_data(part) for part in data.get("message") or []]
    if data.get("catalog_hint") and spec.hint.en:
        message.append(msg("feedback.hint", hint=spec.hint.translations()))
    return _result(spec, str(data.get("status", ERROR)), message, lang, str(data.get("reason", "")),
                   float(data.get("duration_s", 0.0)), data.get("details"))


def _unfinished_reason(attempt: Attempt) -> str:
    if attempt.tampered:
        return TAMPERED
    if attempt.out_of_memory:
        return OUT_OF_MEMORY
    if attempt.stopped_because or attempt.returncode == -signal.SIGXCPU:
        return TIMED_OUT
    return CRASHED if attempt.returncode is not None and attempt.returncode < 0 else EXITED


def run_checks(exercise: Exercise, submission_dir: Path, checks: list[CheckSpec],
               limits: sandbox.Limits | None = None, lang: str = "en",
               layers: dict | None = None, hangs: Hangs | None = None, alone: bool = True) -> dict[str, CheckResult]:
    """Every check's verdict, resuming in a fresh child after a hang, crash or exit. The
    confinement layers of the first child are put in `layers`, when given. `hangs` holds the
    functions that hung in an earlier run of the same grading (its other checks), and is told of
    those that hang in this one. `alone` is False when other gradings may run beside these checks."""
    limits = limits or sandbox.Limits()
    results: dict[str, CheckResult] = {}
    pending = list(checks)
    hangs = hangs if hangs is not None else Hangs()
    while pending:
        attempt = run_attempt(exercise, submission_dir, pending, limits, hangs, alone)
        if layers is not None and not layers:
            layers.update(attempt.layers)
        if layers is not None and attempt.output_cut:
            cut = msg("sandbox.output_cut_at", kibibytes=limits.output_bytes >> 10)
            layers["output_cut"] = render(cut, "en")
            layers.setdefault("said", {}).setdefault("notes", {})["output_cut"] = cut.to_data()
        for spec in pending:
            data = attempt.results.get(spec.name)
            if data is not None:
                results[spec.name] = _reported(spec, data, lang)
        unfinished = next((s for s in pending if s.name == attempt.running), None)
        if unfinished is not None:
            why, reason = _why_unfinished(attempt, unfinished, exercise, limits, hangs), _unfinished_reason(attempt)
            if attempt.stopped_because == "check":
                hangs.record(unfinished)
            if attempt.importing:
                why = msg("runner.while_importing", why=why)
                for spec in pending:
                    results.setdefault(spec.name, _result(spec, ERROR, [why], lang, reason))
            results[unfinished.name] = _result(unfinished, ERROR, [why], lang, reason)
        if attempt.internal_error is not None and not attempt.tampered:
            # The grader's own bug, after or during this check: its verdict, whatever it was, is not
            # trusted, and the bug shows.
            failed_in, error = attempt.internal_error
            for spec in pending:
                if spec.name == failed_in:
                    results[spec.name] = _result(spec, ERROR, [_grader_error(error)], lang, GRADER_ERROR)
        remaining = [s for s in pending if s.name not in results]
        progressed = any(spec.name in attempt.results for spec in pending)
        if remaining and unfinished is None and not (progressed and not attempt.tampered):
            # A child that ended between checks without finishing any is not tried again: the next
            # would end the same way. One that finished some goes on in a fresh child.
            why, reason = _why_never_ran(attempt), (_unfinished_reason(attempt) if attempt.heard else GRADER_ERROR)
            if attempt.tampered:
                why = _why_unfinished(attempt, remaining[0], exercise, limits, hangs)
            elif attempt.internal_error is not None:
                why, reason = _grader_error(attempt.internal_error[1]), GRADER_ERROR
            for spec in remaining:
                results[spec.name] = _result(spec, ERROR, [why], lang, reason)
            remaining = []
        pending = remaining
    return results


def ungraded(exercise: Exercise, status: str, reason: str, message: Message, lang: str = "en") -> ExerciseResult:
    """An exercise none of whose checks could run (no file, an unreadable submission, the grader
    failing): every check gets `status` and `reason`, with `message` as its feedback."""
    return ExerciseResult(exercise=exercise.id, title=exercise.title.get(lang),
                          checks=[_result(spec, status, [message], lang, reason) for spec in exercise.checks])


def checks_to_run(exercise: Exercise, include_hidden: bool = False,
                  only: frozenset[str] | None = None) -> list[CheckSpec]:
    """The checks a grading runs: the visible ones (every one when `include_hidden`), limited to the
    names in `only` when given."""
    return [spec for spec in exercise.checks
            if (include_hidden or not spec.hidden) and (only is None or spec.name in only)]


def assemble(exercise: Exercise, verdicts: dict[str, CheckResult], layers: dict, lang: str = "en",
             only: frozenset[str] | None = None) -> ExerciseResult:
    """An exercise's result in catalog order from the verdicts of the checks that ran; a hidden
    check that did not run is listed as hidden, and a check left out by `only` is not listed."""
    result = ExerciseResult(exercise=exercise.id, title=exercise.title.get(lang), sandbox=layers)
    for spec in exercise.checks:
        if only is None or spec.name in only:
            result.checks.append(verdicts.get(spec.name)
                                 or _result(spec, SKIPPED, [msg("runner.hidden")], lang, HIDDEN))
    return result


def grade_exercise(exercise: Exercise, submission_dir: Path, include_hidden: bool = False,
                   lang: str = "en", only: frozenset[str] | None = None,
                   hangs: Hangs | None = None, alone: bool = True) -> ExerciseResult:
    """Grade one exercise of a submission; hidden checks are listed but not run unless included.
    With `only`, just the checks it names are run and listed; `hangs` and `alone` as for
    `run_checks`."""
    to_run = checks_to_run(exercise, include_hidden, only)
    layers: dict = {}
    verdicts = (run_checks(exercise, submission_dir, to_run, lang=lang, layers=layers, hangs=hangs, alone=alone)
                if to_run else {})
    return assemble(exercise, verdicts, layers, lang, only)
