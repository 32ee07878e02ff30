"""Hostile submissions against the runner's containment: forged verdicts, a killed supervisor,
processes that detach themselves, the grader's environment, output floods, memory, the network.

Each is exercise1's reference solution whose `count_with_lock` runs an attack before it counts, graded
through the real `grade` command: the attacked checks earn nothing (status `error`, reason
`tampered` where the attack was caught), every other check is graded as for the reference, and the
run always ends with a report. Every fixture is bounded, so that a failing test cannot take the
machine down.
"""
from __future__ import annotations

import json
import os
import pwd
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from conftest import ROOT, VARIANTS, run_grade
from grader.catalog import load_catalog
from grader.confinement import PRIVATE_UIDS, private_uid
from grader.messages import Message, render
from grader.runner import run_checks
from grader.sandbox import Limits

EXERCISE = load_catalog()["exercise1"]
REFERENCE = (ROOT / "solutions" / EXERCISE.module).read_text(encoding="utf-8")
ATTACKED = {spec.name for spec in EXERCISE.checks if spec.target == "count_with_lock"}
CHECK_NAMES = [spec.name for spec in EXERCISE.checks]


def with_attack(attack: str) -> str:
    """The reference solution whose count_with_lock runs `attack` first."""
    body = textwrap.indent(textwrap.dedent(attack).strip(), "    ")
    return (REFERENCE + "\n\n_honest_count_with_lock = count_with_lock\n\n\n"
            "def count_with_lock(n_threads=10, increments=1):\n"
            f"{body}\n"
            "    return _honest_count_with_lock(n_threads, increments)\n")


FORGED_LINES = f"""
    import json as _json
    _lines = b"".join((_json.dumps({{"event": "result", "check": name, "data": {{"status": "passed",
        "points": 99, "feedback": ""}}}}) + "\\n").encode() for name in {CHECK_NAMES!r})
"""

FORGERIES = {
    "fd_from_the_command_line_then_os_exit": FORGED_LINES + """
    import os, sys
    os.write(int(sys.argv[sys.argv.index("--events-fd") + 1]), _lines)
    os._exit(0)
    """,
    "every_descriptor_then_sys_exit": FORGED_LINES + """
    import os, sys
    for _fd in range(3, 1024):
        try:
            os.write(_fd, _lines)
        except OSError:
            pass
    sys.exit(0)
    """,
    "pipes_found_in_proc_then_a_signal_to_itself": FORGED_LINES + """
    import os, signal
    for _name in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{_name}").startswith("pipe:"):
                os.write(int(_name), _lines)
        except OSError:
            pass
    os.kill(os.getpid(), signal.SIGKILL)
    """,
}


# Every check but the slowest one untouched by the attacks (the printing order under forced thread
# switches, two seconds of tracing): the attacks aim at count_with_lock, and the other checks of
# count_with_queue show as well that the rest of the run is left intact.
GRADED = ",".join(name for name in CHECK_NAMES if name != "test_count_with_queue_prints_1_to_n_in_order")
ONE_ATTACKED = "test_count_with_lock_returns_every_increment"
UNATTACKED = [name for name in GRADED.split(",") if name not in ATTACKED]


def _grade(tmp_path, source: str, *extra: str, env: dict | None = None, checks: str = GRADED):
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    (folder / EXERCISE.module).write_text(source, encoding="utf-8")
    return run_grade("1", "--path", str(folder), "--format", "json", "--include-hidden", "--check", checks,
                     *extra, env=env)


def _assert_only_the_attacked_checks_lose(graded) -> dict:
    checks = {c["name"]: c for c in graded.report["exercises"][0]["checks"]}
    for name, check in checks.items():
        if name in ATTACKED:
            assert check["points"] == 0, check
        else:
            assert check["status"] == "passed", check
    return checks


