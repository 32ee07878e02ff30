"""Checks of exercise4, LIST in a process. Each test is one catalog entry of exercise4.yaml.

The multiprocessing checks run once per start method (`fork` and `spawn`): what works only because a
forked child inherits the parent's memory fails under spawn, with feedback that says so. Every call is
made under the process probes (grader.probes.mpcall): they see which children were started and with
what target, what the parent sent and received itself, and what was left running when the call
returned. A call that returned is made once per start method and judged by every check that asks for
it (`_observe`).

The checks of kind `concurrency` (catalog) judge how the children did the work; they earn their points
only when the call really did it: the right number of child processes started, each given a function
to run, the results made in them (not in the parent) and sent back to the parent. Otherwise they fail
for "no concurrent work" (`_require_work_in_children`).
"""
from __future__ import annotations

import multiprocessing
import string
from dataclasses import dataclass

from grader.feedback import CHECK_HINT, Feedback, check, fail, fail_without_concurrency, shown
from grader.messages import Message, msg
from grader.probes.processes import joined, signal_name
from grader.probes.mpcall import NEVER_STARTED, NeverStartedFeedback
from grader.probes.mprocs import process_target_mistake
from grader.questions import check_answer
from grader.report import NO_CONCURRENT_WORK
from grader.validation import check_rejects

ALPHABET = set(string.ascii_letters + string.digits)

SEPARATE_MEMORY = msg("list.hint.separate_memory")
SAME_RANDOM_STATE = {"fork": msg("list.hint.same_random_state_fork"),
                     "spawn": msg("list.hint.same_random_state_spawn")}


@dataclass(frozen=True)
class Work:
    """What each child makes and sends back, as the feedback names it."""

    one: Message   # "one item", what each child makes
    each: Message  # "item" in "one child process per item"


ITEMS = Work(msg("list.one_item"), msg("list.each_item"))
STRINGS = Work(msg("list.one_string"), msg("list.each_string"))


def _is_list_of_str(value) -> bool:
    """A list of str, checked before any comparison: a student's value must not make the grader raise."""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _plain(value):
    """A list of strings as plain `list` and `str` objects: what the returned objects really hold, not
    what a subclass says of itself (a `str` whose len() is made up, a list equal to anything).
    Anything else as it is."""
    if not isinstance(value, list):
        return value
    items = list(list.__iter__(value))
    return [str.__str__(item) for item in items] if all(isinstance(item, str) for item in items) else value


def _watch(watched, description, function, *args):
    """`watched(...)`, with what the call returned read as plain strings."""
    call = watched(description, function, *args)
    call.result = _plain(call.result)
    return call


def _texts_in(value, depth: int = 3) -> set[str]:
    """The strings a value received from a child holds, whatever its shape: the value itself (text, or
    bytes of ASCII), what its tuples, lists and dicts hold `depth` levels down, and a list of single
    characters joined."""
    if isinstance(value, str):
        return {value}
    if isinstance(value, (bytes, bytearray)):
        return {bytes(value).decode("ascii", "replace")}
    if not depth or not isinstance(value, (tuple, list, dict)):
        return set()
    inner = list(value.values() if isinstance(value, dict) else value)
    texts = set().union(*(_texts_in(item, depth - 1) for item in inner)) if inner else set()
    if inner and all(isinstance(item, str) and len(item) == 1 for item in inner):
        texts.add("".join(inner))
    return texts


def _received_texts(call) -> set[str]:
    """The strings in everything the parent took from its children during the call."""
    return set().union(*(_texts_in(value) for value in call.processes.received))


def _module_lists(submission) -> dict[str, tuple[int, int]]:
    """Each module-level list of the submission, as (identity, length)."""
    return {name: (id(value), len(value)) for name, value in vars(submission).items() if isinstance(value, list)}


def _lists_grown_with_unsent_text(submission, before: dict[str, tuple[int, int]], received: set[str]) -> list[str]:
    """The module-level lists the parent appended text to during a call that no child sent: results it
    made itself. (Anything else a module list gains, a process or a manager kept for later, is no
    result.)"""
    grown = []
    for name, value in vars(submission).items():
        if not isinstance(value, list):
            continue
        identity, length = before.get(name, (None, 0))
        added = value[length:] if identity == id(value) else value
        if any(text not in received for item in added for text in _texts_in(item)):
            grown.append(name)
    return sorted(grown)


# The calls made so far in this grading child, by start method, function and arguments.
_OBSERVED: dict[tuple[str | None, int, str], tuple] = {}


def _observe(watched, submission, description: str, function, *args):
    """The watched call `function(*args)` under the current start method, and the module lists it
    appended results to that no child sent (results the parent made itself).

    Made once, by the first check that needs it, and shared by the checks that judge the same call:
    collect_items' three checks ask for the same calls, and under spawn each call starts new
    interpreters. A call that raised is not kept: each check that needs it calls again, and says
    what it saw."""
    __tracebackhide__ = True
    key = (multiprocessing.get_start_method(allow_none=True), id(function), description)
    if key not in _OBSERVED:
        before = _module_lists(submission)
        call = _watch(watched, description, function, *args)
        _OBSERVED[key] = call, _lists_grown_with_unsent_text(submission, before, _received_texts(call))
    return _OBSERVED[key]


