"""Benchmarks are not part of `make test`, but a smoke-size run of each keeps them working."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.paths import PROJECT_ROOT


def _smoke(benchmark: str, out: Path) -> tuple[subprocess.CompletedProcess, dict]:
    """Run bench/bench_<benchmark>.py --smoke; its process and the one results file it wrote."""
    proc = subprocess.run(
        [sys.executable, f"bench/bench_{benchmark}.py", "--smoke", "--out", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (result,) = out.glob(f"{benchmark}-*.json")
    return proc, json.loads(result.read_text())


def _bench_module(name: str):
    """A module of bench/ (they import each other by bare name, as scripts run from there)."""
    import importlib

    sys.path.insert(0, str(PROJECT_ROOT / "bench"))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(PROJECT_ROOT / "bench"))


@pytest.mark.xdist_group("forecast")
def test_forecast_benchmark_smoke(tmp_path):
    proc, data = _smoke("forecast", tmp_path)
    assert data["time"]["scopes"] == 3  # the company and two teams
    assert data["time"]["seconds_median"] > 0 and data["time"]["fit_sets"] > 0
    assert set(data["mean_mase_by_variant"]["default"]) >= {"ets", "combined", "blend", "pipeline"}
    assert list(data["real_series"]) == ["development", "confirmation", "reserve"]
    for real in data["real_series"].values():
        assert real["series"] == 2 and real["holdout_months"] == 18
        assert set(real["models"]) >= {"default", "combined", "ets", "theta", "arima", "prophet"}
        lo, hi = real["models"]["ets"]["ci95"]
        assert lo <= real["models"]["ets"]["default_minus_model"] <= hi
    # the targets are judged on the three sets' windows pooled: its means are theirs
    pooled = data["pooled"]
    assert pooled["set"] == "all" and pooled["series"] == 6
    ets = [w["smape:ets"] for real in data["real_series"].values() for w in real["per_series"]]
    assert pooled["models"]["ets"]["smape_mean"] == pytest.approx(sum(ets) / 6)
    assert "Real monthly series, all sets pooled: 6 windows" in proc.stdout
    lofo = data["leave_one_family_out"]
    assert lofo["windows"] == 6 and set(lofo["models"]) >= {"ets", "default", "mean of best two"}
    assert "cmdstanpy" not in proc.stderr  # quiet
    _judged(
        proc,
        data,
        {
            "forecast + backtest, company and every team (cold)",
            "real series: default minus the best single model's mean sMAPE",
            "real series: upper end of the 95% interval of default - ETS sMAPE",
        },
    )


def test_import_benchmark_smoke(tmp_path):
    _, data = _smoke("import", tmp_path)
    assert data["rows"] == 20_000 and data["tables"]["opportunities"] == 20_000
    assert data["tables"]["reps"] <= 3000 and data["tables"]["teams"] == 1
    assert data["rows_per_second_median"] > 0 and data["peak_rss_bytes_median"] > 0


def test_postgres_benchmark_smoke(tmp_path):
    import pgserver

    why = pgserver.unavailable()
    if why:
        pytest.skip(why)
    _, data = _smoke("postgres", tmp_path)
    assert data["rows"] == 20_000 and data["tables"]["opportunities"] == 20_000
    assert data["tables"]["reps"] == 3000 and data["tables"]["teams"] == 300
    assert data["seconds_median"] > 0 and data["peak_rss_bytes_median"] > 0


def test_kpi_benchmark_smoke(tmp_path):
    proc, data = _smoke("kpis", tmp_path)
    scale = data["scale"]
    assert scale["tables_equal_floor"], scale["kpis_differing_from_floor"]
    assert scale["input_rows"]["activities"] > 100_000 and scale["kpi_table_rows"] > 0
    # the big tables were validated in place and never read into pandas
    assert "activities" not in scale["in_memory_tables"]
    assert "opportunities" not in scale["in_memory_tables"]
    assert scale["kpi_vs_floor"] > 0 and scale["peak_rss_bytes"]["median"] > 0
    assert data["sample"]["seconds"]["median"] > 0
    assert "machine" in data and "SQL floor" in proc.stdout
    _judged(proc, data, {"KPI table / SQL floor"})


def test_report_benchmark_smoke(tmp_path):
    proc, data = _smoke("report", tmp_path)
    assert data["reports"] == ["bangkok"] and data["runs"] == 1
    cold, same = data["median_seconds"]["cold"], data["median_seconds"]["same"]
    assert 0 < same < cold and data["speedup_vs_sequential"] > 0
    # the baseline at the batch's JOBS, apart from the one-at-a-time one
    assert data["median_seconds"]["par"] > 0 and data["speedup_vs_parallel_per_notebook"] > 0
    _judged(proc, data, {"cold batch", "no-change re-run / cold", "sequential per notebook / cold"})


def test_notebook_benchmark_smoke(tmp_path):
    proc, data = _smoke("notebooks", tmp_path)
    assert data["cache"] == "cold" and data["results"]["pipeline_conversion"]["seconds_median"] > 0
    _judged(proc, data, {"pipeline_conversion (cold)"})


def _judged(proc, data: dict, names: set[str]) -> None:
    """Each target printed with its verdict (a smoke run is not judged) and saved."""
    assert {v["target"] for v in data["verdicts"]} == names
    for name in names:
        assert f"target: {name} " in proc.stdout and "not judged (smoke run)" in proc.stdout


def test_a_missed_target_fails_the_benchmark(capsys):
    Targets = _bench_module("_results").Targets
    full = Targets()
    assert full.check("fast", 10.0, "<", 60, " s") and not full.check("slow", 61.0, "<", 60, " s")
    assert full.exit_code() == 1 and full.missed == ["slow"]
    out = capsys.readouterr()
    assert (
        "target: fast 10 s < 60 s: PASS" in out.out and "target: slow 61 s < 60 s: FAIL" in out.out
    )
    assert "missed target(s): slow" in out.err
    smoke = Targets(smoke=True)
    smoke.check("slow", 61.0, "<", 60)
    assert smoke.exit_code() == 0  # a smoke run checks that the benchmark runs, not the speed


def test_scale_benchmark_smoke(tmp_path):
    """bench_scale.py validates the dataset, then runs every analysis CLI for a team and the
    company, each in a fresh process with only that validation cached, and records seconds and
    peak memory for each; then a team's report against the sample's, and the company's report
    from an empty cache."""
    _, data = _smoke("scale", tmp_path)
    names = {
        f"{c} ({s})" for c in ("kpis", "funnel", "forecast", "effects") for s in ("team", "company")
    } | {"validate"}
    report = data["results"].pop("report")  # a team's report on the company and on the sample
    company = data["results"].pop("company_report")
    assert set(data["results"]) == names
    for name, r in data["results"].items():
        assert r["seconds_median"] > 0 and 0.05 < r["peak_gb_median"] < 6, name
    assert set(report["seconds_median"]) == {"bench", "sample"}
    assert min(report["seconds_median"].values()) > 0 and 0.05 < report["kernel_peak_gb_median"] < 6
    assert report["ratio"] == report["seconds_median"]["bench"] / report["seconds_median"]["sample"]
    (run,) = company["runs"]  # one run in a smoke
    assert company["seconds_median"] == run["wall_seconds"] > run["seconds"] > 0
    assert 0.05 < company["kernel_peak_gb_median"] < 6
    assert run["tree_peak_bytes"] > run["peak_bytes"]  # the batch and pandoc besides the kernel
    assert len(data["verdicts"]) == 2 * len(names) + 2 + 2


def test_the_real_series_sets_are_disjoint_and_as_registered():
    """The forecast's confirmation and reserve sets were fixed before anything was scored on them
    (docs/forecasting.md): their windows are the registered counts, whole, and none of them
    shares a series, or a window's values, with another set."""
    import numpy as np

    real_series = _bench_module("real_series")
    sets = {which: real_series.load(which) for which in real_series.SETS}
    assert {w: len(s) for w, s in sets.items()} == {
        "development": 59,
        "confirmation": 139,
        "reserve": 120,
    }
    series = {w: {name.split("@")[0] for name in s} for w, s in sets.items()}
    values = {w: {y.to_numpy().tobytes() for y in s.values()} for w, s in sets.items()}
    for a in real_series.SETS:
        for y in sets[a].values():
            assert len(y) == real_series.WINDOW and np.isfinite(y.to_numpy()).all()
        for b in real_series.SETS:
            if a < b:
                assert not series[a] & series[b], (a, b)
                assert not values[a] & values[b], (a, b)