@pytest.mark.parametrize("attack", FORGERIES)
def test_forged_verdicts_are_refused_and_flagged(attack, tmp_path):
    graded = _grade(tmp_path, with_attack(FORGERIES[attack]))
    checks = _assert_only_the_attacked_checks_lose(graded)
    assert {checks[name]["status"] for name in ATTACKED} == {"error"}
    assert "tampered" in {checks[name]["reason"] for name in ATTACKED}
    assert graded.report["score"] < 99


def test_killing_the_supervising_process_still_gives_a_report(tmp_path):
    graded = _grade(tmp_path, with_attack("""
        import os, signal
        os.kill(os.getppid(), signal.SIGKILL)
    """))
    assert graded.exit_code in (0, 1)
    checks = {c["name"]: c for c in graded.report["exercises"][0]["checks"]}
    assert all(checks[name]["status"] == "passed" for name in checks if name not in ATTACKED)


def _processes_with(marker: str) -> list[str]:
    found = []
    for entry in os.scandir("/proc"):
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as cmdline:
                if marker.encode() in cmdline.read():
                    found.append(entry.name)
        except OSError:
            continue
    return found


def test_processes_that_detach_themselves_end_with_the_run(tmp_path):
    marker = "607.25"
    graded = _grade(tmp_path, with_attack(f"""
        import subprocess
        for _ in range(3):
            subprocess.Popen(["setsid", "sleep", "{marker}"], start_new_session=True)
    """))
    assert graded.report["score"] == graded.report["max_score"]
    assert _processes_with(marker) == []


def test_the_graders_environment_does_not_reach_the_submission(tmp_path):
    secret = "teacher-token-5f1c2e"
    graded = _grade(tmp_path, with_attack("""
        import os
        raise RuntimeError(" ".join(f"{k}={v}" for k, v in sorted(os.environ.items())))
    """), env={**os.environ, "CI_TOKEN": secret})
    assert secret not in graded.stdout
    assert "HOME=" in graded.check("test_count_with_lock_returns_every_increment")["feedback"]


def test_an_output_flood_is_cut_and_the_report_stays_clean(tmp_path):
    graded = _grade(tmp_path, with_attack("""
        import sys
        for _ in range(200):
            sys.stdout.write("x" * 65536)
    """))
    assert graded.report["score"] == graded.report["max_score"]
    assert len(graded.stdout) < 200_000


def test_a_runaway_allocation_ends_as_the_students_failure(tmp_path):
    """One attacked check, not all of them: each fills the whole memory limit (2 GiB) before it ends,
    about 1.5 s of CPU."""
    graded = _grade(tmp_path, with_attack("""
        hoard = []
        while True:
            hoard.append(bytearray(64 << 20))
    """), checks=",".join([ONE_ATTACKED, *UNATTACKED]))
    attacked = _assert_only_the_attacked_checks_lose(graded)[ONE_ATTACKED]
    assert "Your code raised MemoryError" in attacked["feedback"], attacked
    assert (attacked["status"], attacked["reason"]) == ("failed", "out of memory"), attacked


def test_the_submission_sees_only_the_loopback_interface(tmp_path):
    graded = _grade(tmp_path, with_attack("""
        import socket
        raise RuntimeError("interfaces: " + ",".join(name for _, name in socket.if_nameindex()))
    """))
    if "network" not in graded.report["sandbox"]["active"]:
        pytest.skip(f"no network namespace here: {graded.report['sandbox']['skipped'].get('network')}")
    feedback = graded.check("test_count_with_lock_returns_every_increment")["feedback"]
    assert "interfaces: lo." in feedback

