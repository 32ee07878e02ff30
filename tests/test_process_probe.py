"""Tests for grader.probes.processes, and for the reference solutions of exercises 4 and 5 run
under each start method with no child left behind."""

import importlib.util
import json
import multiprocessing
import os
import select
import subprocess
import sys
from pathlib import Path

import pytest

from grader.messages import render
from grader.probes.processes import (
    child_pids,
    describe,
    descendant_pids,
    is_multiprocessing_helper,
    kill_tree,
    leftovers,
    watch_children,
    zombie_children,
)

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"

# Spawned children start clean: forking pytest, which may run threads, is not safe.
SPAWN = multiprocessing.get_context("spawn")


def _wait_exited(pid: int) -> None:
    """Block until ``pid`` has exited (a pidfd turns readable), without reaping it. A pid that is
    already gone (exited and reaped by its new parent) has exited too."""
    try:
        pidfd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        select.select([pidfd], [], [])
    finally:
        os.close(pidfd)


def test_child_pids_sees_a_started_process_until_it_is_joined():
    release = SPAWN.Event()
    child = SPAWN.Process(target=release.wait)
    child.start()
    try:
        assert child.pid in child_pids()
        assert child.pid in descendant_pids()
    finally:
        release.set()
        child.join()
    assert child.pid not in child_pids()


def test_an_exited_child_is_a_zombie_until_waited_for():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    _wait_exited(pid)
    try:
        assert pid in zombie_children()
        assert "state Z" in render(describe(pid))
    finally:
        os.waitpid(pid, 0)
    assert pid not in zombie_children()
    assert pid not in child_pids()


def test_describe_names_the_pid_and_state():
    text = render(describe(os.getpid()))
    assert f"pid {os.getpid()} " in text
    assert "state " in text


def test_watch_children_reports_a_process_left_running():
    # This test process may have descendants of its own already (a grading's fork server): not ours.
    earlier = descendant_pids()
    release = SPAWN.Event()
    child = SPAWN.Process(target=release.wait)
    try:
        with watch_children() as left:
            child.start()
        assert child.pid in left.alive
        assert not left.clean
        assert any(f"pid {child.pid} " in render(line) for line in left.descriptions())
    finally:
        release.set()
        child.join()
    assert leftovers(earlier | {child.pid}).clean


def test_forkserver_is_a_helper_but_its_children_are_not():
    forkserver = multiprocessing.get_context("forkserver")
    release = forkserver.Event()
    child = forkserver.Process(target=release.wait)
    before = descendant_pids()
    child.start()
    try:
        left = leftovers(before)
        assert child.pid in left.alive
        assert child.pid not in child_pids(), "the forkserver, not this process, forks the child"
        helpers = [pid for pid in descendant_pids() if is_multiprocessing_helper(pid)]
        assert any("forkserver" in render(describe(pid)) for pid in helpers)
    finally:
        release.set()
        child.join()


def test_kill_tree_kills_and_reaps_a_sleeping_child():
    # A plain subprocess: a multiprocessing.Process reaped behind its back would stay in
    # multiprocessing.active_children() for the rest of the session.
    child = subprocess.Popen(["sleep", "60"])
    report = kill_tree({child.pid})
    assert child.pid in report.killed
    assert child.pid in report.reaped
    assert child.pid not in child_pids()


def test_kill_tree_kills_grandchildren_too():
    starter = (
        "import subprocess; p = subprocess.Popen(['sleep', '60']); print(p.pid, flush=True); p.wait()"
    )
    parent = subprocess.Popen([sys.executable, "-c", starter], stdout=subprocess.PIPE, text=True)
    grandchild = int(parent.stdout.readline())
    report = kill_tree({parent.pid})
    parent.stdout.close()
    assert report.killed == {parent.pid, grandchild}
    assert report.reaped == {parent.pid}
    _wait_exited(grandchild)


POOL_METHODS = ("apply", "map", "apply_async", "map_async")

