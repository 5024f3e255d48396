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


def _spell(x: float) -> TeamResult:
    """A stand-in report that takes about a second: when it ran and in which worker process."""
    import os
    import time

    start = time.time()
    time.sleep(1.0)
    return TeamResult(f"t{x:g}", True, start, error=f"{os.getpid()} {time.time()}")


@pytest.mark.parametrize(("need_gb", "most"), [(2.0, 1), (1.0, 3), (math.inf, 1)])
def test_a_worker_runs_as_many_reports_at_once_as_fit_in_its_memory(need_gb, most):
    """Issue 21: one worker with 3 threads that offers 3 GiB for reports (`--resources
    report_memory=...`) runs one 2 GiB report at a time, and three 1 GiB reports at once; a
    report asking for more than any worker offers (the company's: `batch.report_memory`) runs
    alone on the largest instead of waiting for ever."""
    import cloudpickle
    from distributed import LocalCluster

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    tasks = [(float(i), {}) for i in range(1, 7)]
    bar = Progress(len(tasks), 3, lambda _line: None, enabled=False)
    with LocalCluster(
        n_workers=1,
        threads_per_worker=3,
        resources={"report_memory": 3 * 2**30},
        host="127.0.0.1",
        dashboard_address=":0",
    ) as c:
        results = fan_out(
            _spell,
            tasks,
            3,
            bar,
            scheduler=c.scheduler_address,
            failed=_failed,
            memory=lambda _item: need_gb * 2**30,
        )
    spans = [(r.seconds, float(r.error.split()[1])) for r in results]
    at_once = max(sum(s <= t < e for s, e in spans) for t, _ in spans)
    assert at_once == most and all(r.ok for r in results)


def _dies_first_time(x: float) -> TeamResult:
    """A stand-in report whose worker dies the first time it runs (a marker file remembers), and
    for x < 0 every time."""
    import os
    import signal
    import time
    from pathlib import Path

    marker = Path(os.environ["AEM_TEST_MARKERS"]) / f"{x:g}"
    if x < 0 or (x == 9 and not marker.exists()):
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.3)
    return TeamResult(f"t{x:g}", True, math.sqrt(x))


def test_a_report_whose_worker_died_runs_once_more_and_a_second_death_fails_it_alone(
    tmp_path, monkeypatch
):
    """Issue 21: on a cluster, a report whose worker died is run again once (here it then
    succeeds); one that kills its worker twice fails alone with the reason; the others come
    back, and the scheduler's own setting is restored afterwards. One worker offering memory for
    reports, so every task after the first death waits for the restarted worker (the first
    version, offering the memory from the batch, hung here: the restarted worker offered none)."""
    import cloudpickle
    from distributed import Client, LocalCluster

    from analysis.reports.executors import WORKER_DIED

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    monkeypatch.setenv("AEM_TEST_MARKERS", str(tmp_path))
    results = {}
    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        resources={"report_memory": 2 * 2**30},
        host="127.0.0.1",
        dashboard_address=":0",
    ) as c:
        # apart: a report caught on a dying worker before it started counts no death of its own
        for tasks in ([(4.0, {}), (9.0, {})], [(-1.0, {}), (16.0, {})]):
            bar = Progress(len(tasks), 1, lambda _line: None, enabled=False)
            for r in fan_out(
                _dies_first_time,
                tasks,
                1,
                bar,
                scheduler=c.scheduler_address,
                failed=_failed,
                memory=lambda _item: 2**30,
            ):
                results[r.team_id] = r
            assert bar.done == len(tasks) and bar.running == 0
        with Client(c.scheduler_address) as client:
            setting = client.run_on_scheduler(
                lambda dask_scheduler: dask_scheduler.allowed_failures
            )
    assert results["t9"].ok and results["t9"].seconds == 3.0  # died once, ran again
    assert not results["t-1"].ok and results["t-1"].error == WORKER_DIED
    assert results["t4"].ok and results["t16"].ok
    assert setting == 3


def _burn(x: float) -> TeamResult:
    """A stand-in report that uses `x` seconds of CPU in a child process (as a kernel does)."""
    import subprocess

    code = f"import time\nt = time.process_time()\nwhile time.process_time() - t < {x}: pass"
    subprocess.run([sys.executable, "-c", code], check=True)
    return TeamResult(f"t{x:g}", True, x)


@pytest.mark.parametrize("where", ["local", "dask"])
def test_the_cpu_time_of_every_process_and_kernel_is_counted(where, cluster):
    """The batch reports the CPU time its reports used, child processes (the kernels) included,
    locally and summed over a cluster's workers."""
    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    tasks = [(0.6, {}), (0.8, {}), (1.0, {})]
    bar = Progress(len(tasks), 2, lambda _line: None, enabled=False)
    cpu: list[float] = []
    scheduler = cluster.scheduler_address if where == "dask" else None
    fan_out(_burn, tasks, 2, bar, scheduler=scheduler, failed=_failed, cpu=cpu)
    (used,) = cpu
    assert 2.4 <= used < 2.4 + 20  # the burn, plus interpreters starting


