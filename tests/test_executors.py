"""The batch's executors: the local pool and a real Dask cluster (a scheduler and two worker
processes on loopback) give the same results and report failures the same way."""

from __future__ import annotations

import math
import sys

import pytest

from analysis.reports.executors import fan_out
from analysis.reports.progress import Progress, TeamResult

# one cluster per run: every test here runs on the same xdist worker
pytestmark = pytest.mark.xdist_group("kernels")


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",  # any free port: never collides with another cluster
    ) as c:
        yield c


def _root(x: float) -> TeamResult:
    """A stand-in task: its square root as a result, and a ValueError for a negative number."""
    return TeamResult(f"t{x:g}", True, math.sqrt(x))


def _failed(x: float, message: str) -> TeamResult:
    return TeamResult(f"t{x:g}", False, 0.0, error=message)


@pytest.mark.parametrize("where", ["local", "dask"])
def test_results_and_failures_come_back_alike(where, cluster):
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the workers cannot import tests
    lines: list[str] = []
    bar = Progress(3, 2, lines.append, enabled=False)
    tasks = [(4.0, {}), (9.0, {})]
    if where == "dask":  # a task that raises on the cluster comes back as that item's failure
        tasks.append((-1.0, {}))
    scheduler = cluster.scheduler_address if where == "dask" else None
    results = {
        r.team_id: r for r in fan_out(_root, tasks, 2, bar, scheduler=scheduler, failed=_failed)
    }
    assert results["t4"].ok and results["t4"].seconds == 2.0 and results["t9"].seconds == 3.0
    if where == "dask":
        assert not results["t-1"].ok and "math domain error" in results["t-1"].error
        assert any("FAIL  t-1" in line for line in lines)
    assert bar.done == len(tasks) and bar.running == 0


@pytest.mark.e2e
def test_reports_render_on_a_dask_cluster(cluster, small_dataset, tmp_path, monkeypatch):
    """DASK_SCHEDULER set: each team's render is one task on the cluster's workers; the
    published files and the summary are those of local mode."""
    from analysis.reports.batch import run_monthly

    monkeypatch.setenv("DASK_SCHEDULER", cluster.scheduler_address)
    lines: list[str] = []
    results = run_monthly(
        small_dataset,
        teams=["bangkok", "chiang-mai", "company"],
        renderer="builtin",
        reports_dir=tmp_path / "r",
        build_dir=tmp_path / "b",
        echo=lines.append,
    )
    assert [r.team_id for r in results] == ["bangkok", "chiang-mai", "company"]
    assert all(r.ok for r in results), [r.error for r in results if not r.ok]
    for team in ("bangkok", "chiang-mai", "company"):
        folder = tmp_path / "r" / "2026-10" / team
        assert sorted(p.name for p in folder.iterdir()) == [
            ".inputs.json",
            "headline.json",
            "report.html",
            "report.pdf",
        ]
    assert (tmp_path / "r" / "index.html").is_file()
    assert sum(line.lstrip().startswith("ok") for line in lines) == 3


def _dies_on_negative(x: float) -> TeamResult:
    """A stand-in report: a negative number kills its worker process (as the out-of-memory
    killer would), the others take a moment so that they are in flight when it happens."""
    import os
    import signal
    import time

    if x < 0:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.5)
    return TeamResult(f"t{x:g}", True, math.sqrt(x))


def test_a_killed_local_worker_fails_only_its_own_task():
    """Issue 18, failure 5: one dead pool worker gave BrokenProcessPool for the whole batch
    (nothing published, no index). Now the tasks caught in the broken pool run again, each
    alone; the one that dies again is reported failed and the others come back."""
    from analysis.reports.executors import WORKER_DIED

    tasks = [(4.0, {}), (-1.0, {}), (9.0, {}), (16.0, {}), (25.0, {})]
    bar = Progress(len(tasks), 2, lambda _line: None, enabled=False)
    results = {r.team_id: r for r in fan_out(_dies_on_negative, tasks, 2, bar, failed=_failed)}
    assert set(results) == {"t4", "t-1", "t9", "t16", "t25"}
    assert not results["t-1"].ok and results["t-1"].error == WORKER_DIED
    assert all(results[t].ok for t in ("t4", "t9", "t16", "t25"))
    assert results["t16"].seconds == 4.0
    assert bar.done == len(tasks) and bar.running == 0 and bar.failed == 1
