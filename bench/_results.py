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