def test_the_batch_starts_the_most_expensive_reports_first(small_dataset, tmp_path, monkeypatch):
    """The company report first, then the teams by their deals, largest first (counted here by
    hand), and the run's throughput and CPU time said at the end."""
    import pandas as pd

    import analysis.reports.batch as batch

    opps = pd.read_csv(small_dataset / "opportunities.csv")
    reps = pd.read_csv(small_dataset / "reps.csv")
    deals = opps.merge(reps, on="rep_id")["team_id"].value_counts()
    by_hand = ["company", *sorted(deals.index, key=lambda t: (-deals[t], t))]
    started: list[str] = []

    def record(fn, tasks, jobs, bar, *, scheduler, failed, memory, cpu):
        started.extend(p.team_id for p, _kw in tasks)
        cpu.append(1.5 * 60)
        return [failed(p, "not rendered (test)") for p, _kw in tasks]

    monkeypatch.setattr(batch, "fan_out", record)
    lines: list[str] = []
    batch.run_monthly(
        small_dataset,
        teams=sorted(deals.index)[::-1] + ["company"],
        renderer="builtin",
        reports_dir=tmp_path / "r",
        build_dir=tmp_path / "b",
        echo=lines.append,
    )
    assert started == by_hand and len(set(deals)) > 1  # the teams differ in size
    (said,) = [line for line in lines if line.startswith("Rendered")]
    assert said.startswith(f"Rendered {len(by_hand)} report(s) in ") and "CPU time 1.5 min" in said


def test_a_team_report_takes_report_memory_gb_and_the_company_report_a_whole_worker(monkeypatch):
    """A team's kernel does not grow with the company, the company's does (5.1 GB for the
    benchmark company, against 3 GiB declared before): the company report asks for more than
    any worker offers, which the executor caps at the largest worker (test above)."""
    from analysis.reports.batch import COMPANY_ID, report_memory
    from analysis.reports.params import TeamParams

    monkeypatch.setenv("REPORT_MEMORY_GB", "2")
    assert report_memory(TeamParams(team_id="bangkok")) == 2 * 2**30
    assert report_memory(TeamParams(team_id=COMPANY_ID)) == math.inf


def test_a_report_memory_that_is_not_a_size_stops_the_batch_before_it_starts(
    small_dataset, tmp_path, monkeypatch
):
    from analysis.reports.batch import run_monthly

    monkeypatch.setenv("DASK_SCHEDULER", "tcp://127.0.0.1:9")  # never reached
    monkeypatch.setenv("REPORT_MEMORY_GB", "lots")
    with pytest.raises(ValueError, match=r"REPORT_MEMORY_GB='lots': give the memory"):
        run_monthly(
            small_dataset,
            teams=["bangkok"],
            renderer="builtin",
            reports_dir=tmp_path / "r",
            build_dir=tmp_path / "b",
            echo=lambda _m: None,
        )
    assert not (tmp_path / "r" / "2026-10").exists()


@pytest.mark.parametrize(
    "team_id, memory",
    [("bangkok", "KERNEL_DUCKDB_MEMORY"), ("company", "COMPANY_DUCKDB_MEMORY")],
)
def test_a_reports_kernel_gets_the_kernels_duckdb_memory(
    small_dataset, tmp_path, monkeypatch, team_id, memory
):
    """The kernel of a team's report runs DuckDB with AEM_KERNEL_DUCKDB_MEMORY (a team's queries
    are small), the company's with AEM_COMPANY_DUCKDB_MEMORY (it scans the whole company; the
    batch's own keep AEM_DUCKDB_MEMORY): set while the notebook runs, restored after."""
    import os

    import pandas as pd

    import analysis.reports.batch as batch
    from analysis.reports.params import TeamParams

    seen = {}

    def execute(source, executed, parameters):
        seen["memory"] = os.environ.get("AEM_DUCKDB_MEMORY")
        raise ValueError("stopped after the kernel's settings (test)")

    monkeypatch.setenv("AEM_DUCKDB_MEMORY", "3GB")
    monkeypatch.setattr(batch, "execute_notebook", execute)
    result = batch.render_team(
        TeamParams(team_id=team_id),
        pd.Period("2026-10", "M"),
        small_dataset,
        "builtin",
        scope_name=team_id,
        content_hash="x",
        reports_dir=tmp_path / "r",
        build_dir=tmp_path / "b",
    )
    assert not result.ok and "stopped after" in result.error
    assert seen["memory"] == getattr(batch, memory)
    assert {batch.KERNEL_DUCKDB_MEMORY, batch.COMPANY_DUCKDB_MEMORY} == {"512MB", "2GB"}
    assert os.environ["AEM_DUCKDB_MEMORY"] == "3GB"