def test_leave_one_family_out_by_hand():
    """Each family is scored with the rule best on the others: p/a and p/c with r2 (r1 loses
    p/b by much), p/b with r1 (best on p/a and p/c together); a window's early half stays with
    its series."""
    import pandas as pd

    leave_one_family_out = _bench_module("bench_forecast").leave_one_family_out
    rows = pd.DataFrame(
        {
            "series": ["p/a/1", "p/a/2", "p/b", "p/c", "p/c@early"],
            "smape:ets": [5.0, 5.0, 10.0, 3.0, 3.0],
            "smape:r1": [4.0, 4.0, 20.0, 1.0, 1.0],
            "smape:r2": [6.0, 6.0, 8.0, 2.0, 2.0],
        }
    )
    # without p/a: r1 (20 + 1 + 1) / 3 = 7.33, r2 (8 + 2 + 2) / 3 = 4 -> r2
    # without p/b: r1 (4 + 4 + 1 + 1) / 4 = 2.5, r2 (6 + 6 + 2 + 2) / 4 = 4 -> r1
    # without p/c: r1 (4 + 4 + 20) / 3 = 9.33, r2 (6 + 6 + 8) / 3 = 6.67 -> r2
    got = leave_one_family_out(rows, singles=("ets",))
    assert got["chosen"] == {"p/a": "r2", "p/b": "r1", "p/c": "r2"}
    assert got["smape_mean"] == pytest.approx((6 + 6 + 20 + 2 + 2) / 5)
    ets = got["models"]["ets"]
    assert ets["procedure_minus_model"] == pytest.approx(7.2 - 5.2)
    assert ets["ci95"][0] <= 2.0 <= ets["ci95"][1]
    assert got["models"]["r1"]["procedure_minus_model"] == pytest.approx(7.2 - 6.0)