def _call_for_work(watched, submission, description: str, function, *args):
    """Call a function whose concurrent work a check judges; return the watched call and the module
    lists it appended results to that no child sent (see `_observe`).

    A call that waited on processes it created but never started at all did no concurrent work.
    """
    __tracebackhide__ = True
    try:
        return _observe(watched, submission, description, function, *args)
    except NeverStartedFeedback as exc:
        if exc.none_started:
            raise Feedback(exc.message, exc.hint, NO_CONCURRENT_WORK) from None
        raise


def _handed_to_children(call) -> int:
    """How many of the strings the call returned were in its children's arguments: made by the
    parent and only passed back through the children. (Only for strings the children must make:
    collect_items' children may well be handed the 'item' they send.)"""
    got = call.result
    if not _is_list_of_str(got):
        return 0
    given: set[str] = set()
    for started in call.processes.workers():
        for argument in started.arguments:
            inner = argument if isinstance(argument, (list, tuple)) else [argument]
            given.update(value for value in inner if isinstance(value, str))
    return sum(1 for text in got if text and text in given)


def _not_received(call) -> int:
    """How many of the strings the call returned (random strings, or collect_items' 'item') never came
    from a child: made by the parent beside children that sent something else. (Not judged for a
    process pool, whose results reach the parent inside the pool.)"""
    got = call.result
    if not _is_list_of_str(got) or call.pools.process_pools():
        return 0
    received = _received_texts(call)
    return sum(1 for text in got if text and text not in received)


def _no_work_done(call, grew: list[str], work: Work) -> Message | None:
    """What shows that the children did not make and send back the results, or None."""
    log = call.processes
    workers = log.workers()
    if not workers:
        unstarted = log.never_started()
        if unstarted:
            return msg("list.none_started", call=call.description, created=len(unstarted), why=NEVER_STARTED)
        return msg("list.no_child", call=call.description)
    if len(log.without_work()) == len(workers):
        return msg("list.call_mistake", call=call.description, mistake=process_target_mistake(log))
    if grew or log.parent_sends:
        return msg("list.parent_made_results", call=call.description,
                   appended=msg("list.parent_appended", lists=", ".join(grew)) if grew else "",
                   sent=msg("list.parent_sent", calls=", ".join(log.parent_sends[:3])) if log.parent_sends else "")
    if not log.received_from_children() and not call.pools.process_pools():
        return msg("list.nothing_received", call=call.description, why=SEPARATE_MEMORY)
    handed = _handed_to_children(call) if work is STRINGS else 0
    if handed:
        return msg("list.parent_made_results", call=call.description, appended="",
                   sent=msg("list.parent_handed", handed=handed))
    unsent = _not_received(call)
    if unsent:
        return msg("list.parent_made_results", call=call.description, appended="",
                   sent=msg("list.parent_not_received", unsent=unsent))
    return None


def _require_work_in_children(call, grew: list[str], count: int, work: Work) -> None:
    """The gate of every `concurrency` check: `count` children started that made the results and sent
    them back; otherwise the check fails for no concurrent work."""
    __tracebackhide__ = True
    missing = _no_work_done(call, grew, work)
    working = [w for w in call.processes.workers() if not w.has_no_work]
    if not missing and len(working) != count:
        missing = msg("list.wrong_worker_count", call=call.description, working=len(working), count=count,
                      each=work.each)
    if missing:
        fail_without_concurrency("list.no_work_in_children", seen=missing, count=count, one=work.one)


def _check_work_in_children(call, grew: list[str], count: int, work: Work) -> None:
    """The call started `count` children that did the work, and the parent made no result itself."""
    __tracebackhide__ = True
    missing = _no_work_done(call, grew, work)
    if missing:
        fail_without_concurrency("list.no_work_in_children", seen=missing, count=count, one=work.one)
    mistake = process_target_mistake(call.processes)
    if mistake:
        fail("list.no_work_in_children", count=count, one=work.one,
             seen=msg("list.call_mistake", call=call.description, mistake=mistake))
    workers = call.processes.workers()
    check(len(workers) == count, "list.worker_count", call=call.description, started=len(workers), count=count,
          each=work.each, hint=CHECK_HINT)
    crashed = [code for code in call.exit_codes if code]
    codes = sorted(set(crashed))
    signals = [f"{code}: {signal_name(-code)}" for code in codes if code < 0]
    cause = msg("list.cause.signalled", signals=", ".join(signals)) if signals else msg("list.cause.raised")
    hint = msg("processes.hint.signalled" if signals else "processes.hint.read_child_errors")
    check(not crashed, "list.children_crashed", call=call.description, crashed=len(crashed),
          codes=", ".join(map(str, codes)), n_codes=len(codes), cause=cause, hint=hint)


def _check_no_child_left(call) -> None:
    __tracebackhide__ = True
    left = call.leftover_lines
    check(not left, "list.children_left", call=call.description, left=len(left), processes=joined(left[:5]),
          hint=msg("processes.hint.manager_left") if call.manager_left else CHECK_HINT)


