"""What every benchmark writes: bench/results/<benchmark>-<UTC timestamp>.json with the machine."""

from __future__ import annotations

import json
import os
import platform
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
