"""Notebook execution time per team (papermill, kernel start included), medians of several runs.

Run with `make bench`. Targets from the issues, for one team on the default sample:
pipeline_conversion under 20 s, skill_effects under 30 s. Writes
bench/results/notebooks-<timestamp>.json.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from _results import save

from analysis.data.synth import SynthConfig, write_sample
from analysis.reports.batch import REPORT_NOTEBOOKS, execute_notebook

TARGETS = {"pipeline_conversion": 20.0, "skill_effects": 30.0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--team", default="bangkok")
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        data = write_sample(Path(tmp) / "data", SynthConfig())
        for name, notebook in REPORT_NOTEBOOKS.items():
            times = []
            for i in range(args.runs):
                start = time.perf_counter()
                execute_notebook(
                    notebook,
                    Path(tmp) / f"{name}-{i}.ipynb",
                    {"team": args.team, "month": None, "data_dir": str(data), "lang": "th"},
                )
                times.append(time.perf_counter() - start)
            results[name] = {
                "seconds_median": statistics.median(times),
                "runs": times,
                "target_seconds": TARGETS.get(name),
            }
            target = f"; target < {TARGETS[name]:.0f} s" if name in TARGETS else ""
            print(
                f"{notebook.name:<32} median {statistics.median(times):5.1f} s over {args.runs} runs{target}"
            )
    save("notebooks", {"team": args.team, "results": results})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
