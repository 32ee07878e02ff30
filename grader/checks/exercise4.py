"""Checks of exercise4, LIST in a process. Each test is one catalog entry of exercise4.yaml.

The multiprocessing checks run once per start method (`fork` and `spawn`): what works only because a
forked child inherits the parent's memory fails under spawn, with feedback that says so. Every call is
made under the process probes (grader.probes.mpcall): they see which children were started and with
what target, what the parent sent and received itself, and what was left running when the call
returned.

The checks of kind `concurrency` (catalog) judge how the children did the work; they earn their points
only when the call really did it: the right number of child processes started, each given a function
to run, the results made in them (not in the parent) and sent back to the parent. Otherwise they fail
for "no concurrent work" (`_require_work_in_children`).
"""
from __future__ import annotations

import string

from grader.feedback import CHECK_HINT, shown
from grader.feedback import english_check as check, english_fail as fail
from grader.feedback import english_fail_without_concurrency as fail_without_concurrency
from grader.probes.mpcall import NEVER_STARTED, NeverStartedFeedback
from grader.probes.mprocs import process_target_feedback
from grader.questions import check_answer
from grader.validation import check_rejects

ALPHABET = set(string.ascii_letters + string.digits)

SEPARATE_MEMORY = (
    "Each process has its own memory: a child that appends to a list (such as `LIST`) appends to its own "
    "copy, and the parent's list never changes. Send each result back to the parent: put it on a "
    "multiprocessing.Queue in the child and get it in the parent (or use a Pipe, or a Manager().list()).")

READ_BEFORE_JOIN = (
    "The parent read the Manager's shared object ({reads}) while child processes were still running, "
    "so it got only what they had sent so far. A Manager list does not wait for anything: join every "
    "child first, then read it. (A Queue's get() does wait for each item, so with a queue you take the "
    "results first and join after.)")

SAME_RANDOM_STATE = {
    "fork": "Under `fork` each child starts with a copy of the parent's memory, random generator state "
            "included (Python's `random` reseeds itself in a forked child, numpy's `np.random` does not), "
            "and a fixed seed inside the child gives every child the same sequence.",
    "spawn": "Under `spawn` each child imports your module again, so a module-level `random.seed(...)` "
             "runs again in every child with the same seed; a fixed seed inside the child does the same.",
}


def _is_list_of_str(value) -> bool:
    """A list of str, checked before any comparison: a student's value must not make the grader raise."""
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _module_lists(submission) -> dict[str, int]:
    return {name: len(value) for name, value in vars(submission).items() if isinstance(value, list)}


def _call_for_work(watched, submission, description: str, function, *args):
    """Call a function whose concurrent work a check judges; return the watched call and the module
    lists that grew during it (results the parent appended itself).

    A call that waited on processes it created but never started at all did no concurrent work.
    """
    __tracebackhide__ = True
    before = _module_lists(submission)
    try:
        call = watched(description, function, *args)
    except NeverStartedFeedback as exc:
        if exc.none_started:
            fail_without_concurrency(f"{exc.seen} {NEVER_STARTED}", exc.expected)
        raise
    after = _module_lists(submission)
    return call, sorted(name for name, size in after.items() if size > before.get(name, 0))


def _no_work_done(call, grew: list[str], noun: str) -> str:
    """What shows that the children did not make and send back the results, or ''."""
    log = call.processes
    workers = log.workers()
    if not workers:
        unstarted = log.never_started()
        if unstarted:
            return (f"{call.description} created {len(unstarted)} Process object(s) but started none of "
                    f"them. {NEVER_STARTED}")
        return f"{call.description} started no child process."
    if len(log.without_work()) == len(workers):
        return f"{call.description}: {process_target_feedback(log)}"
    if grew or log.parent_sends:
        return (f"{call.description}: the PARENT process made the results itself"
                + (f" (it appended to {', '.join(grew)})" if grew else "")
                + (f" (it called {', '.join(log.parent_sends[:3])})" if log.parent_sends else "")
                + ". Only the child's target runs in the child; code in the function you call runs in "
                  "the parent.")
    if not log.received_from_children() and not call.pools.process_pools():
        return (f"{call.description}: the parent received nothing from its children (no Queue.get(), no "
                f"Pipe recv(), no read of a Manager object), so the {noun}s it returned were not sent back "
                f"by them. {SEPARATE_MEMORY}")
    return ""