REACHING_IN = {
    "replaces_the_event_writer_through_sys_modules": """
        import sys
        _events = sys.modules["grader.events"]
        _send = _events.EventWriter.send
        def _forging_send(self, event):
            if event.kind == "result":
                event.data.update(status="passed", feedback="")
            _send(self, event)
        _events.EventWriter.send = _forging_send
    """,
    "replaces_the_verdict_function": """
        import sys
        _plugin = sys.modules["grader.plugin"]
        _plugin.classify = lambda *args, **kwargs: _plugin.Verdict("passed")
    """,
    "lists_every_object_with_gc": """
        import gc
        [obj for obj in gc.get_objects() if type(obj).__name__ == "GraderSession"]
    """,
    "climbs_the_stack_with_sys_getframe": """
        import sys
        sys._getframe(1).f_locals
    """,
    "climbs_the_stack_with_inspect": """
        import inspect
        inspect.currentframe().f_back.f_locals
    """,
    "climbs_the_stack_from_a_traceback": """
        try:
            raise ValueError
        except ValueError as error:
            error.__traceback__.tb_frame.f_back.f_locals
    """,
    "reads_memory_with_ctypes": """
        import ctypes
        ctypes.string_at(id(object()), 8)
    """,
    "switches_off_tracing": """
        import sys
        sys.settrace(None)
    """,
    "replaces_a_check_function_through_sys_modules": """
        import sys
        sys.modules["grader.checks.exercise1"].observe_call = lambda function, *args, **kwargs: None
    """,
    "follows_references_with_gc_get_referrers": """
        import gc, sys
        gc.get_referrers(sys.modules["grader.plugin"].GraderSession)
    """,
    "switches_off_tracing_in_new_threads": """
        import threading
        threading.settrace(None)
    """,
    # Three threads refused alike: the feedback says it once.
    "switches_off_tracing_in_three_threads": """
        import sys, threading
        def _off():
            sys.settrace(None)
        _threads = [threading.Thread(target=_off) for _ in range(3)]
        for _thread in _threads:
            _thread.start()
        for _thread in _threads:
            _thread.join()
    """,
    "switches_off_tracing_with_a_thread_target": """
        import sys, threading
        _thread = threading.Thread(target=threading.settrace, args=(None,))
        _thread.start()
        _thread.join()
    """,
    # The standard library calls these for the submission: the objects still never reach it.
    "finds_objects_through_an_executor": """
        import gc
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(1) as _executor:
            _executor.submit(gc.get_objects).result()
    """,
    "finds_frames_through_a_thread": """
        import sys, threading
        _thread = threading.Thread(target=sys._current_frames)
        _thread.start()
        _thread.join()
    """,
    "puts_back_the_real_lock": """
        import _thread, threading
        threading.Lock = _thread.allocate_lock
    """,
    # Signal 0 sends nothing: were the guard to let it through, no process would be harmed.
    "signals_every_process": """
        import os
        os.kill(-1, 0)
    """,
    "signals_its_own_process_group": """
        import os
        os.killpg(0, 0)
    """,
    "rewrites_the_graders_files": """
        import pathlib, sys
        for _path in pathlib.Path(sys.modules["grader"].__file__).parent.rglob("*.py"):
            _path.write_text("raise SystemExit(0)\\n")
    """,
}


@pytest.mark.parametrize("attack", REACHING_IN)
def test_reaching_into_the_grader_is_refused_and_flagged(attack, tmp_path):
    import grader
    package = Path(grader.__file__).parent
    before = {path: path.read_bytes() for path in package.rglob("*.py")}
    graded = _grade(tmp_path, with_attack(REACHING_IN[attack]))
    checks = _assert_only_the_attacked_checks_lose(graded)
    assert {checks[name]["status"] for name in ATTACKED} == {"error"}
    assert {checks[name]["reason"] for name in ATTACKED} == {"tampered"}
    for name in ATTACKED:
        said = checks[name]["feedback"].splitlines()
        assert len(said) == len(set(said)), f"a line said twice: {checks[name]['feedback']}"
    assert {path: path.read_bytes() for path in package.rglob("*.py")} == before


