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

from grader.feedback import CHECK_HINT, check, fail, fail_without_concurrency, info, shown
from grader.messages import Message, msg
from grader.probes.additions import counted_numbers
from grader.probes.observe import Observation, observe_call
from grader.probes.queues import watch_queues
from grader.probes.threads import target_mistake
from grader.questions import check_answer
from grader.validation import check_rejects

# Taken at import: a submission that patches `time` cannot change the timing shown to the student.
_clock = time.perf_counter

# How many values of one queue item are read for partial sums: a thread that puts its whole part
# is not a reason to walk a long list.
_MAX_VALUES_PER_ITEM = 64


def _large_ints(rng: random.Random, length: int) -> list[int]:
    """Distinct-looking integers in [2**61, 2**62): far beyond a float's 53 exact bits."""
    return [(1 << 61) | rng.getrandbits(61) for _ in range(length)]


def _powers_of_3(length: int) -> list[int]:
    """1, 3, 9, ...: the sum shows in base 3 how many times each element was counted (up to twice)."""
    return [3 ** k for k in range(length)]


def _call(arr, thread_count: int) -> str | Message:
    """A call on large integers as the feedback shows it: its input literally when short, by its
    size when long."""
    if len(arr) <= 8:
        return f"sum_using_threads({arr!r}, {thread_count})"
    return msg("sum.call_large_tuple" if isinstance(arr, tuple) else "sum.call_large_list",
               length=len(arr), thread_count=thread_count)


def _as_number(value) -> int | float | None:
    """A student's result as a Python int (for an integral type) or float (for another real type),
    or None when it is not a number: numpy scalars and the like are then compared safely."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    try:
        return int(value) if isinstance(value, numbers.Integral) else float(value)
    except Exception:  # noqa: BLE001 - a student's number type whose conversion raises
        return None


def _fail_int_sum(arr, thread_count: int, got, expected: int) -> None:
    """Fail with what went wrong in an integer sum, as precisely as the result allows."""
    __tracebackhide__ = True
    call, number = _call(arr, thread_count), _as_number(got)
    # The sums go beyond 2**53 and travel as text: a reader of the JSON in another language keeps every digit.
    exactly = msg("sum.expected_exactly", total=str(expected))
    if number is None:
        fail("sum.not_a_number", call=call, got=shown(got), expected=exactly)
    if isinstance(number, float):
        off = msg("sum.float_off_by", difference=str(int(number) - expected)) if math.isfinite(number) else ""
        fail("sum.float_for_ints", call=call, got=shown(got), off=off, expected=exactly)
    difference = number - expected
    index = {value: i for i, value in enumerate(arr)}
    if abs(difference) in index:
        counted = _counted([index[abs(difference)]] if difference < 0 else [],
                           [index[abs(difference)]] if difference > 0 else [])
        fail("sum.miscounted", call=call, got=str(number), counted=counted, expected=exactly, hint=CHECK_HINT)
    fail("sum.off_by", call=call, got=str(number), difference=str(difference), expected=exactly, hint=CHECK_HINT)


def _counted(dropped: list[int], doubled: list[int]) -> Message:
    """Which elements were never counted and which were counted twice (at least one of them)."""
    def indexes(found: list[int]) -> int | str:
        return found[0] if len(found) == 1 else str(found)

    never = msg("sum.dropped_one" if len(dropped) == 1 else "sum.dropped_many", indexes=indexes(dropped))
    twice = msg("sum.doubled_one" if len(doubled) == 1 else "sum.doubled_many", indexes=indexes(doubled))
    if dropped and doubled:
        return msg("sum.dropped_and_doubled", dropped=never, doubled=twice)
    return never if dropped else twice


def _base3_counted(length: int, got: int | float) -> Message | None:
    """For a sum of powers of 3: which indexes were dropped or doubled, or None when it cannot tell."""
    if not isinstance(got, int) or got < 0:
        return None
    counts = []
    for _ in range(length):
        got, digit = divmod(got, 3)
        counts.append(digit)
    if got:
        return None
    dropped = [i for i, c in enumerate(counts) if c == 0]
    doubled = [i for i, c in enumerate(counts) if c == 2]
    return _counted(dropped, doubled) if dropped or doubled else None


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
    seconds_of_largest, largest = 0.0, max(len(arr) for arr, _ in cases)
    for arr, thread_count in cases:
        expected = sum(arr)
        started = _clock()
        got = target(arr, thread_count)
        if len(arr) == largest:
            seconds_of_largest = _clock() - started
        number = _as_number(got)
        if number is None or number != expected:
            _fail_int_sum(arr, thread_count, got, expected)

    # Information only: the student's own 1-thread and 4-thread times, to see the GIL at work. Left
    # out when the calls above say they would take too long: a right but slow sum (an element at a
    # time through the queue) must not run into the check's timeout for figures worth no points.
    timing_input = [1] * thresholds["timing_length"]
    calls = thresholds["timing_repeats"] * len(thresholds["timing_threads"])
    foreseen = seconds_of_largest / largest * len(timing_input) * calls
    if foreseen > thresholds["timing_budget_s"]:
        info(request, "sum.timing_left_out", length=len(timing_input), seconds=round(foreseen, 1))
        return
    best = {n: min(_time_call(target, timing_input, n) for _ in range(thresholds["timing_repeats"]))
            for n in thresholds["timing_threads"]}
    request.node.user_properties.append(("details", ("speed", [
        {"what": "threads", "count": n, "seconds": round(seconds, 4)} for n, seconds in best.items()])))
    info(request, "sum.timing", length=len(timing_input), repeats=thresholds["timing_repeats"])


def test_sum_handles_empty_input_one_element_and_more_threads_than_elements(target, thresholds):
    for length, thread_count in thresholds["sizes"]:
        arr = _powers_of_3(length)
        expected = sum(arr)
        got = target(arr, thread_count)
        number = _as_number(got)
        call = f"sum_using_threads({arr!r}, {thread_count})"
        if number is None:
            fail("sum.not_a_number", call=call, got=shown(got), expected=expected)
        if number != expected:
            counted = _base3_counted(length, number)
            if counted is not None:
                fail("sum.miscounted", call=call, got=shown(got), counted=counted, expected=expected,
                     hint=CHECK_HINT)
            fail("sum.wrong", call=call, got=shown(got), expected=expected, hint=CHECK_HINT)


def test_sum_of_floats_is_within_a_tight_tolerance(target, thresholds):
    rng = random.Random(thresholds["seed"])
    for length, thread_count in thresholds["sizes"]:
        arr = [rng.uniform(1.0, 2.0) for _ in range(length)]
        expected = math.fsum(arr)
        got = target(arr, thread_count)
        number = _as_number(got)
        call = msg("sum.call_floats", length=length, thread_count=thread_count)
        if number is None:
            fail("sum.not_a_number", call=call, got=shown(got), expected=repr(expected))
        check(math.isclose(number, expected, rel_tol=thresholds["rel_tol"]), "sum.floats_off", call=call,
              got=shown(got), difference=number - expected, expected=repr(expected),
              rel_tol=thresholds["rel_tol"], hint=CHECK_HINT)


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


def _call_on_numbers(length: int, thread_count: int) -> Message:
    return msg("sum.call_numbers", length=length, thread_count=thread_count)


def _require_threads_did_the_summing(seen: Observation, call: Message, thread_count: int) -> None:
    """Fail for no concurrent work unless a thread the call started ran the student's code."""
    __tracebackhide__ = True
    if _working_threads(seen):
        return
    started = seen.threads.started
    if not started:
        fail_without_concurrency("sum.no_thread", call=call, thread_count=thread_count)
    why = target_mistake(seen.threads) or msg("sum.target_not_yours", target=_target_name(started[0].target))
    fail_without_concurrency("sum.threads_did_no_work", call=call, started=len(started), why=why,
                             thread_count=thread_count)


