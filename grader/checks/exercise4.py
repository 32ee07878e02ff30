"""Checks of exercise4, LIST in a process. Each test is one catalog entry of exercise4.yaml.

The multiprocessing checks run once per start method (`fork` and `spawn`): what works only because a
forked child inherits the parent's memory fails under spawn, with feedback that says so. Every call is
made under the process probes (grader.probes.mpcall): they see which children were started and with
what target, what the parent sent itself, and what was left running when the call returned.
"""
from __future__ import annotations

import string

from grader.feedback import check, fail
from grader.probes.mprocs import process_target_feedback
from grader.questions import check_answer
from grader.validation import check_rejects

ALPHABET = set(string.ascii_letters + string.digits)

SEPARATE_MEMORY = (
    "Each process has its own memory: a child that appends to `LIST` appends to its own copy, and the "
    "parent's `LIST` never changes. Send each item back to the parent: put it on a "
    "multiprocessing.Queue in the child and get it in the parent (or use a Pipe, or a Manager().list()).")

SAME_RANDOM_STATE = {
    "fork": "Under `fork` each child starts with a copy of the parent's memory, random generator state "
            "included (Python's `random` reseeds itself in a forked child, numpy's `np.random` does not), "
            "and a fixed seed inside the child gives every child the same sequence.",
    "spawn": "Under `spawn` each child imports your module again, so a module-level `random.seed(...)` "
             "runs again in every child with the same seed; a fixed seed inside the child does the same.",
}


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _module_lists(submission) -> dict[str, int]:
    return {name: len(value) for name, value in vars(submission).items() if isinstance(value, list)}


def _check_work_in_children(call, count: int, noun: str, lists_before: dict, lists_after: dict) -> None:
    """The call started `count` children that did the work, and the parent made no result itself."""
    __tracebackhide__ = True
    mistake = process_target_feedback(call.processes)
    if mistake:
        fail(f"{call.description}: {mistake}")
    workers = call.processes.workers()
    check(len(workers) == count,
          f"{call.description} started {len(workers)} child process(es).",
          f"{count}: one child process per {noun}",
          f"Start one multiprocessing.Process per {noun}; each makes its {noun} and sends it back.")
    grew = sorted(name for name, size in lists_after.items() if size > lists_before.get(name, 0))
    sends = call.processes.parent_sends
    check(not grew and not sends,
          f"{call.description}: the PARENT process made the results itself"
          + (f" (it appended to {', '.join(grew)})" if grew else "")
          + (f" (it called {', '.join(sends[:3])})" if sends else "") + ".",
          f"every {noun} made in a child process and sent from the child to the parent",
          "Only the child's target runs in the child; code in the function you call runs in the parent.")
    crashed = [code for code in call.exit_codes if code]
    check(not crashed,
          f"{call.description}: {len(crashed)} child process(es) ended with exit code(s) "
          f"{sorted(set(crashed))}: they raised an exception.",
          "every child finishing its work and exiting with code 0")


def _check_no_child_left(call) -> None:
    __tracebackhide__ = True
    left = call.leftover_lines
    check(not left,
          f"When {call.description} returned, {len(left)} of its child processes were still there "
          f"(running, or finished but never joined): {'; '.join(left[:5])}.",
          "every child process joined before the function returns",
          "Call join() on every process you started, after taking its results off the queue.")


def test_answer_list_explains_separate_memory(target, check_spec):
    check_answer(target, check_spec)


def test_collect_items_returns_n_processes_items(target, start_method, watched, thresholds):
    for n in thresholds["sizes"]:
        got = watched(f"collect_items({n})", target, n).result
        if got == ["item"] * n:
            continue
        short = isinstance(got, (list, tuple)) and len(got) < n
        fail(f"collect_items({n}) returned {_short(got)} under the `{start_method}` start method.",
             f"a list of {n} strings 'item', one sent back by each child",
             SEPARATE_MEMORY if short else "Return a list holding exactly the items the children sent.")


def test_collect_items_items_come_from_n_child_processes(target, submission, start_method, watched,
                                                          thresholds):
    for n in thresholds["sizes"]:
        before = _module_lists(submission)
        call = watched(f"collect_items({n})", target, n)
        _check_work_in_children(call, n, "item", before, _module_lists(submission))


def test_collect_items_leaves_no_child_process(target, start_method, watched):
    _check_no_child_left(watched("collect_items(4)", target, 4))


def test_collect_items_rejects_n_processes_below_one(target):
    check_rejects(target, "n_processes", n_processes=0)
    check_rejects(target, "n_processes", n_processes=-2)


def test_rand_strings_returns_count_strings_of_length_from_the_alphabet(target, start_method, watched,
                                                                        thresholds):
    for count, length in thresholds["sizes"]:
        description = f"rand_strings({count}, {length})"
        got = watched(description, target, count, length).result
        check(isinstance(got, list) and len(got) == count and all(isinstance(s, str) for s in got),
              f"{description} returned {_short(got)} under the `{start_method}` start method.",
              f"a list of {count} strings")
        wrong_length = [s for s in got if len(s) != length]
        check(not wrong_length, f"{description} returned strings of length "
              f"{sorted({len(s) for s in wrong_length})}.", f"every string {length} characters long")
        outside = sorted(set("".join(got)) - ALPHABET)
        check(not outside, f"{description} used characters outside the alphabet: {''.join(outside[:20])!r}.",
              "only ASCII letters and digits (string.ascii_letters + string.digits)")


def test_rand_strings_are_made_in_child_processes(target, submission, start_method, watched, thresholds):
    for count, length in thresholds["sizes"]:
        before = _module_lists(submission)
        call = watched(f"rand_strings({count}, {length})", target, count, length)
        _check_work_in_children(call, count, "string", before, _module_lists(submission))


def test_rand_strings_differ_from_each_other(target, start_method, watched, thresholds):
    count, length = thresholds["count"], thresholds["length"]
    description = f"rand_strings({count}, {length})"
    got = watched(description, target, count, length).result
    check(isinstance(got, list) and len(got) == count, f"{description} returned {_short(got)}.",
          f"a list of {count} strings")
    distinct = len(set(got))
    check(distinct == count,
          f"{description} returned only {distinct} different string(s) under the `{start_method}` start "
          f"method: {_short(got)}. The children generated the same random sequence.",
          f"{count} different strings (with {length} random characters a repeat is practically impossible)",
          SAME_RANDOM_STATE[start_method] + " Give each child its own fresh generator: `random.Random()` "
          "seeded from the OS inside the child, or `os.urandom`/`secrets`.")


def test_rand_strings_of_a_million_characters_finish(target, start_method, watched, thresholds):
    count, length = thresholds["count"], thresholds["length"]
    description = f"rand_strings({count}, {length:_})"
    got = watched(description, target, count, length).result
    check(isinstance(got, list) and len(got) == count and all(len(s) == length for s in got),
          f"{description} returned {len(got) if isinstance(got, list) else _short(got)} item(s) of "
          f"lengths {sorted({len(s) for s in got}) if isinstance(got, list) else '?'}.",
          f"{count} strings of {length:_} characters")


def test_rand_strings_leaves_no_child_process(target, start_method, watched):
    _check_no_child_left(watched("rand_strings(4, 5)", target, 4, 5))


def test_rand_strings_rejects_bad_count_or_length(target):
    check_rejects(target, "count", count=0, length=5)
    check_rejects(target, "length", count=2, length=-1)

