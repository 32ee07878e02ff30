"""Running a batch's jobs on a Dask cluster (`grade batch ... --scheduler tcp://HOST:8786`).

Each job is one `Client.submit` of the same `grade` function the local pool runs; the job carries
its files, so a worker needs the grader installed, not the submissions. Results come back to the
machine that runs `grade batch`, which keeps the store and the outputs, so resuming works the same.

Worker resources are plain counters: every worker is started with `--resources cores=N` (its cores),
every grading asks for `cores=1`, and a grading with a timing check asks for as many cores as the
largest worker has, so that nothing else runs on that worker beside it.
"""
from __future__ import annotations

from dataclasses import dataclass

from grader.batch.executor import Done
from grader.batch.grading import grade, grader_failed
from grader.batch.jobs import Job
from grader.messages import msg
from grader.usage import UsageError

CONNECT_TIMEOUT = "20s"
RESOURCE = "cores"


def _client(address: str):
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(msg("usage.batch.needs_dask")) from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as problem:
        raise UsageError(msg("usage.batch.cannot_connect", address=address, problem=str(problem))) from None


def worker_cores(client) -> list[float]:
    """The `cores` resource of every worker of the cluster."""
    workers = client.scheduler_info().get("workers", {})
    return [float(info.get("resources", {}).get(RESOURCE, 0)) for info in workers.values()]


@dataclass
class DaskExecutor:
    """Jobs submitted to the Dask scheduler at `address`."""

    address: str

    def run(self, jobs: list[Job], done: Done) -> None:
        from distributed import as_completed

        client = _client(self.address)
        try:
            cores = worker_cores(client)
            if not cores or min(cores) < 1:
                raise UsageError(msg("usage.batch.workers_without_cores", address=self.address, resource=RESOURCE,
                                     found=", ".join(map(str, cores)) or "-"))
            alone = max(cores)
            futures = {client.submit(grade, job, pure=False,
                                     resources={RESOURCE: alone if job.timing else 1}): job for job in jobs}
            for future in as_completed(futures):
                job = futures[future]
                try:
                    result = future.result()
                except Exception as problem:  # noqa: BLE001 - a lost worker or task: this job's row
                    result = grader_failed(job, problem)
                done(job, result)
        finally:
            client.close()