def _work_expected(count: int, noun: str) -> str:
    processes = "1 child process" if count == 1 else f"{count} child processes"
    return f"{processes} started, each making one {noun} and sending it back to the parent"


def _require_work_in_children(call, grew: list[str], count: int, noun: str) -> None:
    """The gate of every `concurrency` check: `count` children started that made the results and sent
    them back; otherwise the check fails for no concurrent work."""
    __tracebackhide__ = True
    missing = _no_work_done(call, grew, noun)
    working = [w for w in call.processes.workers() if not w.has_no_work]
    if not missing and len(working) != count:
        missing = (f"{call.description} started {len(working)} child process(es) with work to do for "
                   f"{count} {noun}s.")
    if missing:
        fail_without_concurrency(missing, _work_expected(count, noun))


def _check_work_in_children(call, grew: list[str], count: int, noun: str) -> None:
    """The call started `count` children that did the work, and the parent made no result itself."""
    __tracebackhide__ = True
    missing = _no_work_done(call, grew, noun)
    if missing:
        fail_without_concurrency(missing, _work_expected(count, noun))
    mistake = process_target_feedback(call.processes)
    if mistake:
        fail(f"{call.description}: {mistake}", _work_expected(count, noun))
    workers = call.processes.workers()
    check(len(workers) == count,
          f"{call.description} started {len(workers)} child process(es).",
          f"{count}: one child process per {noun}", CHECK_HINT)
    crashed = [code for code in call.exit_codes if code]
    check(not crashed,
          f"{call.description}: {len(crashed)} child process(es) ended with exit code(s) "
          f"{sorted(set(crashed))}: they raised an exception.",
          "every child finishing its work and exiting with code 0",
          "Run the function yourself and read the error the children print before they die.")


def _check_no_child_left(call) -> None:
    __tracebackhide__ = True
    left = call.leftover_lines
    check(not left,
          f"When {call.description} returned, {len(left)} of its child processes were still there "
          f"(running, or finished but never joined): {'; '.join(left[:5])}.",
          "every child process joined before the function returns", CHECK_HINT)


def _few_results_hint(call, got, count: int, other: str = CHECK_HINT) -> str:
    """The hint for a result that is not what the children should have sent: the cause seen, or
    `other` when none of the known causes was seen."""
    log = call.processes
    short = isinstance(got, (list, tuple)) and len(got) < count
    if short and log.early_reads:
        return READ_BEFORE_JOIN.format(reads=", ".join(sorted(set(log.early_reads))[:3]))
    if short and log.never_started():
        return NEVER_STARTED
    if short and not log.received_from_children():
        return SEPARATE_MEMORY
    return other


def test_answer_list_explains_separate_memory(target, check_spec):
    check_answer(target, check_spec)


def test_collect_items_returns_n_processes_items(target, start_method, watched, thresholds):
    for n in thresholds["sizes"]:
        call = watched(f"collect_items({n})", target, n)
        got = call.result
        if _is_list_of_str(got) and got == ["item"] * n:
            continue
        fail(f"collect_items({n}) returned {shown(got)} under the `{start_method}` start method.",
             f"a list of {n} strings 'item', one sent back by each child", _few_results_hint(call, got, n))


def test_collect_items_items_come_from_n_child_processes(target, submission, start_method, watched,
                                                          thresholds):
    for n in thresholds["sizes"]:
        call, grew = _call_for_work(watched, submission, f"collect_items({n})", target, n)
        _check_work_in_children(call, grew, n, "item")


