"""Where the batch runs each team's report: in this process, a pool of local processes, or a
Dask distributed cluster (DASK_SCHEDULER=tcp://host:port). The same function, the same
arguments and the same results (and failures) from all three; the progress bar sees no
difference. docs/cluster.md says how to run the Dask path on a cluster.
"""

from __future__ import annotations

import multiprocessing as mp
import uuid
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from analysis.reports.progress import Progress

__all__ = ["fan_out"]


def fan_out(
    fn: Callable[..., Any],
    tasks: list[tuple[Any, dict]],
    jobs: int,
    bar: Progress,
    *,
    scheduler: str | None = None,
    failed: Callable[[Any, str], Any],
) -> list:
    """fn(item, **kwargs) for every (item, kwargs) task; fn itself never raises (it returns its
    failures). `failed(item, message)` makes the result of a task that did not come back at all
    (a Dask worker lost mid-task, a local worker killed twice). Results come back in the order
    they finish."""
    if scheduler:
        return _dask(fn, tasks, bar, scheduler, failed)
    if jobs == 1:
        results = []
        for item, kw in tasks:
            bar.started()
            results.append(fn(item, **kw))
            bar.finished(results[-1])
        return results
    return _local(fn, tasks, jobs, bar, failed)


# spawn, not fork: the batch process has threads by now (pyarrow's pool, BLAS, zmq), and a child
# forked while one of them holds a lock can hang forever (seen in bench-report)
_SPAWN = mp.get_context("spawn")
WORKER_DIED = (
    "the worker process running this report died twice (killed, or out of memory: try fewer "
    "JOBS); the other reports were published"
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


def _dask(fn, tasks, bar: Progress, scheduler: str, failed) -> list:
    """One task per item on the cluster at `scheduler`; the workers need this environment and
    the same paths (data, params, build and reports folders on a shared filesystem)."""
    from distributed import Client
    from distributed import as_completed as completed

    run = uuid.uuid4().hex[:8]
    results = []
    with Client(scheduler, timeout="30s") as client:
        futures = {}
        for i, (item, kw) in enumerate(tasks):
            fut = client.submit(fn, item, key=f"{fn.__name__}-{run}-{i}", pure=False, **kw)
            futures[fut] = item
            bar.started()
        for fut in completed(list(futures)):
            try:
                result = fut.result()
            except Exception as exc:  # the worker died, or the task could not run there
                result = failed(futures[fut], f"Dask: {type(exc).__name__}: {exc}")
            results.append(result)
            bar.finished(result)
    return results
