"""Watching `multiprocessing.pool.Pool` use during one call: which pools, which methods, in what order.

`watch_pools()` wraps the methods of `multiprocessing.pool.Pool` (so `ThreadPool`, a subclass, too)
and `ApplyResult.get`/`wait`. It records the methods the caller itself used (not those a method uses
internally: `apply` is `apply_async(...).get()`), when each submitted result was awaited and when the
caller learnt it was finished, and whether each pool was closed and joined. It keeps every pool it saw alive until the block ends: a pool
left running would otherwise be torn down by the garbage collector the moment the call returns, hiding
the leak. `finish_pools` then ends any pool the call left running.
"""
from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing import pool as mp_pool
from typing import Iterator

from grader.messages import msg
from grader.probes.patches import check_still_installed

COMPUTE_METHODS = ("apply", "apply_async", "map", "map_async", "imap", "imap_unordered", "starmap",
                   "starmap_async")
LIFECYCLE_METHODS = ("close", "join", "terminate")
_ORIGINALS = {name: getattr(mp_pool.Pool, name) for name in ("__init__", *COMPUTE_METHODS, *LIFECYCLE_METHODS)}
_ORIGINAL_GET = mp_pool.ApplyResult.get
_ORIGINAL_WAIT = mp_pool.ApplyResult.wait


@dataclass
class PoolRecord:
    """One pool opened during the watched call and what the caller did with it."""

    pool: mp_pool.Pool
    processes_argument: object
    workers: int
    calls: list[str] = field(default_factory=list)
    # ("submit", result id), ("await", result id) and ("done", result id: a get() or wait() returned
    # with the result ready) in the order they happened.
    events: list[tuple[str, int]] = field(default_factory=list)

    @property
    def uses_threads(self) -> bool:
        return isinstance(self.pool, mp_pool.ThreadPool)

    def count(self, method: str) -> int:
        return self.calls.count(method)

    def submitted_before_first_await(self) -> int:
        """How many apply_async results were submitted before the first one was awaited."""
        submitted = 0
        for kind, _ in self.events:
            if kind == "await":
                return submitted
            submitted += 1
        return submitted

    def most_in_flight(self) -> int:
        """The most apply_async results ever submitted and not yet known to be finished: at most that
        many tasks can have been computed at the same time. (A task may finish before the caller
        learns it, so the true number can be lower, never higher.)"""
        pending: set[int] = set()
        most = 0
        for kind, key in self.events:
            if kind == "submit":
                pending.add(key)
                most = max(most, len(pending))
            elif kind == "done":
                pending.discard(key)
        return most

    def one_task_at_a_time(self) -> bool:
        """Whether the caller never gave the pool a second task before the first had finished: it
        used only the blocking `apply`, or only `apply_async` waiting for each result before the next
        submission. Such a pool computes like a serial loop, whatever its number of workers."""
        used = {name for name in COMPUTE_METHODS if self.count(name)}
        if used == {"apply"}:
            return True
        return used == {"apply_async"} and self.most_in_flight() <= 1

    @property
    def submissions(self) -> int:
        return sum(1 for kind, _ in self.events if kind == "submit")

    @property
    def closed(self) -> bool:
        return "close" in self.calls or "terminate" in self.calls

    @property
    def joined(self) -> bool:
        """Joined after being closed, or terminated (terminate joins the workers itself)."""
        if "terminate" in self.calls:
            return True
        return "close" in self.calls and "join" in self.calls[self.calls.index("close"):]

    def worker_pids(self) -> set[int]:
        return {p.pid for p in getattr(self.pool, "_pool", []) if getattr(p, "pid", None)}


@dataclass
class PoolLog:
    """Every pool the watched call opened."""

    pools: list[PoolRecord] = field(default_factory=list)

    def process_pools(self) -> list[PoolRecord]:
        return [p for p in self.pools if not p.uses_threads]

    def calls(self, method: str) -> int:
        return sum(p.count(method) for p in self.pools)


def _record_of(log: PoolLog, pool) -> PoolRecord | None:
    return next((r for r in log.pools if r.pool is pool), None)