def test_hundreds_of_processes_are_capped_and_none_is_left(tmp_path):
    marker = "608.25"
    graded = _grade(tmp_path, with_attack(f"""
        import subprocess
        _started, _refused = 0, "nothing"
        for _ in range(400):
            try:
                subprocess.Popen(["sleep", "{marker}"])
                _started += 1
            except OSError as problem:
                _refused = type(problem).__name__
                break
        raise RuntimeError(f"started {{_started}}, then {{_refused}}")
    """))
    assert graded.report["exercises"][0]["checks"]
    assert _processes_with(marker) == []
    _active_or_skip(graded, "processes")
    feedback = graded.check("test_count_with_lock_returns_every_increment")["feedback"]
    started = int(re.search(r"started (\d+), then BlockingIOError", feedback).group(1))
    assert started < 256


@pytest.mark.slow
def test_an_endless_thread_does_not_keep_the_run_alive(tmp_path):
    graded = _grade(tmp_path, with_attack("""
        import threading
        threading.Thread(target=lambda: threading.Event().wait()).start()
    """))
    checks = {c["name"]: c for c in graded.report["exercises"][0]["checks"]}
    assert all(c["status"] != "error" for name, c in checks.items() if name not in ATTACKED)


def _active_or_skip(graded, layer: str) -> None:
    sandbox = graded.report["sandbox"]
    if layer not in sandbox["active"]:
        pytest.skip(f"the {layer} layer is not active here: {sandbox['skipped'].get(layer)}")


def test_the_submission_runs_as_an_unprivileged_user(tmp_path):
    graded = _grade(tmp_path, with_attack("""
        import os
        raise RuntimeError(f"uid={os.getuid()} euid={os.geteuid()} gid={os.getgid()}")
    """))
    _active_or_skip(graded, "user")
    nobody = pwd.getpwnam("nobody")
    feedback = graded.check("test_count_with_lock_returns_every_increment")["feedback"]
    uid, euid, gid = (int(n) for n in re.search(r"uid=(\d+) euid=(\d+) gid=(\d+)", feedback).groups())
    assert uid == euid and (uid in PRIVATE_UIDS or uid == nobody.pw_uid) and gid == nobody.pw_gid, feedback
    _assert_only_the_attacked_checks_lose(graded)


def test_the_unprivileged_user_cannot_open_the_graders_files_nor_the_submission_for_writing(tmp_path):
    """A shell started by the submission is not watched by the grader's audit hook: what stops it is
    the user's own permissions. `true >> file` opens for appending and writes nothing."""
    import grader
    targets = [Path(grader.__file__).parent / "report.py", tmp_path / "submission" / EXERCISE.module]
    script = "; ".join(f"true >> {target} && echo OPENED {target}" for target in targets)
    graded = _grade(tmp_path, with_attack(f"""
        import subprocess
        _done = subprocess.run(["sh", "-c", {script!r}], capture_output=True, text=True)
        raise RuntimeError("shell said: " + _done.stdout + _done.stderr)
    """))
    _active_or_skip(graded, "user")
    feedback = graded.check("test_count_with_lock_returns_every_increment")["feedback"]
    assert "OPENED" not in feedback
    assert feedback.count("Permission denied") == len(targets)


def _grade_as_nobody(source: str) -> subprocess.CompletedProcess:
    """`grade 1 --sandbox` run by the unprivileged user, on a submission it can read."""
    if os.geteuid() != 0:
        pytest.skip("only root can run the grader as another user")
    try:
        probe = subprocess.run([sys.executable, "-c", "import grader, numpy, pytest"], user="nobody",
                               group="nogroup", extra_groups=[], cwd="/", capture_output=True, text=True)
    except PermissionError as problem:  # the interpreter itself, under a private home such as /root
        pytest.skip(f"nobody cannot run this interpreter: {problem}")
    if probe.returncode != 0:
        pytest.skip(f"nobody cannot run this interpreter: {probe.stderr.strip()[-200:]}")
    folder = Path(tempfile.mkdtemp(prefix="grader-test-"))
    try:
        folder.chmod(0o755)
        (folder / EXERCISE.module).write_text(source, encoding="utf-8")
        return subprocess.run([sys.executable, "-m", "grader", "1", "--path", str(folder), "--format", "json",
                               "--include-hidden", "--sandbox"], user="nobody", group="nogroup",
                              extra_groups=[], cwd="/", capture_output=True, text=True, timeout=240,
                              env={"PATH": os.environ.get("PATH", os.defpath), "LANG": "C.UTF-8"})
    finally:
        shutil.rmtree(folder)


