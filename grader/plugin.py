"""The pytest plugin that runs an exercise's checks against one submission.

It maps each test to its catalog entry (points, timeout, thresholds), gives the checks fixtures for
the student's module, and reports every check as an event the moment it ends (`grader.events`).
"""
from __future__ import annotations

import json
import os
import time
from collections import Counter
from pathlib import Path

import pytest
from _pytest.outcomes import OutcomeException

from grader.catalog import CheckSpec, Exercise, load_exercise, CHECKS_DIR
from grader.events import IMPORT, INTERNAL_ERROR, RESULT, START, Event, EventChannel
from grader.feedback import Feedback
from grader.guard import Fingerprint, Guard
from grader.messages import Message, msg
from grader.hangs import Hangs
from grader.probes.threads import recording_crashes
from grader.report import ERROR, FAILED, GRADER_ERROR, PASSED, SKIPPED, TAMPERED, TIMED_OUT
from grader.submission import SubmissionImportError, describe_exception, import_student_module
from grader.verdict import StudentInterrupt, Verdict, classify

_clock = time.perf_counter


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("grader")
    group.addoption("--grader-exercise", help="exercise id of the checks being run")
    group.addoption("--grader-submission", help="folder holding the student's exercise file")
    group.addoption("--grader-checks", default="", help="comma-separated check names to run (default: all)")
    group.addoption("--grader-hung", default="", help="functions that hung in an earlier child (function=check,...)")
    group.addoption("--grader-beside", action="store_true",
                    help="other work runs beside this run: a check that can judge only alone says not measurable")


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("grader_exercise"):
        config.pluginmanager.register(GraderSession(config), "grader-session")


class CheckOutcome:
    """The combined verdict of a check's pytest items (one per parameter, such as a start method):
    the check passes only if every item passes."""

    def __init__(self) -> None:
        self.verdicts: list[tuple[str, Verdict]] = []
        self.notes: list[dict] = []
        self.details: dict = {}
        self.duration = 0.0

    def add(self, item: pytest.Item, verdict: Verdict, duration: float) -> None:
        callspec = getattr(item, "callspec", None)
        self.verdicts.append((callspec.id if callspec else "", verdict))
        self.notes += [value for key, value in item.user_properties if key == "info"]
        self.details.update(value for key, value in item.user_properties if key == "details")
        self.duration += duration

    def status(self) -> str:
        for status in (ERROR, FAILED, SKIPPED):
            if any(v.status == status for _, v in self.verdicts):
                return status
        return PASSED

    def to_data(self) -> dict:
        status = self.status()
        deciding = [v for _, v in self.verdicts if v.status == status]
        failing = [(label, v.message) for label, v in self.verdicts if v.status == status and v.message]
        parts: list[Message] = []
        if len(failing) == len(self.verdicts) and len({_as_json(message) for _, message in failing}) == 1:
            parts = failing[0][1]
        else:
            for label, message in failing:
                parts += [msg("feedback.labelled", label=label, parts=message)] if label else message
        return {
            "status": status,
            "reason": next((v.reason for v in deciding if v.reason), ""),
            "catalog_hint": any(v.catalog_hint for v in deciding),
            "message": [part.to_data() for part in parts] + self.notes,
            "duration_s": round(self.duration, 3),
            "details": self.details,
        }


def _as_json(message: list[Message]) -> str:
    return json.dumps([part.to_data() for part in message], sort_keys=True, default=str)


