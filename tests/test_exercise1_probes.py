"""The probes exercise1's checks stand on: who printed what during a call, the start pause that
reaches threads running only the standard library, and the steady scheduling of plain calls."""
from __future__ import annotations

import io
import queue
import subprocess
import sys
import threading
import time

import pytest

from conftest import ROOT
from grader.probes import tracing
from grader.probes.observe import observe_call
from grader.probes.prints import watch_prints
from grader.probes.tracing import Preemption, StudentTracer, steady_scheduling


def test_prints_are_forwarded_and_told_apart_by_thread(monkeypatch):
    target = io.StringIO()
    monkeypatch.setattr(sys, "stdout", target)
    with watch_prints() as prints:
        print("from the caller")
        worker = threading.Thread(target=print, args=("from a thread",))
        worker.start()
        worker.join()
    assert target.getvalue() == prints.text() == "from the caller\nfrom a thread\n"
    assert prints.by(threading.current_thread()) == prints.by(worker) == 1
    assert sys.stdout is target


def test_an_observed_call_keeps_only_what_was_printed_before_it_returned(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    seen = observe_call(print, "returned", student_file="<no student file>")
    print("later")
    assert seen.prints.text() == "returned\n"


def test_the_start_pause_reaches_a_thread_whose_target_is_the_standard_library():
    items = queue.Queue()
    preemption = Preemption(seed=0)
    with StudentTracer("<no student file>", preemption):
        started = time.perf_counter()
        putter = threading.Thread(target=items.put, args=(1,))
        putter.start()
        items.get()
        waited = time.perf_counter() - started
        putter.join()
    # A sleep never ends early: the lower bound cannot flicker.
    assert waited >= preemption.start_pause_s


def test_threads_started_in_one_loop_all_wait_until_after_the_last_start():
    ran_at = []
    # A long pause: the loop below must end within it even on a loaded machine.
    preemption = Preemption(seed=0, start_pause_s=0.2)
    with StudentTracer("<no student file>", preemption):
        threads = [threading.Thread(target=lambda: ran_at.append(time.perf_counter())) for _ in range(6)]
        for thread in threads:
            thread.start()
        last_start = time.perf_counter()
        nobody_ran_yet = not ran_at
        for thread in threads:
            thread.join()
    assert nobody_ran_yet
    assert len(ran_at) == 6 and min(ran_at) > last_start


def _pauses_of_a_consumer_that_waited(tmp_path, monkeypatch, preemption: Preemption) -> list[float]:
    """The pauses the tracer made while a student's consumer thread waited in get() and went on."""
    source = tmp_path / "student.py"
    source.write_text("def consume(items, seen):\n    value = items.get()\n    seen.append(value)\n")
    namespace: dict = {}
    exec(compile(source.read_text(), str(source), "exec"), namespace)
    pauses = []
    monkeypatch.setattr(tracing, "_sleep", lambda seconds: (pauses.append(seconds), time.sleep(seconds)))
    items, seen = queue.Queue(), []
    with StudentTracer(str(source), preemption):
        consumer = threading.Thread(target=namespace["consume"], args=(items, seen))
        consumer.start()
        # The consumer blocks in get() for far longer than wake_gap_s before the item comes.
        time.sleep(0.05)
        items.put(1)
        consumer.join()
    assert seen == [1]
    return pauses


def test_a_thread_back_from_a_wait_stalls_before_it_goes_on(tmp_path, monkeypatch):
    preemption = Preemption(seed=0, long_pause_chance=0.0, wake_pause_chance=1.0, wake_pause_s=0.05)
    pauses = _pauses_of_a_consumer_that_waited(tmp_path, monkeypatch, preemption)
    # After get() returned (and after any other gap the machine made): the start hold and the
    # short pauses are all below wake_pause_s.
    assert any(p >= preemption.wake_pause_s for p in pauses)


def test_no_wake_stall_when_it_is_off(tmp_path, monkeypatch):
    pauses = _pauses_of_a_consumer_that_waited(tmp_path, monkeypatch, Preemption(seed=0, long_pause_chance=0.0))
    assert max(pauses) < 2 * Preemption.start_pause_s + 0.001


def test_no_pause_without_preemption_nor_in_the_calling_thread(monkeypatch):
    pauses = []
    monkeypatch.setattr(tracing, "_sleep", pauses.append)
    with StudentTracer("<no student file>", None):
        worker = threading.Thread(target=len, args=((),))
        worker.start()
        worker.join()
    with StudentTracer("<no student file>", Preemption(seed=0)):
        len(())
    assert pauses == []


def test_steady_scheduling_restores_the_switch_interval():
    before = sys.getswitchinterval()
    with steady_scheduling(0.25):
        assert sys.getswitchinterval() == pytest.approx(0.25)
    assert sys.getswitchinterval() == before


def test_a_thread_killed_by_the_tracer_is_a_probe_fault_not_lost_work(tmp_path, monkeypatch):
    from grader.probes import tracing
    from grader.probes.observe import ProbeFault, observe_call
    source = tmp_path / "student.py"
    source.write_text("import threading\n"
                      "def job(box):\n    box.append(1)\n"
                      "def run():\n    box = []\n"
                      "    t = threading.Thread(target=job, args=(box,))\n    t.start()\n    t.join()\n"
                      "    return len(box)\n")
    namespace: dict = {}
    exec(compile(source.read_text(), str(source), "exec"), namespace)

    def broken_delay(self, thread, preemption):
        raise ValueError("tracer bug")
    monkeypatch.setattr(tracing.StudentTracer, "_delay_start", broken_delay)
    with pytest.raises(ProbeFault, match="tracer bug"):
        observe_call(namespace["run"], student_file=str(source), preemption=tracing.Preemption(seed=0))


# Run in a child of its own: an audit hook stays for the rest of its process's life.
_STARTING_TOGETHER = '''
import importlib.util, sys, time
from grader.probes.tracing import StudentTracer

def slow_audit(event, args):
    # The grader's own audit hook is Python code too: it lets another thread in while one is
    # installing its trace function. Sleeping there makes that moment long instead of rare.
    if event == "sys.settrace":
        time.sleep(0.001)

sys.addaudithook(slow_audit)
spec = importlib.util.spec_from_file_location("student", sys.argv[1])
student = importlib.util.module_from_spec(spec)
spec.loader.exec_module(student)
unseen = wrong = 0
for _ in range(10):
    with StudentTracer(sys.argv[1]) as log:
        threads, results = student.start_many(8)
    unseen += sum(not log.ran_student_code(thread) for thread in threads)
    wrong += results != list(range(8))
print(unseen, wrong)
'''


def test_threads_starting_together_are_all_traced_and_all_run(tmp_path):
    """Up to 3.11 the interpreter refuses a trace function installed while another thread is still
    installing one, and a thread refused at start-up dies before its target runs: a correct counter
    then lost a worker's increments, or was called tampered, on a busy machine."""
    student = tmp_path / "student.py"
    student.write_text("import threading\n"
                       "def work(results, i):\n    results[i] = i\n"
                       "def start_many(n):\n    results = [None] * n\n"
                       "    threads = [threading.Thread(target=work, args=(results, i)) for i in range(n)]\n"
                       "    for thread in threads:\n        thread.start()\n"
                       "    for thread in threads:\n        thread.join()\n"
                       "    return threads, results\n")
    done = subprocess.run([sys.executable, "-c", _STARTING_TOGETHER, str(student)], capture_output=True,
                          text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "0"], done.stderr[-2000:]