# Runs in a fresh interpreter per start method: argv = [method, solutions folder, *pool methods].
# Prints JSON.
_RUN_SOLUTIONS = r"""
import json, multiprocessing, string, sys
multiprocessing.set_start_method(sys.argv[1], force=True)
# By name from sys.path, so spawned children can import the module the functions belong to.
sys.path.insert(0, sys.argv[2])
import numpy as np
import exercise4_list_in_process as ex4
import exercise5_kde_apply_async as ex5
from grader.messages import render
from grader.probes.processes import descendant_pids, describe, leftovers

report = {"matplotlib_imported": "matplotlib" in sys.modules, "left_behind": [], "helpers": []}

def run(name, function, *args):
    before = descendant_pids()
    result = function(*args)
    left = leftovers(before)
    report["left_behind"] += [f"{name}: {render(line)}" for line in left.descriptions()]
    report["helpers"] += [render(describe(pid)) for pid in left.helpers]
    return result

report["collect_items"] = run("collect_items", ex4.collect_items, 3)
report["rand_strings"] = run("rand_strings", ex4.rand_strings, 4, 5)
long = run("rand_strings long", ex4.rand_strings, 2, 1_000_000)
report["long_lengths"] = [len(s) for s in long]
report["long_alphabet_ok"] = set("".join(long)) <= set(string.ascii_letters + string.digits)
report["cubes"] = {m: run(f"cubes {m}", ex5.cubes, range(1, 7), 2, m) for m in sys.argv[3:]}
samples = np.random.default_rng(123).standard_normal((200, 2))
x, widths = np.array([[0], [0]]), np.linspace(1.0, 1.2, 5)
as_floats = lambda results: [[float(h), float(p)] for h, p in results]
report["serial"] = as_floats(ex5.serial(samples, x, widths))
report["multiprocess"] = as_floats(run("multiprocess", ex5.multiprocess, 2, samples, x, widths))
print(json.dumps(report))
"""


@pytest.fixture(scope="module", params=["fork", "spawn", "forkserver"])
def solutions_run(request):
    """What the reference solutions returned (and left behind) under one start method."""
    completed = subprocess.run(
        [sys.executable, "-c", _RUN_SOLUTIONS, request.param, str(SOLUTIONS), *POOL_METHODS],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    return request.param, json.loads(completed.stdout)


def test_solutions_leave_no_child_behind(solutions_run):
    method, report = solutions_run
    assert report["left_behind"] == []
    if method == "forkserver":
        assert any("forkserver" in helper for helper in report["helpers"])


def test_solution_exercise4(solutions_run):
    _, report = solutions_run
    assert report["collect_items"] == ["item"] * 3
    strings = report["rand_strings"]
    assert len(strings) == 4 and len(set(strings)) == 4
    assert all(len(s) == 5 and s.isascii() and s.isalnum() for s in strings)
    assert report["long_lengths"] == [1_000_000, 1_000_000]
    assert report["long_alphabet_ok"]


def test_solution_exercise5(solutions_run):
    _, report = solutions_run
    assert report["matplotlib_imported"] is False
    assert report["cubes"] == {m: [1, 8, 27, 64, 125, 216] for m in POOL_METHODS}
    assert report["multiprocess"] == report["serial"]
    assert [h for h, _ in report["multiprocess"]] == sorted(h for h, _ in report["serial"])


def _load_solution(name: str):
    spec = importlib.util.spec_from_file_location(f"solution_{name}", SOLUTIONS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(
    "module, call, argument",
    [
        ("exercise4_list_in_process", lambda m: m.collect_items(0), "n_processes"),
        ("exercise4_list_in_process", lambda m: m.rand_strings(0, 5), "count"),
        ("exercise4_list_in_process", lambda m: m.rand_strings(1, -1), "length"),
        ("exercise5_kde_apply_async", lambda m: m.cubes([1], 0), "processes"),
        ("exercise5_kde_apply_async", lambda m: m.cubes([1], 1, "imap"), "imap"),
        ("exercise5_kde_apply_async", lambda m: m.multiprocess(0, None, None, []), "processes"),
    ],
)
def test_solutions_reject_invalid_arguments(module, call, argument):
    with pytest.raises(ValueError, match=argument):
        call(_load_solution(module))


def test_plot_benchmarks_returns_a_figure_and_writes_a_png(tmp_path):
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    ex5 = _load_solution("exercise5_kde_apply_async")
    path = tmp_path / "benchmarks.png"
    figure = ex5.plot_benchmarks({"serial": 1.0, "2": 0.6, "4": 0.5}, path)
    assert isinstance(figure, Figure)
    axes = figure.axes[0]
    assert axes.get_xlabel() and axes.get_ylabel()
    assert path.read_bytes().startswith(b"\x89PNG")