def _few_results_hint(call, got, count: int, other=CHECK_HINT):
    """The hint for a result that is not what the children should have sent: the cause seen, or
    `other` when none of the known causes was seen."""
    log = call.processes
    short = isinstance(got, (list, tuple)) and len(got) < count
    if short and log.early_reads:
        return msg("list.hint.read_before_join", reads=", ".join(sorted(set(log.early_reads))[:3]))
    if short and log.never_started():
        return NEVER_STARTED
    if short and not log.received_from_children():
        return SEPARATE_MEMORY
    return other


def test_answer_list_explains_separate_memory(target, check_spec):
    check_answer(target, check_spec)


def test_collect_items_returns_n_processes_items(target, submission, start_method, watched, thresholds):
    for n in thresholds["sizes"]:
        call, _ = _observe(watched, submission, f"collect_items({n})", target, n)
        got = call.result
        if _is_list_of_str(got) and got == ["item"] * n:
            continue
        fail("list.wrong_items", call=call.description, got=shown(got), method=start_method, n=n,
             hint=_few_results_hint(call, got, n))


def test_collect_items_items_come_from_n_child_processes(target, submission, start_method, watched,
                                                          thresholds):
    for n in thresholds["sizes"]:
        call, grew = _call_for_work(watched, submission, f"collect_items({n})", target, n)
        _check_work_in_children(call, grew, n, ITEMS)


def test_collect_items_leaves_no_child_process(target, submission, start_method, watched):
    call, grew = _call_for_work(watched, submission, "collect_items(4)", target, 4)
    _require_work_in_children(call, grew, 4, ITEMS)
    _check_no_child_left(call)


def test_collect_items_rejects_n_processes_below_one(target):
    check_rejects(target, "n_processes", n_processes=0)
    check_rejects(target, "n_processes", n_processes=-2)


def test_rand_strings_returns_count_strings_of_length_from_the_alphabet(target, start_method, watched,
                                                                        thresholds):
    for count, length in thresholds["sizes"]:
        description = f"rand_strings({count}, {length})"
        call = _watch(watched, description, target, count, length)
        got = call.result
        check(_is_list_of_str(got) and len(got) == count, "list.wrong_strings", call=description,
              got=shown(got), method=start_method, count=count, hint=_few_results_hint(call, got, count))
        wrong_length = [s for s in got if len(s) != length]
        check(not wrong_length, "list.wrong_length", call=description,
              lengths=", ".join(map(str, sorted({len(s) for s in wrong_length}))), length=length, hint=CHECK_HINT)
        outside = sorted(set("".join(got)) - ALPHABET)
        check(not outside, "list.outside_alphabet", call=description, characters=repr("".join(outside[:20])),
              hint=CHECK_HINT)


def test_rand_strings_are_made_in_child_processes(target, submission, start_method, watched, thresholds):
    for count, length in thresholds["sizes"]:
        description = f"rand_strings({count}, {length})"
        call, grew = _call_for_work(watched, submission, description, target, count, length)
        _check_work_in_children(call, grew, count, STRINGS)


def test_rand_strings_differ_from_each_other(target, submission, start_method, watched, thresholds):
    count, length = thresholds["count"], thresholds["length"]
    description = f"rand_strings({count}, {length})"
    call, grew = _call_for_work(watched, submission, description, target, count, length)
    _require_work_in_children(call, grew, count, STRINGS)
    got = call.result
    check(_is_list_of_str(got) and len(got) == count, "list.not_strings", call=description, got=shown(got),
          count=count, hint=_few_results_hint(call, got, count, other=None))
    distinct = len(set(got))
    check(distinct == count, "list.same_strings", call=description, distinct=distinct, method=start_method,
          got=shown(got), count=count, length=length, hint=SAME_RANDOM_STATE[start_method])


def test_rand_strings_of_a_million_characters_finish(target, submission, start_method, watched, thresholds):
    count, length = thresholds["count"], thresholds["length"]
    description = f"rand_strings({count}, {length:_})"
    call, grew = _call_for_work(watched, submission, description, target, count, length)
    _require_work_in_children(call, grew, count, STRINGS)
    got = call.result
    lengths = sorted({len(s) for s in got}) if _is_list_of_str(got) else None
    # A million-character string is not shown, only its length.
    returned = shown(got) if lengths is None else msg("list.strings_of_lengths", strings=len(got),
                                                      lengths=", ".join(map(str, lengths)))
    check(lengths == [length] and len(got) == count, "list.not_a_million", call=description, returned=returned,
          count=count, length=length, hint=_few_results_hint(call, got, count, other=None))


def test_rand_strings_leaves_no_child_process(target, submission, start_method, watched):
    call, grew = _call_for_work(watched, submission, "rand_strings(4, 5)", target, 4, 5)
    _require_work_in_children(call, grew, 4, STRINGS)
    _check_no_child_left(call)


def test_rand_strings_rejects_bad_count_or_length(target):
    check_rejects(target, "count", count=0, length=5)
    check_rejects(target, "length", count=2, length=-1)
