"""Checks of exercise2, the N-thread sum. Each test is one catalog entry of exercise2.yaml.

The sums are checked on inputs where every mistake of partitioning shows: large random integers
(exact, beyond the precision of a float) and distinct powers of 3 (where dropping or doubling any
element, or any mix of both, changes the total). The thread checks decide on what happened while the
function ran: which threads were started and joined, which of them ran the student's code, and which
threads put items on a `queue.Queue`.

The checks of how the sum is computed (kind `concurrency`) earn their points only when the function
did the exercise's concurrent work: it started threads and at least one of them ran the student's
code (summing its part). A `sum(arr)` in the caller starts nothing, and threads whose target is the
result of a call or a standard-library function do nothing of the student's: the threads' count, the
queue and the joins are not judged then.
"""
from __future__ import annotations

import math
import numbers
import random
import threading
import time
import types

from grader.feedback import CHECK_HINT, shown
from grader.feedback import english_check as check, english_fail as fail, english_info as info
from grader.feedback import english_fail_without_concurrency as fail_without_concurrency
from grader.probes.observe import Observation, observe_call
from grader.probes.queues import watch_queues
from grader.probes.threads import target_mistake_feedback
from grader.questions import check_answer
from grader.validation import check_rejects

# Taken at import: a submission that patches `time` cannot change the timing shown to the student.
_clock = time.perf_counter


def _large_ints(rng: random.Random, length: int) -> list[int]:
    """Distinct-looking integers in [2**61, 2**62): far beyond a float's 53 exact bits."""
    return [(1 << 61) | rng.getrandbits(61) for _ in range(length)]


def _powers_of_3(length: int) -> list[int]:
    """1, 3, 9, ...: the sum shows in base 3 how many times each element was counted (up to twice)."""
    return [3 ** k for k in range(length)]


def _shown(arr) -> str:
    """An input as the feedback shows it: literally when short, by its size when long."""
    if len(arr) <= 8:
        return repr(arr)
    kind = "tuple" if isinstance(arr, tuple) else "list"
    return f"<a {kind} of {len(arr)} large integers>"