def test_starts_exactly_thread_count_threads(target, thresholds, student_file):
    for length, thread_count in thresholds["sizes"]:
        call = _call_on_numbers(length, thread_count)
        seen = _observe(target, list(range(1, length + 1)), thread_count, student_file)
        _require_threads_did_the_summing(seen, call, thread_count)
        started = len(seen.threads.started)
        check(started == thread_count, "sum.wrong_thread_count", call=call, started=started,
              thread_count=thread_count, hint=CHECK_HINT)


def test_all_threads_are_started_before_any_is_joined(target, thresholds, student_file):
    for length, thread_count in thresholds["sizes"]:
        call = _call_on_numbers(length, thread_count)
        seen = _observe(target, list(range(1, length + 1)), thread_count, student_file)
        _require_threads_did_the_summing(seen, call, thread_count)
        most = seen.threads.most_unjoined
        check(most >= thread_count, "sum.threads_in_turns", call=call, most=most, thread_count=thread_count,
              hint=CHECK_HINT)


def _check_caller_added_no_element(call, elements, additions, queues, started, length: int) -> None:
    """The calling thread added no element of the array, other than a thread's one-element part that
    the thread put on the queue as it is: its partial sum."""
    __tracebackhide__ = True
    passed_on = {id(value) for item in queues.items_put_by(s.thread for s in started) for value in _numbers_in(item)}
    by_caller = {index for index in additions.added_by_caller() if id(elements[index]) not in passed_on}
    # Elements a thread added and the caller added again: the caller summed the array itself, so what
    # it returned is not the threads' partial sums put together.
    again = by_caller & additions.added_by_others()
    check(not again, "sum.caller_summed_again", call=call, again=len(again), length=length)
    check(not by_caller, "sum.caller_summed_parts", call=call, added=len(by_caller), length=length)


def test_each_partial_sum_is_computed_in_a_started_thread(target, thresholds, student_file):
    for length, thread_count in thresholds["sizes"]:
        call = _call_on_numbers(length, thread_count)
        elements, additions = counted_numbers(list(range(1, length + 1)))
        with watch_queues() as queues:
            seen = _observe(target, elements, thread_count, student_file)
        started = seen.threads.started
        if not started:
            fail_without_concurrency("sum.no_thread", call=call, thread_count=thread_count)
        mistake = target_mistake(seen.threads)
        if mistake:
            fail("sum.target_called", call=call, mistake=mistake)
        idle = [s for s in started if not seen.trace.ran_student_code(s.thread)]
        if idle:
            fail("sum.idle_threads", call=call, idle=len(idle), started=len(started),
                 target=_target_name(idle[0].target))
        _check_caller_added_no_element(call, elements, additions, queues, started, length)


