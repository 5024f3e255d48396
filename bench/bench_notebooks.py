"""Notebook execution time per team (papermill, kernel start included), medians of several runs.

Run with `make bench`. Every run is cold by default: its own empty cache directory, so the
validated dataset, the KPI tables and the effects rows are computed, not read from build/cache
(`--warm` primes one cache first and times runs that reuse it, as a re-run does). Targets from
the issues, for one team on the default sample: pipeline_conversion under 20 s, skill_effects
under 30 s; each prints PASS or FAIL and a miss exits 1. Writes
bench/results/notebooks-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from _results import Targets, save

from analysis.data.synth import SynthConfig, write_sample
from analysis.reports.batch import REPORT_NOTEBOOKS, execute_notebook

TARGETS = {"pipeline_conversion": 20.0, "skill_effects": 30.0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--team", default="bangkok")
    parser.add_argument(
        "--warm", action="store_true", help="reuse one primed cache (default: cold, empty cache)"
    )
    parser.add_argument("--smoke", action="store_true", help="one run of one notebook (tests)")
    parser.add_argument("--out", type=Path, default=None, help="results directory")
    args = parser.parse_args(argv)
    mode = "warm" if args.warm else "cold"
    notebooks = dict(REPORT_NOTEBOOKS)
    config = SynthConfig()
    if args.smoke:
        args.runs, config = 1, SynthConfig(n_teams=2, reps_per_team=4, months=14, scale=0.6)
        notebooks = {k: v for k, v in notebooks.items() if k == "pipeline_conversion"}
    results, targets = {}, Targets(smoke=args.smoke)
    saved = os.environ.get("AEM_CACHE_DIR")
    with tempfile.TemporaryDirectory() as tmp:
        data = write_sample(Path(tmp) / "data", config)
        params = {"team": args.team, "month": None, "data_dir": str(data), "lang": "th"}
        for name, notebook in notebooks.items():
            if args.warm:  # one untimed run fills the cache the timed runs read
                os.environ["AEM_CACHE_DIR"] = str(Path(tmp) / f"cache-{name}")
                execute_notebook(notebook, Path(tmp) / f"{name}-prime.ipynb", params)
            times = []
            for i in range(args.runs):
                if not args.warm:
                    os.environ["AEM_CACHE_DIR"] = str(Path(tmp) / f"cache-{name}-{i}")
                start = time.perf_counter()
                execute_notebook(notebook, Path(tmp) / f"{name}-{i}.ipynb", params)
                times.append(time.perf_counter() - start)
            results[name] = {
                "seconds_median": statistics.median(times),
                "runs": times,
                "target_seconds": TARGETS.get(name),
            }
            print(
                f"{notebook.name:<32} median {statistics.median(times):5.1f} s over {args.runs} "
                f"{mode} run(s)"
            )
            if name in TARGETS:
                targets.check(
                    f"{name} ({mode})", statistics.median(times), "<", TARGETS[name], " s"
                )
    if saved is None:
        os.environ.pop("AEM_CACHE_DIR", None)
    else:
        os.environ["AEM_CACHE_DIR"] = saved
    payload = {"team": args.team, "cache": mode, "results": results, "verdicts": targets.verdicts}
    if args.out is not None:
        save("notebooks", payload, args.out)
    else:
        save("notebooks", payload)
    return targets.exit_code()


if __name__ == "__main__":
    raise SystemExit(main())