def test_without_root_the_privileged_layers_are_skipped_and_listed(tmp_path):
    """A student's laptop: no root, no writable cgroups. The run still reaps what the submission
    left behind, and `--sandbox` says what protected it and what did not."""
    marker = "609.25"
    done = _grade_as_nobody(with_attack(f"""
        import subprocess
        subprocess.Popen(["setsid", "sleep", "{marker}"], start_new_session=True)
    """))
    report = json.loads(done.stdout)
    assert report["score"] == report["max_score"]
    assert _processes_with(marker) == []
    skipped = report["sandbox"]["skipped"]
    assert skipped["network"] == "a network namespace needs root"
    assert skipped["user"] == "already unprivileged"
    assert {"pids", "memory", "processes"} <= set(skipped)
    assert {"reaper", "memory", "cpu time", "output", "environment"} <= set(report["sandbox"]["active"])
    assert "off  network: a network namespace needs root" in done.stderr
    assert "on   reaper:" in done.stderr


def test_clearing_threadings_trace_hook_no_longer_hides_a_race(tmp_path):
    """`threading._trace_hook` cleared directly (no function call the grader could refuse) used to
    start the threads untraced; the tracer now reaches new threads through its own start-up, so the
    racy counter's lost updates still show."""
    racy = (VARIANTS / "exercise1" / "no_lock.py").read_text(encoding="utf-8")
    graded = _grade(tmp_path, racy + textwrap.dedent("""

        _racy_count_with_lock = count_with_lock


        def count_with_lock(n_threads=10, increments=1):
            threading._trace_hook = None
            return _racy_count_with_lock(n_threads, increments)
    """))
    check = graded.check("test_count_with_lock_keeps_every_increment_when_threads_switch")
    assert (check["status"], check["reason"]) == ("failed", ""), check


def test_threads_started_with_the_original_start_up_are_caught(tmp_path):
    """The thread start-up saved at import, before any check, and put back during the call: the
    racy counter's threads then run untraced and would keep every increment. The threads that ran
    the student's code unseen by the tracer are the evidence."""
    racy = (VARIANTS / "exercise1" / "no_lock.py").read_text(encoding="utf-8")
    graded = _grade(tmp_path, racy + textwrap.dedent("""

        _racy_count_with_lock = count_with_lock
        _plain_start_up = threading.Thread._bootstrap_inner


        def count_with_lock(n_threads=10, increments=1):
            threading.Thread._bootstrap_inner = _plain_start_up
            return _racy_count_with_lock(n_threads, increments)
    """))
    check = graded.check("test_count_with_lock_keeps_every_increment_when_threads_switch")
    assert (check["status"], check["reason"]) == ("error", "tampered"), check
    assert "without the grader's tracing" in check["feedback"]
    # The evidence is a message like the rest of the feedback, so that it reads in the student's language.
    in_russian = render(Message.from_data(check["message"][0]), "ru")
    assert "без трассировки проверяющей системы" in in_russian and "tracing" not in in_russian


def _run_one_check(tmp_path, source: str, check: str, limits: Limits):
    """One check of exercise1 graded by the runner itself, under `limits`."""
    folder = tmp_path / "submission"
    folder.mkdir(exist_ok=True)
    (folder / EXERCISE.module).write_text(source, encoding="utf-8")
    layers: dict = {}
    spec = EXERCISE.check(check)
    return run_checks(EXERCISE, folder, [spec], limits=limits, layers=layers)[check], layers