def _as_number(value) -> int | float | None:
    """A student's result as a Python int (for an integral type) or float (for another real type),
    or None when it is not a number: numpy scalars and the like are then compared safely."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        return int(value) if isinstance(value, numbers.Integral) else float(value)
    except Exception:  # noqa: BLE001 - a student's number type whose conversion raises
        return None


def _int_sum_feedback(arr, thread_count: int, got, expected: int) -> tuple[str, str]:
    """What went wrong in an integer sum, as precisely as the result allows, and a hint about it."""
    call = f"sum_using_threads({_shown(arr)}, {thread_count})"
    number = _as_number(got)
    if number is None:
        return f"{call} returned {shown(got)}, not a number.", ""
    if isinstance(number, float):
        off = f", off by {int(number) - expected}" if math.isfinite(number) else ""
        return (f"{call} returned the float {shown(got)}{off}: integers must be summed exactly, and a float "
                "keeps only about 16 significant digits.",
                "Add integers as integers: use sum() (not math.fsum, and no float accumulator such as 0.0).")
    difference = number - expected
    index = {value: i for i, value in enumerate(arr)}
    if abs(difference) in index:
        what = "counted twice" if difference > 0 else "never counted"
        return f"{call} returned {number}: the element at index {index[abs(difference)]} was {what}.", CHECK_HINT
    return f"{call} returned {number}, off by {difference}: some elements were dropped or counted twice.", CHECK_HINT


def _base3_feedback(length: int, got: int | float) -> str:
    """For a sum of powers of 3: which indexes were dropped or doubled, or ''."""
    if not isinstance(got, int) or got < 0:
        return ""
    counts = []
    for _ in range(length):
        got, digit = divmod(got, 3)
        counts.append(digit)
    if got:
        return ""
    dropped = [i for i, c in enumerate(counts) if c == 0]
    doubled = [i for i, c in enumerate(counts) if c == 2]
    parts = ([f"indexes {dropped} were never counted"] if dropped else []) + \
            ([f"indexes {doubled} were counted twice"] if doubled else [])
    return " (" + "; ".join(parts) + ")" if parts else ""


def _time_call(function, arr, thread_count: int) -> float:
    start = _clock()
    function(arr, thread_count)
    return _clock() - start


def test_answer_gil_names_the_gil(target, check_spec):
    check_answer(target, check_spec)


def test_sum_counts_every_element_exactly_once(target, thresholds, request):
    rng = random.Random(thresholds["seed"])
    cases = [(_large_ints(rng, length), n) for length, n in thresholds["sizes"]]
    length, n = thresholds["tuple_size"]
    cases.append((tuple(_large_ints(rng, length)), n))
    for arr, thread_count in cases:
        expected = sum(arr)
        got = target(arr, thread_count)
        number = _as_number(got)
        if number is None or number != expected:
            seen, hint = _int_sum_feedback(arr, thread_count, got, expected)
            fail(seen, f"{expected} (exactly: every element counted once)", hint)

    # Information only: the student's own 1-thread and 4-thread times, to see the GIL at work.
    timing_input = [1] * thresholds["timing_length"]
    best = {n: min(_time_call(target, timing_input, n) for _ in range(thresholds["timing_repeats"]))
            for n in thresholds["timing_threads"]}
    measured = ", ".join(f"{seconds * 1000:.0f} ms with {n} thread{'s' if n > 1 else ''}"
                         for n, seconds in best.items())
    request.node.user_properties.append(("details", ("speed", [
        {"what": "threads", "count": n, "seconds": round(seconds, 4)} for n, seconds in best.items()])))
    info(request, f"For your information (no points): summing {len(timing_input)} numbers took "
                  f"{measured} on this machine (best of {thresholds['timing_repeats']}). "
                  "Compare them with your ANSWER_GIL.")


def test_sum_handles_empty_input_one_element_and_more_threads_than_elements(target, thresholds):
    for length, thread_count in thresholds["sizes"]:
        arr = _powers_of_3(length)
        expected = sum(arr)
        got = target(arr, thread_count)
        number = _as_number(got)
        call = f"sum_using_threads({arr!r}, {thread_count})"
        if number is None:
            fail(f"{call} returned {shown(got)}, not a number.", f"{expected}")
        check(number == expected, f"{call} returned {shown(got)}{_base3_feedback(length, number)}.",
              f"{expected}", CHECK_HINT)


def test_sum_of_floats_is_within_a_tight_tolerance(target, thresholds):
    rng = random.Random(thresholds["seed"])
    for length, thread_count in thresholds["sizes"]:
        arr = [rng.uniform(1.0, 2.0) for _ in range(length)]
        expected = math.fsum(arr)
        got = target(arr, thread_count)
        number = _as_number(got)
        call = f"sum_using_threads(<a list of {length} floats between 1 and 2>, {thread_count})"
        if number is None:
            fail(f"{call} returned {shown(got)}, not a number.", f"{expected!r}")
        check(math.isclose(number, expected, rel_tol=thresholds["rel_tol"]),
              f"{call} returned {shown(got)}, off by {number - expected:.6g}.",
              f"{expected!r}, within a relative {thresholds['rel_tol']:g} (every element counted once; "
              "only the order of the additions may differ)", CHECK_HINT)


def _observe(target, arr, thread_count: int, student_file) -> Observation:
    """One call under the thread probes and the tracer of the student's code."""
    return observe_call(target, arr, thread_count, student_file=str(student_file))


def _target_name(target) -> str:
    """How the feedback names a thread's target: `Queue.put` for a bound method (also while a probe
    wraps it), else the function's qualified name."""
    owner, name = getattr(target, "__self__", None), getattr(target, "__name__", None)
    if owner is not None and isinstance(name, str) and not isinstance(owner, types.ModuleType):
        return f"{type(owner).__name__}.{name}"
    qualname = getattr(target, "__qualname__", None)
    return qualname if isinstance(qualname, str) else type(target).__name__


def _working_threads(seen: Observation) -> list:
    """The started threads that ran the student's code: where a partial sum can have been computed."""
    return [s for s in seen.threads.started if seen.trace.ran_student_code(s.thread)]