def _as_whole(value) -> int | None:
    """A value put on the queue as a whole number, whatever its type (an int, a float, a numpy or
    Decimal number, digits in a string), or None."""
    if isinstance(value, bool):
        return None
    try:
        whole = int(value.strip()) if isinstance(value, str) else int(value)
        return whole if isinstance(value, str) or whole == value else None
    except Exception:  # noqa: BLE001 - anything else a student put on the queue
        return None


def _powers_in(value, length: int) -> set[int]:
    """The indexes of the powers of 3 that make up `value` when it is a sum of distinct ones of the
    first `length`; empty for any other value."""
    number = _as_whole(value)
    if number is None or number < 0:
        return set()
    indexes = set()
    for index in range(length):
        number, digit = divmod(number, 3)
        if digit == 2:
            return set()
        if digit:
            indexes.add(index)
    return set() if number else indexes


def _numbers_in(item, depth: int = 3) -> list:
    """The values in an item put on the queue: the item itself and, whatever its shape, what its
    tuples, lists and dicts hold, `depth` levels down (`(part_id, partial)`, `{"sum": partial}`)."""
    values = [item]
    if depth and isinstance(item, (tuple, list, dict)):
        inner = item.values() if isinstance(item, dict) else item
        for value in list(inner)[:_MAX_VALUES_PER_ITEM]:
            values += _numbers_in(value, depth - 1)
    return values


def _elements_carried(items: list, length: int) -> set[int]:
    """The indexes of the elements (powers of 3) whose value reached the queue inside a partial sum."""
    carried = set()
    for item in items:
        for value in _numbers_in(item):
            carried |= _powers_in(value, length)
    return carried


def _hands_over_elements(items: list, length: int) -> bool:
    """Whether a thread's items carry several elements but each value only one: the elements
    themselves went on the queue for someone else to add up, not the thread's partial sum."""
    values = [_powers_in(value, length) for item in items for value in _numbers_in(item)]
    carried = set().union(*values)
    return len(carried) > 1 and max(map(len, values)) < 2


def test_partial_sums_come_back_through_a_queue(target, thresholds, student_file):
    for length, thread_count in thresholds["sizes"]:
        call = _call_on_numbers(length, thread_count)
        with watch_queues() as queues:
            seen = _observe(target, _powers_of_3(length), thread_count, student_file)
        _require_threads_did_the_summing(seen, call, thread_count)
        check(bool(queues.put_into), "sum.no_queue", call=call, hint=CHECK_HINT)
        putters = queues.threads_that_put()
        silent = [s for s in seen.threads.started if s.thread not in putters]
        by_caller = msg("sum.caller_put") if threading.current_thread() in putters else ""
        check(not silent, "sum.silent_threads", call=call, silent=len(silent), started=len(seen.threads.started),
              by_caller=by_caller, hint=CHECK_HINT)
        # Every thread put something; the items must also carry the partial sums, not a token beside a
        # total the threads add to some other way (a shared variable: exercise1's race).
        items = queues.items_put_by(s.thread for s in seen.threads.started)
        carried = _elements_carried(items, length)
        check(len(carried) == length, "sum.partials_not_on_queue", call=call, carried=len(carried), length=length,
              items=shown(items[:6]), hint=msg("sum.hint.shared_total"))
        unsummed = [s.thread for s in seen.threads.started
                    if _hands_over_elements(queues.items_put_by([s.thread]), length)]
        example = queues.items_put_by(unsummed[:1])
        check(not unsummed, "sum.elements_not_summed", call=call, unsummed=len(unsummed),
              started=len(seen.threads.started), items=shown(example[0] if len(example) == 1 else example[:6]))
        left = queues.left_on_queues(s.thread for s in seen.threads.started)
        check(not left, "sum.partials_left_on_queue", call=call, left=left, put=len(items))


def test_every_thread_is_joined_before_return(target, thresholds, student_file):
    for length, thread_count in thresholds["sizes"]:
        call = _call_on_numbers(length, thread_count)
        seen = _observe(target, list(range(1, length + 1)), thread_count, student_file)
        _require_threads_did_the_summing(seen, call, thread_count)
        not_joined = seen.threads.not_joined()
        running = seen.threads.alive_at_return
        check(not not_joined and not running, "sum.not_joined", call=call, not_joined=len(not_joined),
              started=len(seen.threads.started),
              running=msg("sum.still_running", running=len(running)) if running else "")


def test_rejects_thread_count_below_one(target):
    check_rejects(target, "thread_count", arr=[1, 2, 3], thread_count=0)
    check_rejects(target, "thread_count", arr=[1, 2, 3], thread_count=-2)
    # Also with nothing to sum: a shortcut for the empty input must not skip the argument check.
    check_rejects(target, "thread_count", arr=[], thread_count=0)