def test_collect_items_leaves_no_child_process(target, submission, start_method, watched):
    call, grew = _call_for_work(watched, submission, "collect_items(4)", target, 4)
    _require_work_in_children(call, grew, 4, "item")
    _check_no_child_left(call)


def test_collect_items_rejects_n_processes_below_one(target):
    check_rejects(target, "n_processes", n_processes=0)
    check_rejects(target, "n_processes", n_processes=-2)


def test_rand_strings_returns_count_strings_of_length_from_the_alphabet(target, start_method, watched,
                                                                        thresholds):
    for count, length in thresholds["sizes"]:
        description = f"rand_strings({count}, {length})"
        call = watched(description, target, count, length)
        got = call.result
        check(_is_list_of_str(got) and len(got) == count,
              f"{description} returned {shown(got)} under the `{start_method}` start method.",
              f"a list of {count} strings", _few_results_hint(call, got, count))
        wrong_length = [s for s in got if len(s) != length]
        check(not wrong_length, f"{description} returned strings of length "
              f"{sorted({len(s) for s in wrong_length})}.", f"every string {length} characters long",
              CHECK_HINT)
        outside = sorted(set("".join(got)) - ALPHABET)
        check(not outside, f"{description} used characters outside the alphabet: {''.join(outside[:20])!r}.",
              "only ASCII letters and digits (string.ascii_letters + string.digits)", CHECK_HINT)


def test_rand_strings_are_made_in_child_processes(target, submission, start_method, watched, thresholds):
    for count, length in thresholds["sizes"]:
        description = f"rand_strings({count}, {length})"
        call, grew = _call_for_work(watched, submission, description, target, count, length)
        _check_work_in_children(call, grew, count, "string")


def test_rand_strings_differ_from_each_other(target, submission, start_method, watched, thresholds):
    count, length = thresholds["count"], thresholds["length"]
    description = f"rand_strings({count}, {length})"
    call, grew = _call_for_work(watched, submission, description, target, count, length)
    _require_work_in_children(call, grew, count, "string")
    got = call.result
    check(_is_list_of_str(got) and len(got) == count, f"{description} returned {shown(got)}.",
          f"a list of {count} strings", _few_results_hint(call, got, count, other=""))
    distinct = len(set(got))
    check(distinct == count,
          f"{description} returned only {distinct} different string(s) under the `{start_method}` start "
          f"method: {shown(got)}. The children generated the same random sequence.",
          f"{count} different strings (with {length} random characters a repeat is practically impossible)",
          SAME_RANDOM_STATE[start_method] + " Give each child its own fresh generator: `random.Random()` "
          "seeded from the OS inside the child, or `os.urandom`/`secrets`.")


def test_rand_strings_of_a_million_characters_finish(target, submission, start_method, watched, thresholds):
    count, length = thresholds["count"], thresholds["length"]
    description = f"rand_strings({count}, {length:_})"
    call, grew = _call_for_work(watched, submission, description, target, count, length)
    _require_work_in_children(call, grew, count, "string")
    got = call.result
    lengths = sorted({len(s) for s in got}) if _is_list_of_str(got) else None
    # A million-character string is not shown, only its length.
    returned = shown(got) if lengths is None else f"{len(got)} string(s) of lengths {lengths}"
    check(lengths == [length] and len(got) == count, f"{description} returned {returned}.",
          f"{count} strings of {length:_} characters", _few_results_hint(call, got, count, other=""))


def test_rand_strings_leaves_no_child_process(target, submission, start_method, watched):
    call, grew = _call_for_work(watched, submission, "rand_strings(4, 5)", target, 4, 5)
    _require_work_in_children(call, grew, 4, "string")
    _check_no_child_left(call)


def test_rand_strings_rejects_bad_count_or_length(target):
    check_rejects(target, "count", count=0, length=5)
    check_rejects(target, "length", count=2, length=-1)
