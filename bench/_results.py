"""What every benchmark writes: bench/results/<benchmark>-<UTC timestamp>.json with the machine."""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

from analysis import __version__

RESULTS = Path(__file__).resolve().parent / "results"


def _cpu_and_memory() -> tuple[str, int | None]:
    """The CPU model and total memory in bytes, from /proc on Linux ('' and None elsewhere)."""
    model, memory = platform.processor(), None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    return model, memory


def machine(**extra) -> dict:
    """The facts a reader needs to compare figures across machines."""
    model, memory = _cpu_and_memory()
    return {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "processor": model,
        "memory_bytes": memory,
        "cpus": os.cpu_count(),
        "analysis": __version__,
        **extra,
    }


def save(benchmark: str, result: dict, out: Path = RESULTS, **machine_extra) -> Path:
    """Write `result` with the benchmark's name, the time and the machine; print where."""
    now = datetime.now(UTC)
    payload = {
        "benchmark": benchmark,
        "when": now.isoformat(timespec="seconds"),
        "machine": machine(**machine_extra),
        **result,
    }
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{benchmark}-{now:%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(payload, indent=2))
    print(f"wrote {path}")
    return path


class Targets:
    """A benchmark's targets: `check` prints each figure against its target with PASS or FAIL,
    and `exit_code` is 1 when any was missed (0 for a smoke run, which checks that the
    benchmark runs, not the machine's speed). The verdicts go into the results file."""

    def __init__(self, smoke: bool = False):
        self.smoke = smoke
        self.verdicts: list[dict] = []

    def check(self, name: str, value: float, op: str, target: float, unit: str = "") -> bool:
        ok = {"<": value < target, "<=": value <= target, ">=": value >= target}[op]
        self.verdicts.append(
            {"target": name, "value": value, "op": op, "limit": target, "unit": unit, "ok": ok}
        )
        shown = "not judged (smoke run)" if self.smoke else ("PASS" if ok else "FAIL")
        print(f"target: {name} {value:,.3g}{unit} {op} {target:g}{unit}: {shown}")
        return ok

    @property
    def missed(self) -> list[str]:
        return [v["target"] for v in self.verdicts if not v["ok"]]

    def exit_code(self) -> int:
        if self.missed and not self.smoke:
            print(f"error: missed target(s): {', '.join(self.missed)}", file=sys.stderr)
            return 1
        return 0


# the data-loading benchmarks' targets (issues 8 and 20): 2 million rows in under a minute and 4 GB
TARGET_ROWS, TARGET_SECONDS, TARGET_GB = 2_000_000, 60, 4


def rows_result(rows: int, runs: list[dict], **extra) -> dict:
    """The results of a data-loading benchmark from its runs (each: seconds, peak_bytes, rows
    per table): medians, rows per second, and the targets."""
    seconds = [r["seconds"] for r in runs]
    peaks = [r["peak_bytes"] for r in runs]
    med = statistics.median(seconds)
    return {
        "rows": rows,
        "runs": len(runs),
        **extra,
        "seconds": seconds,
        "seconds_median": med,
        "rows_per_second_median": rows / med,
        "peak_rss_bytes": peaks,
        "peak_rss_bytes_median": statistics.median(peaks),
        "tables": runs[0]["rows"],
        "targets": {"seconds_at_2m_rows": TARGET_SECONDS, "peak_rss_bytes": TARGET_GB * 1024**3},
    }


def finish_rows(benchmark: str, result: dict, what: str, how: str, smoke: bool, out: Path) -> int:
    """Print a data-loading benchmark's line (`what`, then its times and memory, then `how` it
    was run), judge the 2M-row targets, save the results; the exit code."""
    med, seconds = result["seconds_median"], result["seconds"]
    print(
        f"{what}, median of {result['runs']}: {med:.1f} s (range {min(seconds):.1f}-"
        f"{max(seconds):.1f}) = {result['rows'] / med:,.0f} rows/s; peak RSS "
        f"{result['peak_rss_bytes_median'] / 1024**3:.2f} GB; {how}"
    )
    targets = judge_rows(result, what.split(" (")[0], smoke)
    save(benchmark, result, out)
    return targets.exit_code()


def judge_rows(result: dict, what: str, smoke: bool) -> Targets:
    """The 2M-row targets judged on `result` (`rows_result`), or said not to apply."""
    targets = Targets(smoke=smoke)
    if result["rows"] >= TARGET_ROWS:
        targets.check(what, result["seconds_median"], "<", TARGET_SECONDS, " s")
        gigabytes = result["peak_rss_bytes_median"] / 1024**3
        targets.check("peak memory", gigabytes, "<", TARGET_GB, " GB")
    else:
        print(f"targets: set for {TARGET_ROWS:,} rows, not judged at {result['rows']:,}")
    result["verdicts"] = targets.verdicts
    return targets


def rows_args(description: str, argv=None):
    """A data-loading benchmark's options: --rows, --runs, --smoke, --out."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rows", type=int, default=TARGET_ROWS)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="20,000 rows, 1 run (make test)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    args = parser.parse_args(argv)
    args.rows, args.runs = (20_000, 1) if args.smoke else (args.rows, args.runs)
    return args


def measured(code: str, env: dict) -> dict:
    """Run `code` in a fresh interpreter; the JSON it printed last (its measurements)."""
    import json
    import subprocess

    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr[-3000:])
    return json.loads(proc.stdout.strip().splitlines()[-1])
