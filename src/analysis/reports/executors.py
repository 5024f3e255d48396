"""Where the batch runs each team's report: in this process, a pool of local processes, or a
Dask distributed cluster (DASK_SCHEDULER=tcp://host:port). The same function, the same
arguments and the same results (and failures) from all three; the progress bar sees no
difference. docs/cluster.md says how to run the Dask path on a cluster.

Tasks are started in the order given (the batch gives the most expensive first, so the longest
reports do not run alone at the end). On a cluster each task declares the memory its kernel
needs (`memory`, bytes) as the Dask resource `report_memory`, which workers started with
`--resources report_memory=<bytes>` offer: such a worker runs as many reports at once as fit.
A task whose worker died is run once more, alone; a second death fails it alone. `cpu_seconds`
measures the CPU time the work used, in every process and kernel, wherever it ran.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from analysis.reports.progress import Progress

__all__ = ["fan_out", "cpu_seconds", "RESOURCE"]

RESOURCE = "report_memory"  # the Dask resource a report's kernel takes (bytes)


def fan_out(
    fn: Callable[..., Any],
    tasks: list[tuple[Any, dict]],
    jobs: int,
    bar: Progress,
    *,
    scheduler: str | None = None,
    failed: Callable[[Any, str], Any],
    memory: Callable[[Any], float] | None = None,
    cpu: list[float] | None = None,
) -> list:
    """fn(item, **kwargs) for every (item, kwargs) task, started in that order; fn itself never
    raises (it returns its failures). `failed(item, message)` makes the result of a task that
    did not come back at all (a worker that died twice, a task that raised on a Dask worker).
    Results come back in the order they finish. On a cluster, `memory(item)` is the bytes the
    task's kernel needs (module doc). `cpu`, when given, gets the CPU seconds the tasks used
    appended (`cpu_seconds`; all workers' on a cluster)."""
    if scheduler:
        return _dask(fn, tasks, bar, scheduler, failed, memory, cpu)
    before = cpu_seconds()
    if jobs == 1:
        results = []
        for item, kw in tasks:
            bar.started()
            results.append(fn(item, **kw))
            bar.finished(results[-1])
    else:
        results = _local(fn, tasks, jobs, bar, failed)
    if cpu is not None:  # the pool's processes have exited: their CPU (and their kernels') counts
        cpu.append(cpu_seconds() - before)
    return results


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and of every child process it has waited for
    (pool workers, Jupyter kernels: each kernel is waited for when it shuts down)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


# spawn, not fork: the batch process has threads by now (pyarrow's pool, BLAS, zmq), and a child
# forked while one of them holds a lock can hang forever (seen in bench-report)
_SPAWN = mp.get_context("spawn")
WORKER_DIED = (
    "the worker process running this report died twice (killed, or out of memory: try fewer "
    "JOBS, or on a cluster more memory per worker or a larger REPORT_MEMORY_GB); the other "
    "reports were published"
)


def _local(fn, tasks, jobs: int, bar: Progress, failed) -> list:
    """A pool of `jobs` processes. A worker that dies (the out-of-memory killer, kill -9) breaks
    the whole pool and every task still in it: those tasks run again, each in a fresh process of
    its own, so the one whose worker dies again fails alone and the others are published."""
    results, again = [], []
    with ProcessPoolExecutor(max_workers=jobs, mp_context=_SPAWN) as pool:
        futures = {pool.submit(fn, item, **kw): (item, kw) for item, kw in tasks}
        for _ in range(min(jobs, len(futures))):
            bar.started()
        for fut in as_completed(futures):
            try:
                result = fut.result()
            except BrokenProcessPool:
                again.append(futures[fut])
                bar.stopped()
            else:
                results.append(result)
                bar.finished(result)
            if bar.done + bar.running + len(again) < len(futures):
                bar.started()
    for item, kw in again:  # one at a time, each alone: only the culprit can die now
        bar.started()
        try:
            with ProcessPoolExecutor(max_workers=1, mp_context=_SPAWN) as alone:
                result = alone.submit(fn, item, **kw).result()
        except BrokenProcessPool:
            result = failed(item, WORKER_DIED)
        results.append(result)
        bar.finished(result)
    return results


def _dask(fn, tasks, bar: Progress, scheduler: str, failed, memory, cpu) -> list:
    """One task per item on the cluster at `scheduler`; the workers need this environment and
    the same paths (data, params, build and reports folders on a shared filesystem)."""
    from distributed import Client, KilledWorker
    from distributed import as_completed as completed

    run = uuid.uuid4().hex[:8]
    results = []
    with Client(scheduler, timeout="30s") as client:
        offered = _declared_memory(client) if memory is not None else {}
        largest = max(offered.values(), default=0.0)
        before = client.run(cpu_seconds)
        failures = _allow_one_failure(client)
        try:
            futures = {}

            def submit(i: int, item, kw: dict, attempt: int):
                extra = {}
                if offered:  # a report larger than every worker's limit runs alone on the largest
                    extra["resources"] = {RESOURCE: min(float(memory(item)), largest)}
                key = f"{fn.__name__}-{run}-{i}-{attempt}"
                fut = client.submit(fn, item, key=key, pure=False, **extra, **kw)
                futures[fut] = (i, item, kw)
                return fut

            def outcome(fut, item):
                try:
                    return fut.result()
                except KilledWorker:
                    return None
                except Exception as exc:  # it raised there
                    return failed(item, f"Dask: {type(exc).__name__}: {exc}")
                finally:  # forgotten by the cluster: a worker that dies later holding this
                    futures.pop(fut, None)  # result must not make Dask render it again
                    fut.release()

            for i, (item, kw) in enumerate(tasks):
                submit(i, item, kw, 0)
                bar.started()
            again = []
            for fut in completed(list(futures)):
                i, item, kw = futures[fut]
                result = outcome(fut, item)
                if result is None:  # its worker died, maybe with another's culprit: again, alone
                    again.append((i, item, kw))
                    bar.stopped()
                    continue
                results.append(result)
                bar.finished(result)
            for i, item, kw in again:
                bar.started()
                fut = submit(i, item, kw, 1)
                result = outcome(fut, item) or failed(item, WORKER_DIED)
                results.append(result)
                bar.finished(result)
            if cpu is not None:  # a worker started during the run counts whole; one that died, not
                after = client.run(cpu_seconds)
                cpu.append(
                    sum(
                        t - before.get(w, 0.0) if t >= before.get(w, 0.0) else t
                        for w, t in after.items()
                    )
                )
        finally:
            _restore_failures(client, failures)
    return results


def _declared_memory(client) -> dict[str, float]:
    """Worker address -> the `RESOURCE` it declares (bytes), for the workers started with
    `--resources report_memory=<bytes>`; empty when none is (then a worker runs one report per
    thread, as before). Declared at start, the resource comes back with a worker restarted after
    dying; offered by the client instead, it did not, and the reports waiting for it waited for
    ever (Dask does not look again at a task no worker could take when a worker's resources
    change)."""
    workers = client.scheduler_info(n_workers=-1)["workers"]
    return {
        addr: float(w["resources"][RESOURCE])
        for addr, w in workers.items()
        if RESOURCE in (w.get("resources") or {})
    }


def _allow_one_failure(client) -> int | None:
    """Dask reschedules a task whose worker died up to `allowed_failures` times (3 by default: a
    report that runs out of memory would take 4 workers down with it, and every task waiting on
    those workers would count the deaths too). For this batch it is 0: a task on a worker that
    died comes back at once, and `_dask` runs it once more, alone, so only the culprit dies
    twice. The old value is returned, to be restored."""

    def swap(dask_scheduler):
        old = dask_scheduler.allowed_failures
        dask_scheduler.allowed_failures = 0
        return old

    try:
        return client.run_on_scheduler(swap)
    except Exception:  # a scheduler that does not let clients run code: its own setting stands
        return None


def _restore_failures(client, old: int | None) -> None:
    if old is None:
        return

    def restore(dask_scheduler):
        dask_scheduler.allowed_failures = old

    with contextlib.suppress(Exception):
        client.run_on_scheduler(restore)