@contextmanager
def watch_pools() -> Iterator[PoolLog]:
    """Record the pools opened and the pool methods called while the block runs."""
    log = PoolLog()
    local = threading.local()
    submitted: dict[int, PoolRecord] = {}

    def outermost() -> bool:
        return getattr(local, "depth", 0) == 0

    def wrap(name):
        original = _ORIGINALS[name]

        def method(self, *args, **kwargs):
            record = _record_of(log, self) if outermost() else None
            if record is not None:
                record.calls.append(name)
            local.depth = getattr(local, "depth", 0) + (name in COMPUTE_METHODS)
            try:
                result = original(self, *args, **kwargs)
            finally:
                local.depth -= name in COMPUTE_METHODS
            if record is not None and name == "apply_async":
                submitted[id(result)] = record
                record.events.append(("submit", id(result)))
            return result
        return method

    def init(self, processes=None, *args, **kwargs):
        _ORIGINALS["__init__"](self, processes, *args, **kwargs)
        log.pools.append(PoolRecord(self, processes, len(getattr(self, "_pool", []))))

    def awaiting(original):
        def method(self, timeout=None):
            record = submitted.get(id(self)) if outermost() else None
            if record is not None:
                record.events.append(("await", id(self)))
            result = original(self, timeout)
            if record is not None and self.ready():
                record.events.append(("done", id(self)))
            return result
        return method

    patches = {name: wrap(name) for name in (*COMPUTE_METHODS, *LIFECYCLE_METHODS)}
    patches["__init__"] = init
    for name, function in patches.items():
        setattr(mp_pool.Pool, name, function)
    mp_pool.ApplyResult.get, mp_pool.ApplyResult.wait = awaiting(_ORIGINAL_GET), awaiting(_ORIGINAL_WAIT)
    try:
        yield log
    finally:
        check_still_installed(mp_pool.Pool, patches, msg("guard.watch.pools"))
        for name, function in _ORIGINALS.items():
            setattr(mp_pool.Pool, name, function)
        mp_pool.ApplyResult.get, mp_pool.ApplyResult.wait = _ORIGINAL_GET, _ORIGINAL_WAIT


# terminate() takes milliseconds; a pool still ending after this is waiting on a dead worker's lock.
_TERMINATE_GRACE_S = 0.5
_TERMINATE_TRIES = 10


def finish_pools(log: PoolLog) -> None:
    """Terminate every pool the call left running, so it cannot disturb what the grader does next."""
    for record in log.pools:
        if record.pool._state == mp_pool.RUN or not record.joined:
            terminate(record.pool)


def terminate(pool: mp_pool.Pool) -> None:
    """`pool.terminate()`, which also ends when a worker died holding one of the pool's locks.

    A worker writes each result under the result queue's lock; killed in the middle of a write
    (terminate() kills workers that are still computing), it never releases it, and terminate() then
    waits for ever on a handler thread that wants to write its own end-of-work mark. When
    terminate() has not ended after a grace period, every worker is killed, so no living worker
    holds a lock, and the locks workers take are freed for the threads that end the pool.
    """
    ending = threading.Thread(target=_ORIGINALS["terminate"], args=(pool,), name="grader-pool-terminate",
                              daemon=True)
    ending.start()
    for _ in range(_TERMINATE_TRIES):
        ending.join(_TERMINATE_GRACE_S)
        if not ending.is_alive():
            return
        _kill_workers(pool)
        _free_worker_locks(pool)


def _kill_workers(pool: mp_pool.Pool) -> None:
    for worker in list(getattr(pool, "_pool", [])):
        if hasattr(worker, "kill") and worker.exitcode is None:
            worker.kill()
            worker.join(_TERMINATE_GRACE_S)


def _free_worker_locks(pool: mp_pool.Pool) -> None:
    """Free the locks a worker takes (reading a task, writing a result), once no worker is alive."""
    for queue, name in (("_inqueue", "_rlock"), ("_outqueue", "_wlock")):
        lock = getattr(getattr(pool, queue, None), name, None)
        if lock is None:
            continue
        # Taken if free, then released: free afterwards whoever held it.
        lock.acquire(False)
        try:
            lock.release()
        except ValueError:
            pass  # a handler thread released it in between: the lock is free, as wanted
