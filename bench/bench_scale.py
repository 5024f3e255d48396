"""The analyses at national scale (issue 21): each analysis CLI for one team and for the company
on the benchmark company, cold.

Run with `make bench` (or `python bench/bench_scale.py [--scale S] [--runs N] [--team T]
[--month YYYY-MM] [--smoke]`). The benchmark company at `--scale` (`make bench-data SCALE=...`
writes it; generated here when missing). Every run is a fresh process, timed from outside; its
peak resident memory is the largest any of its processes reached. Medians of `--runs`.

1. `python -m analysis validate --data D` with an empty cache: the dataset's validation, which a
   first run on new data does once (its result is cached by the files' content hash).
2. `python -m analysis <kpis|funnel|forecast|effects> --data D --month M [--team T] --json`, each
   run with a cache holding that validation only: every analysis computed from nothing, as the
   first command after `analysis validate` (or an import, or a batch) computes it. Printed
   with the sum of 1 and 2: the same command on data never validated.

3. One team's report (`python -m analysis report --teams T --month M --jobs 1 --force`) on the
   benchmark company and on the sample (team and month the same way: the first team, the month
   before the last), alternately, caches warm (one untimed run each first): the report's seconds
   as the batch prints them, and its kernel's peak resident memory (the process tree sampled
   every 0.2 s).
4. The company's report (`--teams company`, the same month), each run from an empty cache: the
   wall time from outside (validation included), the kernel's peak, and the peak of every
   process of the run together (printed, not judged).

Targets (issue 21, at scale 1): one team's command < 30 s and < 1.5 GB; the company's and the
validation < 3 min and < 6 GB; a team's report kernel < 1.5 GB and its time within 1.5x of the
same report on the sample; the company's report < 5 min and its kernel < 6 GB. Each prints
PASS or FAIL; a miss exits 1.

Writes bench/results/scale-<timestamp>.json with machine info.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import yaml
from _results import RESULTS, Targets, save

from analysis.data.synth import SynthConfig, write_sample, write_scaled
from analysis.paths import PROJECT_ROOT

COMMANDS = ("kpis", "funnel", "forecast", "effects")
# scope -> (seconds, gigabytes)
TARGETS = {"team": (30.0, 1.5), "company": (180.0, 6.0)}
COMPANY_REPORT = (300.0, 6.0)  # the company's report: seconds, kernel gigabytes

# run one command, then print its children's peak RSS (Linux: kilobytes): a fresh wrapper per run
_WRAPPER = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(code)"
)


def run_once(args: list[str], validated: Path | None = None, keep: Path | None = None) -> dict:
    """One run of `python -m analysis <args>` with an empty cache (`validated`: holding the
    validation entries of that cache only; `keep`: that folder as the cache, kept after):
    seconds and peak bytes."""
    args = [sys.executable, "-m", "analysis", *args]
    with tempfile.TemporaryDirectory() as tmp:
        cache = str(keep or tmp)
        copied = [
            Path(shutil.copy2(entry, cache))
            for entry in (validated.glob("*") if validated else [])
            if entry.name == ".key" or entry.name.startswith("dataset-")
        ]
        inodes = [p.stat().st_ino for p in copied]  # an entry written again is a new file
        env = {**os.environ, "AEM_CACHE_DIR": cache}
        start = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-c", _WRAPPER, *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=PROJECT_ROOT,
        )
        seconds = time.perf_counter() - start
        entries = sorted(q.name for q in Path(cache).glob("dataset-*"))
        # the validation used must be the one copied (the code changed since, it is not)
        again = [p.stat().st_ino for p in copied] != inodes or entries != sorted(
            p.name for p in copied if p.name != ".key"
        )
        if validated and again:
            raise SystemExit(f"error: {' '.join(args)} validated the dataset again")
    if proc.returncode != 0:
        raise SystemExit(f"error: {' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return {"seconds": seconds, "peak_bytes": int(proc.stdout.split()[-1]) * 1024}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--data", type=Path, default=None)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--team", default=None, help="default: the first team id")
    p.add_argument("--month", default=None, help="default: the data's month before its last")
    p.add_argument("--smoke", action="store_true", help="a tiny company, one run, not judged")
    p.add_argument("--out", type=Path, default=RESULTS)
    p.add_argument("--no-company-report", action="store_true", help="leave out step 4")
    args = p.parse_args()
    scale, runs = (0.004, 1) if args.smoke else (args.scale, args.runs)
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data or (
            Path(tmp) / "bench" if args.smoke else PROJECT_ROOT / "data" / f"bench-{scale:g}"
        )
        if not (data / "dataset.yaml").is_file():
            print(f"generating the scale-{scale:g} company in {data} ...", flush=True)
            write_scaled(data, scale, jobs=2, progress=lambda _: None)
        team = args.team or _first_team(data)
        month = args.month or _month_before_last(data)
        print(f"{data}: month {month}, team {team}, {runs} cold run(s) of each command")
        targets, results = Targets(smoke=args.smoke), {}
        validated = Path(tmp) / "validated"
        # the last run's cache is kept: its validation is what the commands' runs start from
        done = [
            run_once(["validate", "--data", str(data)], keep=validated if i == runs - 1 else None)
            for i in range(runs)
        ]
        results["validate"] = _judge(targets, "validate (dataset)", done, TARGETS["company"])
        for scope in ("team", "company"):
            for command in COMMANDS:
                cmd = [command, "--data", str(data), "--month", month, "--json"]
                cmd += ["--team", team] if scope == "team" else []
                done = [run_once(cmd, validated) for _ in range(runs)]
                name = f"{command} ({scope})"
                results[name] = _judge(targets, name, done, TARGETS[scope])
                total = results["validate"]["seconds_median"] + results[name]["seconds_median"]
                print(f"  on data never validated: {total:.1f} s")
        sample = Path(tmp) / "sample"
        write_sample(sample, SynthConfig())
        results["report"] = _kernels(targets, {"bench": data, "sample": sample}, runs, args.smoke)
        if not args.no_company_report:
            results["company_report"] = _company_report(targets, data, runs)
        save(
            "scale",
            {
                "data": str(data),
                "scale": scale,
                "month": month,
                "team": team,
                "results": results,
                "targets": TARGETS,
                "verdicts": targets.verdicts,
            },
            args.out,
        )
    return targets.exit_code()


def _report_once(data: Path, cache: Path, out: Path, team: str | None = None) -> dict:
    """One report (`team`, default the first team; "company" for the company's), the month before
    the last: its seconds, as the batch prints them, and from outside; its kernel's peak resident
    memory, and the peak of every process of the run together (sampled every 0.2 s)."""
    import psutil  # ipykernel's own dependency

    team = team or _first_team(data)
    args = [sys.executable, "-m", "analysis", "report", "--data", str(data), "--teams", team]
    args += ["--month", _month_before_last(data), "--jobs", "1", "--force", "--renderer"]
    args += ["builtin", "--reports", str(out / "reports"), "--build", str(out / "build")]
    env = {**os.environ, "AEM_CACHE_DIR": str(cache)}
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True, env=env, cwd=PROJECT_ROOT)
    root, peak, tree = psutil.Process(proc.pid), 0, 0
    while proc.poll() is None:
        total = 0
        with contextlib.suppress(psutil.Error):
            for q in [root, *root.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    rss = q.memory_info().rss
                    total += rss
                    if "ipykernel" in " ".join(q.cmdline()):
                        peak = max(peak, rss)
        tree = max(tree, total)
        time.sleep(0.2)
    wall = time.perf_counter() - start
    printed = proc.stdout.read()
    found = re.search(rf"^{re.escape(team)}\s+ok\s+([0-9.]+)", printed, re.MULTILINE)
    if proc.returncode != 0 or not found or not peak:
        raise SystemExit(f"error: {' '.join(args)} failed:\n{printed[-3000:]}")
    return {
        "seconds": float(found.group(1)),
        "wall_seconds": wall,
        "peak_bytes": peak,
        "tree_peak_bytes": tree,
    }


def _company_report(targets: Targets, data: Path, runs: int) -> dict:
    """The company's report from an empty cache, each run (step 4 of the module doc)."""
    done = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            done.append(_report_once(data, Path(tmp) / "cache", Path(tmp), "company"))
    sec = statistics.median(r["wall_seconds"] for r in done)
    gb = statistics.median(r["peak_bytes"] for r in done) / 1024**3
    tree = statistics.median(r["tree_peak_bytes"] for r in done) / 1024**3
    print(
        f"the company's report, cold: median {sec:.1f} s, kernel peak {gb:.2f} GB, every "
        f"process of the run together {tree:.2f} GB"
    )
    targets.check("company report seconds", sec, "<", COMPANY_REPORT[0], " s")
    targets.check("company report kernel memory", gb, "<", COMPANY_REPORT[1], " GB")
    return {"runs": done, "seconds_median": sec, "kernel_peak_gb_median": gb, "tree_gb": tree}


def _kernels(targets: Targets, datasets: dict[str, Path], runs: int, smoke: bool) -> dict:
    """A team's report on each dataset, alternately, caches warm (step 3 of the module doc)."""
    with tempfile.TemporaryDirectory() as tmp:
        folders = {name: Path(tmp) / name for name in datasets}
        if not smoke:  # warm the caches: validation, KPI tables, the company's skill tests
            for name, data in datasets.items():
                _report_once(data, folders[name] / "cache", folders[name])
        done = {name: [] for name in datasets}
        for _ in range(runs):
            for name, data in datasets.items():
                done[name].append(_report_once(data, folders[name] / "cache", folders[name]))
    sec = {n: statistics.median(r["seconds"] for r in d) for n, d in done.items()}
    gb = statistics.median(r["peak_bytes"] for r in done["bench"]) / 1024**3
    ratio = sec["bench"] / sec["sample"]
    print(
        f"a team's report: {sec['bench']:.1f} s, kernel peak {gb:.2f} GB; on the sample "
        f"{sec['sample']:.1f} s: {ratio:.2f}x"
    )
    targets.check("team report kernel memory", gb, "<", 1.5, " GB")
    targets.check("team report time / sample's", ratio, "<=", 1.5, "x")
    return {"runs": done, "seconds_median": sec, "kernel_peak_gb_median": gb, "ratio": ratio}


def _judge(targets: Targets, name: str, done: list[dict], target: tuple[float, float]) -> dict:
    sec = statistics.median(r["seconds"] for r in done)
    gb = statistics.median(r["peak_bytes"] for r in done) / 1024**3
    print(f"{name}: median {sec:.1f} s, peak {gb:.2f} GB")
    targets.check(f"{name} seconds", sec, "<", target[0], " s")
    targets.check(f"{name} memory", gb, "<", target[1], " GB")
    return {"runs": done, "seconds_median": sec, "peak_gb_median": gb}


def _first_team(data: Path) -> str:
    """The first team id of a dataset (Parquet or CSV)."""
    parquet = data / "teams.parquet"
    if parquet.is_file():
        return sorted(pq.read_table(parquet).column("team_id").to_pylist())[0]
    return sorted(pd.read_csv(data / "teams.csv", dtype=str)["team_id"])[0]


def _month_before_last(data: Path) -> str:
    """The month before the data's as-of month (the issue measured 2026-09 of data to 2026-10)."""
    meta = yaml.safe_load((data / "dataset.yaml").read_text(encoding="utf-8"))
    return str(pd.Timestamp(meta["as_of"]).to_period("M") - 1)


if __name__ == "__main__":
    raise SystemExit(main())
