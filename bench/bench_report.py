"""Monthly-report benchmark: the batch (cold and no-change re-run) against running papermill and
the renderer sequentially per notebook with nothing shared.

Run with `make bench` or `make bench-report` (or `python bench/bench_report.py [--runs N]
[--teams a,b] [--smoke]`). On a fresh copy of the default sample it times:

- cold: `run_monthly` for every team and the company, empty dataset cache, JOBS = cores;
- no-change: the same call again (every report is kept: its inputs did not change);
- sequential: each part notebook of each report executed by papermill and rendered on its own,
  one after the other, with the dataset cache off (the way a notebook-per-report script would);
- parallel per notebook: the same, JOBS notebooks at once (a process pool, JOBS = cores, as the
  batch), so what the batch gains by sharing work shows apart from what it gains by parallelism.

Every timed batch starts cold (its own empty cache directory). Targets (issue 7): sequential /
cold >= 2.5, no-change / cold <= 5%, cold < 3 minutes; each prints PASS or FAIL and a miss exits
1. Prints medians over the runs and writes bench/results/report-<timestamp>.json with machine
info.

With `--renderer quarto` (`make bench-report RENDERER=quarto`, where Quarto is on PATH) the batch
renders with Quarto, and each report's executed notebook of the first run is also rendered
alone by both renderers, alternately, RUNS times each: the seconds and PDF pages of each, and
the target of issue 19 (Quarto within 2x the built-in renderer, per report).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

from _results import RESULTS, Targets, save

from analysis.data.synth import SynthConfig, write_sample
from analysis.i18n import fmt_month, t
from analysis.reports.batch import (
    COMPANY_NOTEBOOKS,
    REPORT_NOTEBOOKS,
    execute_notebook,
    run_monthly,
)
from analysis.reports.params import COMPANY_ID, list_team_ids, load_company_params, load_team_params
from analysis.reports.quarto import render_quarto
from analysis.reports.render import PageInfo, choose_renderer, render_builtin


def _batch(data: Path, work: Path, teams: list[str], renderer: str = "builtin") -> float:
    start = time.perf_counter()
    results = run_monthly(
        data,
        teams=teams,
        renderer=renderer,
        reports_dir=work / "reports",
        build_dir=work / "build",
        echo=lambda _m: None,
    )
    seconds = time.perf_counter() - start
    failed = [r.team_id for r in results if not r.ok]
    if failed:
        raise SystemExit(f"benchmark run failed for {failed}")
    return seconds


def _worktree(revision: str, where: Path) -> Path:
    """A checkout of `revision` (for --baseline), beside this one's .venv and kernel."""
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(where), revision],
        check=True,
        capture_output=True,
    )
    return where


_BASELINE_RUN = """
import sys, time
from pathlib import Path
from analysis.reports.batch import run_monthly
data, work, teams = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3].split(",")
start = time.perf_counter()
results = run_monthly(data, teams=teams, renderer="builtin", reports_dir=work / "reports",
                      build_dir=work / "build", echo=lambda _m: None)
assert all(r.ok for r in results), [r.error for r in results if not r.ok]
print(time.perf_counter() - start)
"""


