"""KPIs on the hand-written tiny dataset; expected values are worked out by hand below.

tests/fixtures/tiny, January 2026 (closed_at in [2026-01-01, 2026-02-01)):
  r1 (north): o1 won 60,000 (01-15) + o2 won 40,000 (01-31 23:59:59, still January); quota 100,000
  r2 (north): o4 lost (01-20); o5 still open; quota 50,000
  r3 (south): o6 won 90,000 (01-10); quota 80,000
  o3 closes 2026-02-01 00:00:00: February, not January (half-open months).
February 2026: r1 o3 lost, quota 100,000; r2 left 02-15 (active, no events, no quota);
  r3 o7 won 10,000, no quota row.
March 2026: nothing closes, no quotas.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from analysis.io import load_dataset
from analysis.kpis import KPIS, kpi_table, kpis_for
from conftest import TINY

JAN, FEB, MAR = (pd.Period(m, "M") for m in ("2026-01", "2026-02", "2026-03"))


@pytest.fixture(scope="module")
def tiny():
    return load_dataset(TINY)


def test_rep_january(tiny):
    assert kpis_for(tiny, JAN, rep="r1") == {
        "revenue": 100_000.0,
        "quota": 100_000.0,
        "quota_attainment": 1.0,
        "deals_won": 2,
        "deals_lost": 0,
        "win_rate": 1.0,
        "avg_deal_size": 50_000.0,
    }
    assert kpis_for(tiny, JAN, rep="r2") == {
        "revenue": 0.0,
        "quota": 50_000.0,
        "quota_attainment": 0.0,
        "deals_won": 0,
        "deals_lost": 1,
        "win_rate": 0.0,
        "avg_deal_size": None,
    }


def test_team_january(tiny):
    north = kpis_for(tiny, JAN, team="north")
    assert north["revenue"] == 100_000.0
    assert north["quota"] == 150_000.0
    assert north["quota_attainment"] == pytest.approx(100_000 / 150_000)
    assert (north["deals_won"], north["deals_lost"]) == (2, 1)
    assert north["win_rate"] == pytest.approx(2 / 3)
    assert north["avg_deal_size"] == 50_000.0
    south = kpis_for(tiny, JAN, team="south")
    assert south["quota_attainment"] == pytest.approx(90_000 / 80_000)
    assert south["avg_deal_size"] == 90_000.0


def test_company_january(tiny):
    company = kpis_for(tiny, JAN)
    assert company["revenue"] == 190_000.0
    assert company["quota"] == 230_000.0
    assert company["quota_attainment"] == pytest.approx(190_000 / 230_000)
    assert company["win_rate"] == pytest.approx(3 / 4)
    assert company["avg_deal_size"] == pytest.approx(190_000 / 3)


def test_month_boundary_is_half_open(tiny):
    # o3 closed at 2026-02-01 00:00:00 counts in February only
    assert kpis_for(tiny, JAN, rep="r1")["deals_lost"] == 0
    assert kpis_for(tiny, FEB, rep="r1")["deals_lost"] == 1


def test_null_cases(tiny):
    # no quota row -> attainment null, not 0 or inf
    south_feb = kpis_for(tiny, FEB, team="south")
    assert south_feb["quota"] is None
    assert south_feb["quota_attainment"] is None
    assert south_feb["revenue"] == 10_000.0 and south_feb["win_rate"] == 1.0
    # a rep active with no events and no quota: counts are 0, ratios are null
    r2_feb = kpis_for(tiny, FEB, rep="r2")
    assert (r2_feb["revenue"], r2_feb["deals_won"], r2_feb["deals_lost"]) == (0.0, 0, 0)
    assert (
        r2_feb["win_rate"] is None
        and r2_feb["avg_deal_size"] is None
        and r2_feb["quota_attainment"] is None
    )
    # nothing closes in March
    march = kpis_for(tiny, MAR)
    assert march["revenue"] == 0.0
    assert march["win_rate"] is None
    assert march["avg_deal_size"] is None
    assert march["quota_attainment"] is None


def test_company_february(tiny):
    feb = kpis_for(tiny, FEB)
    assert feb["revenue"] == 10_000.0
    assert feb["quota"] == 100_000.0
    assert feb["quota_attainment"] == pytest.approx(0.1)
    assert feb["win_rate"] == pytest.approx(0.5)


def test_rep_rows_follow_employment(tiny):
    reps = kpi_table(tiny, [JAN, FEB, MAR], level="rep")
    active = set(zip(reps["scope_id"], reps["month"].astype(str), strict=True))
    assert ("r2", "2026-02") in active  # left mid-February: still active in February
    assert ("r2", "2026-03") not in active


def test_table_shape_and_columns(tiny):
    table = kpi_table(tiny, [JAN, FEB], level="team")
    assert list(table.columns) == ["level", "scope_id", "month", *KPIS]
    assert len(table) == 4  # 2 teams x 2 months


def test_unknown_scope_is_a_clear_error(tiny):
    with pytest.raises(
        ValueError, match=r"team: 'west' is not in teams.team_id \(valid: north, south\)"
    ):
        kpis_for(tiny, JAN, team="west")
    with pytest.raises(ValueError, match="rep: 'r9'"):
        kpis_for(tiny, JAN, rep="r9")


def test_teams_add_up_to_company(small_dataset):
    ds = load_dataset(small_dataset)
    months = list(pd.period_range("2025-10", "2026-10", freq="M"))
    teams = (
        kpi_table(ds, months, level="team")
        .groupby("month")[["revenue", "deals_won", "deals_lost", "quota"]]
        .sum()
    )
    company = kpi_table(ds, months, level="company").set_index("month")
    for col in ("revenue", "deals_won", "deals_lost", "quota"):
        pd.testing.assert_series_equal(
            teams[col], company[col], check_names=False, check_dtype=False
        )
    reps = kpi_table(ds, months, level="rep").groupby("month")["revenue"].sum()
    pd.testing.assert_series_equal(reps, company["revenue"], check_names=False)


def test_cli_kpis_json():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "kpis",
            "--data",
            str(TINY),
            "--month",
            "2026-02",
            "--team",
            "south",
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["scope"] == {"level": "team", "month": "2026-02", "team_id": "south"}
    assert out["kpis"]["revenue"] == 10_000.0
    assert out["kpis"]["quota_attainment"] is None  # JSON null, never NaN
    assert "NaN" not in proc.stdout


def test_cli_kpis_bad_month_exits_2():
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "kpis", "--data", str(TINY), "--month", "2026-13"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "--month: '2026-13' is not a month" in proc.stderr


def test_only_required_tables(tiny_copy):
    """teams, reps and opportunities alone are a valid dataset; quota KPIs are then null."""
    (tiny_copy / "quotas.csv").unlink()
    (tiny_copy / "accounts.csv").unlink()
    ds = load_dataset(tiny_copy)
    assert set(ds.tables) == {"teams", "reps", "opportunities"}
    north = kpis_for(ds, JAN, team="north")
    assert north["revenue"] == 100_000.0
    assert north["quota"] is None and north["quota_attainment"] is None
    assert north["win_rate"] == pytest.approx(2 / 3)