class GraderSession:
    """State of one grading run: the exercise, the submission and the event stream."""

    def __init__(self, config: pytest.Config):
        self.exercise: Exercise = load_exercise(CHECKS_DIR / f"{config.getoption('grader_exercise')}.yaml")
        self.student_file = Path(config.getoption("grader_submission")) / self.exercise.module
        channels = [p for p in config.pluginmanager.get_plugins() if isinstance(p, EventChannel)]
        # The bound method is taken now: replacing EventWriter.send later does not change it.
        self._send = channels[0].writer.send if channels else None
        self.guard = Guard()
        self.guard.install()
        self.fingerprint: Fingerprint | None = None
        wanted = config.getoption("grader_checks")
        self.wanted = set(wanted.split(",")) if wanted else None
        self.verdicts: dict[str, Verdict] = {}
        self.outcomes: dict[str, CheckOutcome] = {}
        self.items_left: Counter[str] = Counter()
        self.hangs = Hangs.from_arg(config.getoption("grader_hung"))
        # The check whose run an internal error follows, if any.
        self.last_started = ""
        config.stash[SESSION_KEY] = self

    def send(self, event: Event) -> None:
        if self._send is not None:
            self._send(event)

    def arm_guard(self) -> None:
        """Start refusing the student's file, and fingerprint the grader, just before the import."""
        self.guard.arm(str(self.student_file))
        self.fingerprint = Fingerprint.take()

    def tampering_seen(self, attempts_before: int) -> list[Message]:
        """What the guard refused since `attempts_before`, and what was replaced in the grader."""
        seen = self.guard.attempts[attempts_before:]
        if self.fingerprint is not None:
            seen += [msg("guard.replaced", name=name) for name in self.fingerprint.changes()]
        # Each thread that tried the same thing adds the same line: say it once (by a key, since a
        # submission can be refused thousands of times in a loop).
        distinct: dict[str, Message] = {}
        for message in seen:
            distinct.setdefault(repr(message.to_data()), message)
        return list(distinct.values())

    def spec_for(self, item: pytest.Item) -> CheckSpec:
        return self.exercise.check(getattr(item, "originalname", item.name))

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        selected, deselected = [], []
        for item in items:
            try:
                spec = self.spec_for(item)
            except KeyError:
                raise pytest.UsageError(f"check {item.name} has no entry in the catalog") from None
            if self.wanted is not None and spec.name not in self.wanted:
                deselected.append(item)
                continue
            self.items_left[spec.name] += 1
            selected.append(item)
        if deselected:
            config.hook.pytest_deselected(items=deselected)
        items[:] = selected

    @pytest.hookimpl(hookwrapper=True, tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem):
        spec = self.spec_for(item)
        # Set here, not at collection: an item after a hang of a function it calls waits less.
        item.add_marker(pytest.mark.timeout(self.hangs.timeout(spec)), append=False)
        self.last_started = spec.name
        self.send(Event(START, spec.name))
        started, attempts_before = _clock(), len(self.guard.attempts)
        with recording_crashes():
            yield
        verdict = self.verdicts.pop(item.nodeid, Verdict(ERROR, [msg("plugin.no_verdict")], GRADER_ERROR))
        tampering = self.tampering_seen(attempts_before)
        if tampering:
            verdict = Verdict(ERROR, [msg("plugin.tampered", seen=tampering[:5])], TAMPERED)
        if verdict.reason == TIMED_OUT:
            self.hangs.record(spec)
        outcome = self.outcomes.setdefault(spec.name, CheckOutcome())
        outcome.add(item, verdict, _clock() - started)
        self.items_left[spec.name] -= 1
        if self.items_left[spec.name] == 0 or tampering:
            self.send(Event(RESULT, spec.name, outcome.to_data()))
        if tampering:
            # Nothing this process does from now on can be trusted: the runner goes on with the
            # remaining checks in a fresh child.
            os._exit(3)

    def pytest_internalerror(self, excinfo: pytest.ExceptionInfo) -> None:
        """pytest or one of the grader's hooks failed, and pytest ends the run: a bug of the grader,
        whatever verdict the check it followed already reported. The runner is told, and says so on
        that check, so that the bug cannot pass unseen for a verdict."""
        self.send(Event(INTERNAL_ERROR, self.last_started, {"error": describe_exception(excinfo.value)}))

    @pytest.hookimpl(wrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function):
        """Student code may raise KeyboardInterrupt or another BaseException, which pytest would take
        as the end of the whole run: carry it as an ordinary exception, a failure of this check."""
        try:
            return (yield)
        except (Exception, SystemExit, GeneratorExit, OutcomeException):
            raise
        except BaseException as exc:  # noqa: BLE001 - KeyboardInterrupt and the like from the student
            raise StudentInterrupt(exc) from exc

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        yield
        exc = call.excinfo.value if call.excinfo is not None else None
        spec = self.spec_for(item)
        verdict = classify(exc, call.when, str(self.student_file), self.hangs.timeout(spec), self.hangs.earlier(spec))
        earlier = self.verdicts.get(item.nodeid)
        if earlier is None or (earlier.status in (PASSED, SKIPPED) and verdict.status != PASSED):
            self.verdicts[item.nodeid] = verdict
        _release_frames(exc)