def _baseline_batch(tree: Path, data: Path, work: Path, teams: list[str]) -> float:
    """The cold batch of the baseline checkout: its package first on the path (the kernels
    inherit PYTHONPATH, so they run its code and notebooks too), an empty cache."""
    env = dict(os.environ, PYTHONPATH=str(tree / "src"), AEM_CACHE_DIR=str(work / "cache"))
    proc = subprocess.run(
        [sys.executable, "-c", _BASELINE_RUN, str(data), str(work), ",".join(teams)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"baseline run failed: {proc.stderr[-2000:]}")
    shutil.rmtree(work, ignore_errors=True)
    return float(proc.stdout.strip().splitlines()[-1])


def _sequential(data: Path, work: Path, teams: list[str], month) -> float:
    start = time.perf_counter()
    for task in _tasks(data, work, teams, month):
        _one_notebook(task)
    return time.perf_counter() - start


def _tasks(data: Path, work: Path, teams: list[str], month) -> list[tuple]:
    """One task per part notebook of each report: (data, work, team_id, month, part name)."""
    return [
        (data, work, team_id, month, name)
        for team_id in teams
        for name in (COMPANY_NOTEBOOKS if team_id == COMPANY_ID else REPORT_NOTEBOOKS)
    ]


def _one_notebook(task: tuple) -> None:
    """Execute and render one part notebook on its own (a process-pool task)."""
    data, work, team_id, month, name = task
    company = team_id == COMPANY_ID
    params = load_company_params() if company else load_team_params(team_id)
    notebook = (COMPANY_NOTEBOOKS if company else REPORT_NOTEBOOKS)[name]
    executed = work / "build" / team_id / notebook.name
    execute_notebook(
        notebook,
        executed,
        {
            "team": None if company else team_id,
            "month": str(month),
            "data_dir": str(data),
            "lang": params.lang,
        },
    )
    page = PageInfo(
        title=f"{name}: {team_id}",
        scope_name=team_id,
        month_label=fmt_month(month, params.lang),
        lang=params.lang,
        content_hash="-",
        renderer="builtin",
    )
    render_builtin(executed, work / "reports" / team_id, page, name)


def _parallel(data: Path, work: Path, teams: list[str], month, jobs: int) -> float:
    """Every part notebook on its own, `jobs` at once, nothing shared (cache off)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    tasks = _tasks(data, work, teams, month)
    start = time.perf_counter()
    # spawned, not forked: a fork of this process (DuckDB and kernel-client threads) can hang
    with ProcessPoolExecutor(max_workers=jobs, mp_context=get_context("spawn")) as pool:
        list(pool.map(_one_notebook, tasks))
    return time.perf_counter() - start


def _pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    return int(next(ln.split()[-1] for ln in info.stdout.splitlines() if ln.startswith("Pages:")))


def _render_only(work: Path, teams: list[str], month, runs: int) -> dict[str, dict]:
    """Each report's executed notebook rendered alone by each renderer, alternately (the same
    machine noise for each), `runs` times: seconds, and the PDF's pages. Quarto as a user
    rendering one report gets it (HTML and PDF at once on a machine with two cores or more), and
    in one process for both (as in a batch that keeps every core busy; no target)."""
    renders = {
        "builtin": render_builtin,
        "quarto": render_quarto,
        "quarto_one_process": partial(render_quarto, at_once=False),
    }
    out: dict[str, dict] = {}
    for team_id in teams:
        executed = work / "build" / str(month) / team_id / "report.ipynb"
        params = load_company_params() if team_id == COMPANY_ID else load_team_params(team_id)
        row: dict = {name: [] for name in renders}
        for _ in range(runs):
            for name, render in renders.items():
                page = PageInfo(
                    title=team_id,
                    scope_name=team_id,
                    month_label=fmt_month(month, params.lang),
                    lang=params.lang,
                    content_hash="-",
                    renderer=name,
                )
                start = time.perf_counter()
                files = render(executed, work / "render-only" / name / team_id, page)
                row[name].append(time.perf_counter() - start)
                row[f"{name}_pages"] = _pdf_pages(files["pdf"])
        med = {name: statistics.median(row[name]) for name in renders}
        row["ratio"] = med["quarto"] / med["builtin"]
        row["ratio_one_process"] = med["quarto_one_process"] / med["builtin"]
        out[team_id] = row
        print(
            f"  render only, {team_id:<12} builtin {med['builtin']:4.1f} s "
            f"({row['builtin_pages']} pages)  quarto {med['quarto']:4.1f} s "
            f"({row['quarto_pages']} pages) = {row['ratio']:.2f}x  quarto in one process "
            f"{med['quarto_one_process']:4.1f} s = {row['ratio_one_process']:.2f}x"
        )
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--runs", type=int, default=3, help="repetitions (each takes about 8 minutes)"
    )
    parser.add_argument(
        "--teams", default=None, help="comma-separated ids (default: all + company)"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    parser.add_argument(
        "--smoke", action="store_true", help="one team of a small company, one run (for tests)"
    )
    parser.add_argument(
        "--baseline",
        default=None,
        help="a git revision: time its cold batch too, alternating with this tree's in the same "
        "run, and check this tree's median is within 10%% of it (issue 14's budget)",
    )
    parser.add_argument(
        "--cold-only", action="store_true", help="skip the no-change and sequential timings"
    )
    parser.add_argument(
        "--renderer",
        default="builtin",
        choices=["auto", "builtin", "quarto"],
        help="the batch's renderer; with quarto, also each report rendered alone by both",
    )
    args = parser.parse_args(argv)
    renderer = choose_renderer(args.renderer)
    render_only: dict[str, dict] = {}
    config = SynthConfig()
    if args.smoke:
        args.runs, args.teams = 1, args.teams or "bangkok"
        config = SynthConfig(n_teams=2, reps_per_team=4, months=14, scale=0.6)
    teams = args.teams.split(",") if args.teams else [*list_team_ids(), COMPANY_ID]
    cold, same, seq, par, base = [], [], [], [], []
    jobs = os.cpu_count() or 1  # the batch's JOBS when not given
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = write_sample(root / "data", config)
        from analysis.data.dataset import load_dataset

        month = load_dataset(data).latest_complete_month
        tree = _worktree(args.baseline, root / "baseline") if args.baseline else None
        for i in range(args.runs):
            if tree is not None:  # alternated with this tree's runs: the same machine noise
                base.append(_baseline_batch(tree, data, root / f"base{i}", teams))
            work = root / f"run{i}"
            os.environ["AEM_CACHE_DIR"] = str(work / "cache")  # empty: a cold start
            cold.append(_batch(data, work, teams, renderer))
            if renderer == "quarto" and i == 0:
                render_only = _render_only(work, teams, month, args.runs)
            if not args.cold_only:
                same.append(_batch(data, work, teams, renderer))
                os.environ["AEM_CACHE_DIR"] = "off"
                seq.append(_sequential(data, root / f"seq{i}", teams, month))
                par.append(_parallel(data, root / f"par{i}", teams, month, jobs))
            shutil.rmtree(work, ignore_errors=True)
            shutil.rmtree(root / f"seq{i}", ignore_errors=True)
            shutil.rmtree(root / f"par{i}", ignore_errors=True)
        os.environ.pop("AEM_CACHE_DIR")
        if tree is not None:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], check=False)
    if args.cold_only:
        same, seq, par = [float("nan")], [float("nan")], [float("nan")]
    runs = {"cold": cold, "same": same, "seq": seq, "par": par}
    med = {k: statistics.median(v) for k, v in runs.items()}
    spread = {k: (min(v), max(v)) for k, v in runs.items()}
    result = {
        "renderer": renderer,
        "render_only": render_only,
        "reports": teams,
        "runs": args.runs,
        "jobs": jobs,
        "seconds": {"cold": cold, "no_change": same, "sequential": seq, "parallel": par},
        "median_seconds": med,
        "range_seconds": spread,
        "speedup_vs_sequential": med["seq"] / med["cold"],
        "speedup_vs_parallel_per_notebook": med["par"] / med["cold"],
        "no_change_share_of_cold": med["same"] / med["cold"],
        "targets": {"speedup_vs_sequential": 2.5, "no_change_share_of_cold": 0.05, "cold": 180},
    }
    for k, label in (
        ("cold", "cold"),
        ("same", "no-change"),
        ("seq", "sequential"),
        ("par", f"{jobs} at once"),
    ):
        low, high = spread[k]
        print(f"{label:>10}: median {med[k]:7.1f} s  range {low:.1f}-{high:.1f} s  runs {runs[k]}")
    print(
        f"{len(teams)} reports ({t('company', 'en')} included: {COMPANY_ID in teams}), "
        f"median of {args.runs} run(s): cold {med['cold']:.0f} s (target < 180 s); "
        f"no-change re-run {med['same']:.1f} s = {result['no_change_share_of_cold']:.1%} of cold "
        f"(target <= 5%); sequential per notebook {med['seq']:.0f} s = "
        f"{result['speedup_vs_sequential']:.2f}x the cold batch; per notebook {jobs} at once "
        f"{med['par']:.0f} s = {result['speedup_vs_parallel_per_notebook']:.2f}x the cold batch "
        "(what sharing work adds beyond running JOBS at once; no target)"
    )
    targets = Targets(smoke=args.smoke)
    targets.check("cold batch", med["cold"], "<", 180, " s")
    for team_id, row in render_only.items():
        targets.check(f"quarto / builtin render of {team_id}", row["ratio"], "<=", 2.0, "x")
    if not args.cold_only:
        targets.check("no-change re-run / cold", result["no_change_share_of_cold"], "<=", 0.05)
        targets.check(
            "sequential per notebook / cold", result["speedup_vs_sequential"], ">=", 2.5, "x"
        )
    if base:
        ratio = med["cold"] / statistics.median(base)
        result["baseline"] = {
            "revision": args.baseline,
            "cold_seconds": base,
            "median_seconds": statistics.median(base),
            "ratio": ratio,
            "target_ratio": 1.10,
        }
        print(
            f"against {args.baseline}: cold median {statistics.median(base):.0f} s there, "
            f"{med['cold']:.0f} s here"
        )
        targets.check(f"cold batch / {args.baseline}'s", ratio, "<=", 1.10, "x")
    result["verdicts"] = targets.verdicts
    save("report", result, args.out)
    return targets.exit_code()


if __name__ == "__main__":
    raise SystemExit(main())
