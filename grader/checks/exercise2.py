"""Checks of exercise2, the N-thread sum. Each test is one catalog entry of exercise2.yaml.

The sums are checked on inputs where every mistake of partitioning shows: large random integers
(exact, beyond the precision of a float) and distinct powers of 3 (where dropping or doubling any
element, or any mix of both, changes the total). The thread checks decide on what happened while the
function ran: which threads were started and joined, which of them ran the student's code, and which
threads put items on a `queue.Queue`.
"""
from __future__ import annotations

import math
import numbers
import random
import threading
import time

from grader.feedback import check, fail, info
from grader.probes.observe import observe_call
from grader.probes.queues import watch_queues
from grader.probes.threads import target_mistake_feedback, watch_threads
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


def _is_number(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _int_sum_feedback(arr, thread_count: int, got, expected: int) -> str:
    """What went wrong in an integer sum, as precisely as the result allows."""
    call = f"sum_using_threads({_shown(arr)}, {thread_count})"
    if not _is_number(got):
        return f"{call} returned {got!r:.80}, not a number."
    if isinstance(got, float):
        off = f", off by {int(got) - expected}" if math.isfinite(got) else ""
        return (f"{call} returned the float {got!r}{off}: integers must be summed "
                "exactly, and a float keeps only about 16 significant digits (use sum(), not "
                "math.fsum or a float accumulator).")
    difference = got - expected
    index = {value: i for i, value in enumerate(arr)}
    if abs(difference) in index:
        what = "counted twice" if difference > 0 else "never counted"
        return f"{call} returned {got!r}: the element at index {index[abs(difference)]} was {what}."
    return f"{call} returned {got!r}, off by {difference!r}: some elements were dropped or counted twice."


def _base3_feedback(length: int, got) -> str:
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
        if got != expected or not _is_number(got):
            fail(_int_sum_feedback(arr, thread_count, got, expected),
                 f"{expected} (exactly: every element counted once)")

    # Information only: the student's own 1-thread and 4-thread times, to see the GIL at work.
    timing_input = [1] * thresholds["timing_length"]
    best = {n: min(_time_call(target, timing_input, n) for _ in range(thresholds["timing_repeats"]))
            for n in thresholds["timing_threads"]}
    measured = ", ".join(f"{seconds * 1000:.0f} ms with {n} thread{'s' if n > 1 else ''}"
                         for n, seconds in best.items())
    info(request, f"For your information (no points): summing {len(timing_input)} numbers took "
                  f"{measured} on this machine (best of {thresholds['timing_repeats']}). "
                  "Compare them with your ANSWER_GIL.")


def test_sum_handles_empty_input_one_element_and_more_threads_than_elements(target, thresholds):
    for length, thread_count in thresholds["sizes"]:
        arr = _powers_of_3(length)
        expected = sum(arr)
        got = target(arr, thread_count)
        check(_is_number(got) and got == expected,
              f"sum_using_threads({arr!r}, {thread_count}) returned {got!r:.80}"
              f"{_base3_feedback(length, got)}.",
              f"{expected}")


def test_sum_of_floats_is_within_a_tight_tolerance(target, thresholds):
    rng = random.Random(thresholds["seed"])
    for length, thread_count in thresholds["sizes"]:
        arr = [rng.uniform(1.0, 2.0) for _ in range(length)]
        expected = math.fsum(arr)
        got = target(arr, thread_count)
        check(_is_number(got) and math.isclose(got, expected, rel_tol=thresholds["rel_tol"]),
              f"sum_using_threads(<a list of {length} floats between 1 and 2>, {thread_count}) returned "
              f"{got!r:.80}" + (f", off by {got - expected:.6g}" if _is_number(got) else "") + ".",
              f"{expected!r}, within a relative {thresholds['rel_tol']:g} (every element counted once; "
              "only the order of the additions may differ)")


def test_starts_exactly_thread_count_threads(target, thresholds):
    for length, thread_count in thresholds["sizes"]:
        arr = list(range(1, length + 1))
        with watch_threads() as threads:
            target(arr, thread_count)
        check(len(threads.started) == thread_count,
              f"sum_using_threads(<{length} numbers>, {thread_count}) started "
              f"{len(threads.started)} threads.",
              f"exactly {thread_count} threads (thread_count), also when there are fewer elements than "
              "threads: a thread with no elements reports 0")


def _target_name(target) -> str:
    return getattr(target, "__qualname__", None) or type(target).__name__


def test_each_partial_sum_is_computed_in_a_started_thread(target, thresholds, student_file):
    for length, thread_count in thresholds["sizes"]:
        arr = list(range(1, length + 1))
        call = f"sum_using_threads(<{length} numbers>, {thread_count})"
        seen = observe_call(target, arr, thread_count, student_file=str(student_file))
        started = seen.threads.started
        check(bool(started), f"{call} started no thread: the caller computed the sum itself.",
              f"{thread_count} threads, each summing its own part")
        mistake = target_mistake_feedback(seen.threads)
        if mistake:
            fail(f"{call}: {mistake} So the partial sums were computed by the calling thread while it "
                 "was creating the threads, and the threads did nothing.",
                 "each partial sum computed inside its thread")
        idle = [s for s in started if not seen.trace.ran_student_code(s.thread)]
        check(not idle,
              f"{call}: {len(idle)} of the {len(started)} threads ran none of your code: their target "
              f"was `{_target_name(idle[0].target) if idle else ''}`, so the partial sums were computed "
              "before the threads started, by the calling thread.",
              "each thread running your function that sums its part",
              "Pass the function that does the summing as the target, with the data in args; the caller "
              "only starts the threads, collects the partial sums and joins the threads.")


def test_partial_sums_come_back_through_a_queue(target, thresholds):
    for length, thread_count in thresholds["sizes"]:
        arr = list(range(1, length + 1))
        call = f"sum_using_threads(<{length} numbers>, {thread_count})"
        with watch_threads() as threads, watch_queues() as queues:
            target(arr, thread_count)
        check(bool(queues.put_into),
              f"{call} put nothing on a queue.Queue: the partial sums came back some other way "
              "(a list, a dict, a global variable, an attribute of the thread).",
              "each thread putting its partial sum on a queue.Queue, as the exercise asks")
        putters = queues.threads_that_put()
        silent = [s for s in threads.started if s.thread not in putters]
        by_caller = (" The calling thread put the items itself."
                     if threading.current_thread() in putters else "")
        check(not silent,
              f"{call}: {len(silent)} of the {len(threads.started)} threads put nothing on a queue."
              + by_caller,
              "every thread putting its partial sum on the shared queue.Queue")


def test_every_thread_is_joined_before_return(target, thresholds):
    for length, thread_count in thresholds["sizes"]:
        arr = list(range(1, length + 1))
        with watch_threads() as threads:
            target(arr, thread_count)
        not_joined = threads.not_joined()
        running = threads.alive_at_return
        check(not not_joined and not running,
              f"sum_using_threads(<{length} numbers>, {thread_count}) returned without joining "
              f"{len(not_joined)} of its {len(threads.started)} threads"
              + (f"; {len(running)} were still running." if running else "."),
              "join() called on every started thread before returning",
              "Taking the partial sums off the queue is not enough: a thread may still be running after "
              "its put(). join() waits until it has ended.")


def test_rejects_thread_count_below_one(target):
    check_rejects(target, "thread_count", arr=[1, 2, 3], thread_count=0)
    check_rejects(target, "thread_count", arr=[1, 2, 3], thread_count=-2)