def _require_threads_did_the_summing(seen: Observation, call: str, thread_count: int) -> None:
    """Fail for no concurrent work unless a thread the call started ran the student's code."""
    __tracebackhide__ = True
    if _working_threads(seen):
        return
    started = seen.threads.started
    expected = f"{thread_count} threads started, each computing the partial sum of its own part"
    if not started:
        fail_without_concurrency(f"{call} started no thread: the calling thread computed the sum itself.",
                                 expected)
    mistake = target_mistake_feedback(seen.threads)
    why = mistake or (f"Their target was `{_target_name(started[0].target)}`, not a function of yours, so "
                      "the partial sums were computed by the calling thread before the threads started.")
    fail_without_concurrency(f"{call} started {len(started)} threads, but none of them ran your code. {why}",
                             expected)


def test_starts_exactly_thread_count_threads(target, thresholds, student_file):
    for length, thread_count in thresholds["sizes"]:
        call = f"sum_using_threads(<{length} numbers>, {thread_count})"
        seen = _observe(target, list(range(1, length + 1)), thread_count, student_file)
        _require_threads_did_the_summing(seen, call, thread_count)
        started = len(seen.threads.started)
        check(started == thread_count, f"{call} started {started} threads.",
              f"exactly {thread_count} threads (thread_count), also when there are fewer elements than "
              "threads: a thread with no elements reports 0", CHECK_HINT)


def test_each_partial_sum_is_computed_in_a_started_thread(target, thresholds, student_file):
    for length, thread_count in thresholds["sizes"]:
        call = f"sum_using_threads(<{length} numbers>, {thread_count})"
        seen = _observe(target, list(range(1, length + 1)), thread_count, student_file)
        started = seen.threads.started
        if not started:
            fail_without_concurrency(f"{call} started no thread: the calling thread computed the sum itself.",
                                     f"{thread_count} threads, each summing its own part")
        mistake = target_mistake_feedback(seen.threads)
        if mistake:
            fail(f"{call}: {mistake} So the partial sums were computed by the calling thread while it "
                 "was creating the threads, and the threads did nothing.",
                 "each partial sum computed inside its thread")
        idle = [s for s in started if not seen.trace.ran_student_code(s.thread)]
        if idle:
            fail(f"{call}: {len(idle)} of the {len(started)} threads ran none of your code: their target "
                 f"was `{_target_name(idle[0].target)}`, so their partial sums were computed before the "
                 "threads started, by the calling thread.",
                 "each thread running your function that sums its part",
                 "Pass the function that does the summing as the target, with the data in args; the caller "
                 "only starts the threads, collects the partial sums and joins the threads.")


def test_partial_sums_come_back_through_a_queue(target, thresholds, student_file):
    for length, thread_count in thresholds["sizes"]:
        call = f"sum_using_threads(<{length} numbers>, {thread_count})"
        with watch_queues() as queues:
            seen = _observe(target, list(range(1, length + 1)), thread_count, student_file)
        _require_threads_did_the_summing(seen, call, thread_count)
        check(bool(queues.put_into),
              f"{call} put nothing on a queue.Queue: the partial sums came back some other way "
              "(a list, a dict, a global variable, an attribute of the thread).",
              "each thread putting its partial sum on a queue.Queue, as the exercise asks", CHECK_HINT)
        putters = queues.threads_that_put()
        silent = [s for s in seen.threads.started if s.thread not in putters]
        by_caller = (" The calling thread put the items itself."
                     if threading.current_thread() in putters else "")
        check(not silent,
              f"{call}: {len(silent)} of the {len(seen.threads.started)} threads put nothing on a queue."
              + by_caller,
              "every thread putting its partial sum on the shared queue.Queue", CHECK_HINT)


def test_every_thread_is_joined_before_return(target, thresholds, student_file):
    for length, thread_count in thresholds["sizes"]:
        call = f"sum_using_threads(<{length} numbers>, {thread_count})"
        seen = _observe(target, list(range(1, length + 1)), thread_count, student_file)
        _require_threads_did_the_summing(seen, call, thread_count)
        not_joined = seen.threads.not_joined()
        running = seen.threads.alive_at_return
        check(not not_joined and not running,
              f"{call} returned without joining {len(not_joined)} of its {len(seen.threads.started)} threads"
              + (f"; {len(running)} were still running." if running else "."),
              "join() called on every started thread before returning",
              "Taking the partial sums off the queue is not enough: a thread may still be running after "
              "its put(). join() waits until it has ended.")


def test_rejects_thread_count_below_one(target):
    check_rejects(target, "thread_count", arr=[1, 2, 3], thread_count=0)
    check_rejects(target, "thread_count", arr=[1, 2, 3], thread_count=-2)
