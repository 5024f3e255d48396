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
    (a Dask worker lost mid-task). Results come back in the order they finish."""
    if scheduler:
        return _dask(fn, tasks, bar, scheduler, failed)
    results = []
    if jobs == 1:
        for item, kw in tasks:
            bar.started()
            results.append(fn(item, **kw))
            bar.finished(results[-1])
        return results
    # spawn, not fork: the batch process has threads by now (pyarrow's pool, BLAS, zmq), and a
    # child forked while one of them holds a lock can hang forever (seen in bench-report)
    with ProcessPoolExecutor(max_workers=jobs, mp_context=mp.get_context("spawn")) as pool:
        futures = [pool.submit(fn, item, **kw) for item, kw in tasks]
        for _ in range(min(jobs, len(futures))):
            bar.started()
        for fut in as_completed(futures):
            results.append(fut.result())
            bar.finished(results[-1])
            if bar.done + bar.running < len(futures):
                bar.started()
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