def _release_frames(exc: BaseException | None) -> None:
    """Drop the local variables of the frames an exception and those it came from passed through.

    The verdict has been read from it; what those frames held must not outlive the check. pytest
    keeps the last failure (`sys.last_traceback`), so a student's function that filled the memory
    before raising MemoryError kept all of it for the checks after, which then could not start a
    thread (tests/test_containment.py's runaway allocation)."""
    seen: set[int] = set()
    pending = [exc]
    while pending:
        exc = pending.pop()
        if exc is None or id(exc) in seen:
            continue
        seen.add(id(exc))
        _clear_frames(exc.__traceback__)
        pending += [exc.__cause__, exc.__context__]


def _clear_frames(tb) -> None:
    while tb is not None:
        frame = tb.tb_frame
        try:
            frame.clear()
        except RuntimeError:
            pass  # still running: not the student's
        else:
            # Up to 3.12 a traced frame can also hold a copy of its locals, made for the trace
            # function: in a grading on 3.11, the 2 GiB of a MemoryError stayed after clear() until
            # that copy was emptied too. From 3.13 on, f_locals is a view of the frame itself
            # (PEP 667), with nothing left to empty.
            copied = frame.f_locals
            if isinstance(copied, dict):
                copied.clear()
        tb = tb.tb_next


SESSION_KEY = pytest.StashKey[GraderSession]()


def _session(request: pytest.FixtureRequest) -> GraderSession:
    return request.config.stash[SESSION_KEY]


@pytest.fixture(scope="session")
def exercise(request: pytest.FixtureRequest) -> Exercise:
    """The exercise being graded."""
    return _session(request).exercise


@pytest.fixture
def check_spec(request: pytest.FixtureRequest) -> CheckSpec:
    """The catalog entry of the running check."""
    return _session(request).spec_for(request.node)


@pytest.fixture(scope="session")
def alone(request: pytest.FixtureRequest) -> bool:
    """Whether this run has the machine to itself: no other grading runs beside it. A check whose
    verdict would then rest on a time taken apart from the student's own says not measurable when
    it is False, and is graded again alone."""
    return not request.config.getoption("grader_beside")


@pytest.fixture
def thresholds(check_spec: CheckSpec) -> dict:
    """The running check's thresholds from the catalog."""
    return check_spec.thresholds


@pytest.fixture(scope="session")
def student_file(request: pytest.FixtureRequest) -> Path:
    """Path of the student's exercise file."""
    return _session(request).student_file


@pytest.fixture(scope="session")
def import_instruments() -> None:
    """Instrumentation to install before the student's module is imported.

    An exercise's check module overrides this fixture when it must watch objects that the student's
    module creates at import time (for example locks made at module level).
    """
    return None


@pytest.fixture(scope="session")
def submission(request: pytest.FixtureRequest, import_instruments, student_file: Path):
    """The student's module, imported once; an import failure is reported by every check that needs it."""
    session = _session(request)
    session.arm_guard()
    session.send(Event(IMPORT, data={"phase": "start"}))
    try:
        module = import_student_module(student_file)
    except SubmissionImportError as problem:
        module = problem
    session.send(Event(IMPORT, data={"phase": "done"}))
    return module


def require(module, name: str):
    """The student's object `name`, or a failure that says it is missing or the file did not import."""
    __tracebackhide__ = True
    if isinstance(module, SubmissionImportError):
        raise module
    if not hasattr(module, name):
        raise Feedback(msg("plugin.missing_name", name=name))
    return getattr(module, name)


@pytest.fixture
def target(submission, check_spec: CheckSpec):
    """The student's object that the running check is about (its catalog `target`)."""
    return require(submission, check_spec.target)