def test_a_cpu_burning_loop_is_stopped_by_the_cpu_time_limit(tmp_path):
    """The check's own time limit is far longer than the CPU limit given here: what ends the loop is
    RLIMIT_CPU, and the verdict says so."""
    result, _ = _run_one_check(tmp_path, with_attack("""
        while True:
            pass
    """), "test_count_with_lock_returns_every_increment", Limits(cpu_seconds=3))
    assert (result.status, result.reason) == ("error", "timed out"), result
    assert "3 s of CPU time" in result.feedback


def test_the_memory_cgroup_killing_the_child_ends_as_out_of_memory(tmp_path):
    """Two children of 250 MiB each stay under the per-process limit (RLIMIT_DATA) but not under the
    cgroup's 400 MiB for all of them; the grading process, once they are started, offers itself to the
    OOM killer first."""
    result, layers = _run_one_check(tmp_path, with_attack("""
        import subprocess, sys
        hog = "import time; time.sleep(0.5); b = b'x' * (250 << 20); time.sleep(60)"
        hogs = [subprocess.Popen([sys.executable, "-c", hog]) for _ in range(2)]
        with open("/proc/self/oom_score_adj", "w") as adj:
            adj.write("1000")
        for hog in hogs:
            hog.wait()
    """), "test_count_with_lock_returns_every_increment", Limits(memory_bytes=400 << 20))
    if "memory (all processes)" not in layers["active"]:
        pytest.skip(f"no memory cgroup here: {layers['skipped'].get('memory')}")
    assert (result.status, result.reason) == ("error", "out of memory"), result
    assert "400 MiB" in result.feedback


def test_clocks_wound_back_do_not_hide_busy_waiting(tmp_path):
    """exercise1's busy-wait check reads how long its threads ran or waited to run while the printer
    waits, with the kernel's counts read by functions taken before the student's import: a
    submission that stops every clock of `time` fools only itself (exercise5's speedup has its own
    variant of this, clock_patched_to_fake_a_speedup)."""
    busy = (VARIANTS / "exercise1" / "queue_busy_wait.py").read_text(encoding="utf-8")
    graded = _grade(tmp_path, busy + textwrap.dedent("""

        for _name in ("process_time", "perf_counter", "monotonic", "time", "thread_time"):
            setattr(time, _name, lambda: 0.0)
    """))
    check = graded.check("test_count_with_queue_does_not_busy_wait")
    assert (check["status"], check["reason"]) == ("failed", ""), check
    assert "busy" in check["feedback"]


def test_output_written_past_pytests_capture_is_cut_and_the_report_says_so(tmp_path):
    """pytest captures what a check prints; a submission that writes to the process's real output
    pipes (every pipe but the event pipe, whose number the command line shows) reaches the keeper,
    which keeps 1 MiB of each and says it cut the rest."""
    graded = _grade(tmp_path, with_attack("""
        import os, stat, sys
        _events = int(sys.argv[sys.argv.index("--events-fd") + 1])
        for _name in os.listdir("/proc/self/fd"):
            _fd = int(_name)
            try:
                if _fd > 2 and _fd != _events and stat.S_ISFIFO(os.fstat(_fd).st_mode):
                    for _ in range(24):
                        os.write(_fd, b"y" * 65536)
            except OSError:
                pass
    """))
    assert graded.report["score"] == graded.report["max_score"]
    assert "1024 KiB" in graded.report["sandbox"]["output_cut"]


def test_gradings_side_by_side_run_as_users_of_their_own():
    """The process cap counts a user's processes machine-wide: two keepers alive at once never share
    an id (their pids differ, and the ids follow the pids through a range larger than a batch's jobs)."""
    assert len({private_uid(pid) for pid in range(1000, 1064)}) == 64
    assert all(private_uid(pid) in PRIVATE_UIDS for pid in (1, 4_194_304))
