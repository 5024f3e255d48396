"""Every KPI on the hand-written tiny dataset; each expected value is worked out by hand below.

tests/fixtures/tiny — team north: r1, r2 (left 2026-02-15); team south: r3, r4 (hired 2026-01-20).
The month under test is M = January 2026, i.e. [2026-01-01 00:00, 2026-02-01 00:00).

Opportunities (created -> closed, stage, amount, type):
  o1 r1 a1 2025-12-10 09:00 -> 2026-01-15 10:00 won   60,000 new_business   cycle 36 d 1 h
  o2 r1 a1 2026-01-05 09:00 -> 2026-01-31 23:59:59 won 40,000 upsell        cycle 26 d 14:59:59
  o3 r1 a1 2026-01-10 09:00 -> 2026-02-01 00:00 lost  30,000 cross_sell     (February: half-open M)
  o4 r2 a2 2026-01-02 09:00 -> 2026-01-20 15:00 lost  25,000 new_business
  o5 r2 a2 2026-01-03 09:00    open (negotiation)   70,000, expected close 2026-04-30
  o6 r3 a3 2025-11-01 09:00 -> 2026-01-10 11:00 won   90,000 new_business   cycle 70 d 2 h
  o7 r3 a3 2026-01-11 09:00 -> 2026-02-05 16:30 won   10,000 renewal, expected close 2026-02-05
  o8 r1 a1 2024-12-01 -> 2025-01-20 won 50,000 (January 2025, for year-on-year)
  o9 r3 a3 2025-11-15 -> 2025-12-20 won 45,000 (December 2025, for month-on-month)
"""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from analysis.data.dataset import load_dataset
from analysis.metrics.kpis import KPIS, kpi_markdown, kpi_table, kpis_for, missing_kpis
from analysis.reports.params import load_targets
from conftest import TINY

JAN, FEB, MAR = (pd.Period(m, "M") for m in ("2026-01", "2026-02", "2026-03"))
DAY = 86400
CYCLE_O1 = 36 + 3600 / DAY
CYCLE_O2 = 26 + (14 * 3600 + 59 * 60 + 59) / DAY
CYCLE_O6 = 70 + 2 * 3600 / DAY

# KPI -> (north, south, company) for January 2026, derived by hand from the fixture files.
EXPECTED_JAN = {
    # o1 + o2 | o6 | all three
    "revenue": (100_000, 90_000, 190_000),
    # December: north 0 -> null; south o9 45,000; company 45,000
    "revenue_growth_mom": (None, 90_000 / 45_000 - 1, 190_000 / 45_000 - 1),
    # January 2025: north o8 50,000; south 0 -> null; company 50,000
    "revenue_growth_yoy": (100_000 / 50_000 - 1, None, 190_000 / 50_000 - 1),
    # quotas.csv: r1 100,000 + r2 50,000 | r3 80,000
    "quota": (150_000, 80_000, 230_000),
    "quota_attainment": (100_000 / 150_000, 90_000 / 80_000, 190_000 / 230_000),
    "deals_won": (2, 1, 3),
    "deals_lost": (1, 0, 1),  # o4; o3 closes in February
    "win_rate": (2 / 3, 1.0, 3 / 4),
    "avg_deal_size": (50_000, 90_000, 190_000 / 3),
    # csat c1 5, c2 3 (r1), c3 4 (r2, 23:00 on the 31st); c4 is February, c5 December
    "csat_avg": (4.0, None, 4.0),
    "csat_responses": (3, 0, 3),
    # leads l1, l2, l3 (north), l5 (south) created in January; l4 created in December
    "leads_created": (3, 1, 4),
    # qualified_at in January: l1 (north); l4, l5 (south); l2 qualifies in February
    "qualified_leads": (1, 2, 3),
    # created in January and converted by its end: l1 only
    "lead_to_opportunity_rate": (1 / 3, 0.0, 1 / 4),
    # open at the end of January: o3 (closes 02-01 00:00) + o5 | o7
    "open_pipeline_amount": (100_000, 10_000, 110_000),
    "open_opportunities": (2, 1, 3),
    # open_opportunities x win_rate x avg_deal_size / avg_sales_cycle_days
    "pipeline_velocity": (
        2 * (2 / 3) * 50_000 / ((CYCLE_O1 + CYCLE_O2) / 2),
        1 * 1.0 * 90_000 / CYCLE_O6,
        3 * 0.75 * (190_000 / 3) / ((CYCLE_O1 + CYCLE_O2 + CYCLE_O6) / 3),
    ),
    # open pipeline expected to close Feb-Apr: o5 70,000 (north; o3 expected 01-31) | o7 10,000 (south)
    # quota Feb-Apr: r1 February 100,000 (north) | none (south) -> null
    "pipeline_coverage": (70_000 / 100_000, None, 80_000 / 100_000),
    # revenue.csv: a1 1,000 -> 1,200; a2 500 -> 0 (churned); a3 800 -> 700 (600 + 100)
    "churned_accounts": (1, 0, 1),
    "customer_churn_rate": (1 / 2, 0.0, 1 / 3),
    "gross_revenue_retention": ((1_000 + 0) / 1_500, 700 / 800, (1_000 + 0 + 700) / 2_300),
    "net_revenue_retention": ((1_200 + 0) / 1_500, 700 / 800, (1_200 + 0 + 700) / 2_300),
    # upsell/cross-sell closed in January: o2 won (o3 closes in February)
    "upsell_cross_sell_win_rate": (1.0, None, 1.0),
    "expansion_revenue": (40_000, 0, 40_000),
    # created in January on accounts with a won deal before 2026-01-01: o2, o3 (a1: o8) | o7 (a3: o9)
    "existing_account_opportunities": (2, 1, 3),
    "avg_sales_cycle_days": (
        (CYCLE_O1 + CYCLE_O2) / 2,
        CYCLE_O6,
        (CYCLE_O1 + CYCLE_O2 + CYCLE_O6) / 3,
    ),
    "median_sales_cycle_days": ((CYCLE_O1 + CYCLE_O2) / 2, CYCLE_O6, CYCLE_O1),
    # active in January: r1, r2 | r3, r4
    "deals_won_per_rep": (2 / 2, 1 / 2, 3 / 4),
    # accounts created before February: a1, a2 | a3 (a4 is created 2026-02-10)
    "accounts_assigned": (2, 1, 3),
    # activities in January: x1, x2, x3 on a1; x4 on a3 (x5 is February, x6 December)
    "accounts_touched": (1, 1, 2),
    "account_coverage_rate": (1 / 2, 1.0, 2 / 3),
    "visits": (2, 0, 2),  # x1 by r1, x3 by r2; x5 is February
    "provinces_touched": (1, 1, 2),  # เชียงใหม่ | ภูเก็ต
    "feedback_sessions": (2, 0, 2),  # f1 4, f2 2; f3 is February
    "avg_feedback_quality": (3.0, None, 3.0),
    # tickets: t1 north opened and resolved in January (12 h, escalated); t2 north opened in January;
    # t3 has no rep -> owner r3 (south), resolved in January after 72 h, reopened; t4 south opened, escalated
    "tickets_opened": (2, 1, 3),
    "tickets_resolved": (1, 1, 2),
    "median_resolution_hours": (12.0, 72.0, 42.0),
    "escalation_rate": (1 / 2, 1 / 1, 2 / 3),
    "reopen_rate": (0.0, 1.0, 1 / 2),
    # assignments before February: r1 NEG (done 01-15), r1 PRS (open), r2 NEG (done 02-10) | r3 NEG (done)
    "training_completion_rate": (1 / 3, 1.0, 2 / 4),
    "trainings_completed": (1, 0, 1),
    # latest negotiation score before February: r1 70 (01-20), r2 50 | r3 only in February -> null
    "avg_skill_score_negotiation": ((70 + 50) / 2, None, (70 + 50) / 2),
    "avg_skill_score_closing": (65.0, 80.0, (65 + 80) / 2),
    "avg_skill_score_presentation": (None, None, None),
    "avg_skill_score_discovery": (None, None, None),
    "avg_skill_score_product_knowledge": (None, None, None),
    "avg_lead_score": ((80 + 40 + 60) / 3, None, (80 + 40 + 60) / 3),  # l5 has no score
    # created in January and qualified by its end: l1 | l5
    "lead_qualification_rate": (1 / 3, 1.0, 2 / 4),
    # converted in January: l1 after 3 days (north), l4 after 14 days (south)
    "avg_lead_to_opportunity_days": (3.0, 14.0, (3 + 14) / 2),
}


@pytest.fixture(scope="module")
def tiny():
    return load_dataset(TINY)


@pytest.fixture(scope="module")
def january(tiny):
    return {
        "north": kpis_for(tiny, JAN, team="north"),
        "south": kpis_for(tiny, JAN, team="south"),
        "company": kpis_for(tiny, JAN),
    }


def test_every_kpi_has_a_hand_computed_case():
    assert set(EXPECTED_JAN) == set(KPIS)


@pytest.mark.parametrize("key", list(EXPECTED_JAN))
def test_kpi_january(key, january):
    for scope, expected in zip(("north", "south", "company"), EXPECTED_JAN[key], strict=True):
        got = january[scope][key]
        if expected is None:
            assert got is None, f"{key} for {scope}: expected null, got {got}"
        else:
            assert got == pytest.approx(expected, rel=1e-9), f"{key} for {scope}"


def test_counts_are_integers(january):
    for key, kpi in KPIS.items():
        if kpi.unit == "count":
            assert isinstance(january["north"][key], int), key


def test_rep_january(tiny):
    r1 = kpis_for(tiny, JAN, rep="r1")
    assert (r1["revenue"], r1["quota"], r1["quota_attainment"]) == (100_000.0, 100_000.0, 1.0)
    assert (r1["deals_won"], r1["deals_lost"], r1["win_rate"], r1["avg_deal_size"]) == (
        2,
        0,
        1.0,
        50_000.0,
    )
    assert r1["visits"] == 1 and r1["accounts_touched"] == 1 and r1["accounts_assigned"] == 1
    assert r1["deals_won_per_rep"] == 2.0
    r2 = kpis_for(tiny, JAN, rep="r2")
    assert (r2["revenue"], r2["quota_attainment"], r2["win_rate"], r2["avg_deal_size"]) == (
        0.0,
        0.0,
        0.0,
        None,
    )
    r4 = kpis_for(tiny, JAN, rep="r4")  # hired 2026-01-20, nothing yet
    assert r4["revenue"] == 0.0 and r4["quota"] is None and r4["win_rate"] is None


def test_month_boundary_is_half_open(tiny):
    # o3 closed at 2026-02-01 00:00:00 counts in February only
    assert kpis_for(tiny, JAN, rep="r1")["deals_lost"] == 0
    assert kpis_for(tiny, FEB, rep="r1")["deals_lost"] == 1


def test_null_cases(tiny):
    south_feb = kpis_for(tiny, FEB, team="south")
    assert south_feb["quota"] is None and south_feb["quota_attainment"] is None
    assert south_feb["revenue"] == 10_000.0 and south_feb["win_rate"] == 1.0
    r2_feb = kpis_for(tiny, FEB, rep="r2")  # left 02-15: active, no events, no quota
    assert (r2_feb["revenue"], r2_feb["deals_won"], r2_feb["deals_lost"]) == (0.0, 0, 0)
    assert (
        r2_feb["win_rate"] is None
        and r2_feb["avg_deal_size"] is None
        and r2_feb["quota_attainment"] is None
    )
    march = kpis_for(tiny, MAR)  # nothing closes in March
    assert march["revenue"] == 0.0
    assert march["revenue_growth_mom"] == pytest.approx(0 / 10_000 - 1)  # February had 10,000
    assert (
        march["win_rate"] is None
        and march["avg_deal_size"] is None
        and march["quota_attainment"] is None
    )
    assert march["pipeline_velocity"] is None and march["avg_sales_cycle_days"] is None


def test_company_february(tiny):
    feb = kpis_for(tiny, FEB)
    assert feb["revenue"] == 10_000.0
    assert feb["quota"] == 100_000.0
    assert feb["quota_attainment"] == pytest.approx(0.1)
    assert feb["win_rate"] == pytest.approx(0.5)  # o7 won, o3 lost
    assert feb["accounts_assigned"] == 4  # a4 created 2026-02-10


def test_rep_rows_follow_employment(tiny):
    reps = kpi_table(tiny, [JAN, FEB, MAR], level="rep")
    active = set(zip(reps["scope_id"], reps["month"].astype(str), strict=True))
    assert ("r2", "2026-02") in active  # left mid-February: still active in February
    assert ("r2", "2026-03") not in active
    assert ("r4", "2026-01") in active


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
    with pytest.raises(ValueError, match="level: 'region'"):
        kpi_table(tiny, [JAN], level="region")


ADDITIVE = [k for k, v in KPIS.items() if v.unit == "count" and k != "provinces_touched"] + [
    "revenue",
    "quota",
    "open_pipeline_amount",
    "expansion_revenue",
]


def test_teams_add_up_to_company(small_dataset):
    ds = load_dataset(small_dataset)
    months = list(pd.period_range("2025-10", "2026-10", freq="M"))
    teams = kpi_table(ds, months, level="team").groupby("month")[ADDITIVE].sum(min_count=1)
    company = kpi_table(ds, months, level="company").set_index("month")[ADDITIVE]
    pd.testing.assert_frame_equal(teams, company, check_dtype=False, check_names=False)
    reps = (
        kpi_table(ds, months, level="rep")
        .groupby("month")[["revenue", "deals_won", "visits"]]
        .sum()
    )
    pd.testing.assert_frame_equal(
        reps, company[["revenue", "deals_won", "visits"]], check_dtype=False
    )


def test_only_required_tables(tiny_copy):
    """teams, reps and opportunities alone are a valid dataset; other families are null with a reason."""
    keep = {"teams.csv", "reps.csv", "opportunities.csv", "dataset.yaml"}
    for path in tiny_copy.iterdir():
        if path.name not in keep:
            path.unlink()
    tiny_copy.joinpath("opportunities.csv").write_text(
        tiny_copy.joinpath("opportunities.csv")
        .read_text()
        .replace(",l1,", ",,")
        .replace(",l4,", ",,")
    )
    ds = load_dataset(tiny_copy)
    assert set(ds.tables) == {"teams", "reps", "opportunities"}
    north = kpis_for(ds, JAN, team="north")
    assert north["revenue"] == 100_000.0 and north["win_rate"] == pytest.approx(2 / 3)
    assert (
        north["quota"] is None
        and north["quota_attainment"] is None
        and north["pipeline_coverage"] is None
    )
    assert north["csat_responses"] is None and north["visits"] is None  # unknown, not zero
    reasons = missing_kpis(ds)
    assert reasons["csat_avg"] == "no csat table in the dataset"
    assert reasons["account_coverage_rate"] == "no accounts table / activities table in the dataset"
    assert "revenue" not in reasons and "open_pipeline_amount" not in reasons


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
    assert set(out["kpis"]) == set(KPIS)
    assert out["missing"] == {}
    # a team without a params file is scored against the defaults in params/_defaults.yaml
    assert out["targets"] == load_targets(None) and "win_rate" in out["targets"]
    assert out["status"]["win_rate"] == "green"  # o7 won, nothing lost: 100% vs the target
    assert out["status"]["quota_attainment"] is None  # no quota in February for south
    assert "NaN" not in proc.stdout and "Infinity" not in proc.stdout


@pytest.mark.parametrize("as_of", [None, "2026-08-31"])
def test_a_month_after_the_datas_last_event_is_an_error(tmp_path, as_of):
    """Issue 15: `kpis --month` for a month after the data's end printed revenue 0 and exited 0.
    tests/fixtures/tiny is dated 2026-03-31 but its last event is in February; an export dated
    later still (as_of 2026-08-31) says nothing about the months in between."""
    import shutil

    import yaml

    data = tmp_path / "tiny"
    shutil.copytree(TINY, data)
    if as_of:
        meta = yaml.safe_load((data / "dataset.yaml").read_text())
        (data / "dataset.yaml").write_text(yaml.safe_dump({**meta, "as_of": as_of}))
    for command in ("kpis", "funnel", "effects"):
        proc = subprocess.run(
            [sys.executable, "-m", "analysis", command, "--data", str(data), "--month", "2026-03"],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 2, (command, proc.stdout[-500:])
        assert "--month: 2026-03 is after the data" in proc.stderr, proc.stderr
        assert "its last event is in 2026-02" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_kpis_rep_json():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "kpis",
            "--data",
            str(TINY),
            "--month",
            "2026-01",
            "--rep",
            "r1",
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["scope"] == {"level": "rep", "month": "2026-01", "rep_id": "r1"}
    assert out["kpis"]["revenue"] == 100_000.0


def test_cli_kpis_bad_month_exits_2():
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "kpis", "--data", str(TINY), "--month", "2026-13"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "--month: '2026-13' is not a month" in proc.stderr


def test_kpi_docs_list_every_kpi():
    text = kpi_markdown()
    for key, kpi in KPIS.items():
        assert f"| `{key}` | {kpi.label_en} | {kpi.label_th} |" in text


@pytest.mark.parametrize("level", ["company", "team", "rep"])
def test_shared_table_slices_equal_a_direct_computation(small_dataset, level):
    """kpi_table on a loaded dataset slices the shared all-months table; every slice must equal
    computing just those months (incl. the first months, where growth looks before the data)."""
    from analysis.metrics.kpis import _kpi_table, shared_kpi_table

    ds = load_dataset(small_dataset)
    first = ds["opportunities"]["created_at"].min().to_period("M")
    latest = ds.latest_complete_month
    assert shared_kpi_table(ds, level) is not None
    for months in ([first], [first, first + 1], [latest - 12, latest], [latest - 1, latest]):
        shared = kpi_table(ds, months, level=level)
        direct = _kpi_table(ds, months, level)
        assert len(shared) and set(shared["month"]) == set(months)
        pd.testing.assert_frame_equal(shared, direct)


def test_a_dataset_cut_as_of_is_never_served_the_shared_table(small_dataset):
    from analysis.metrics.asof import as_of
    from analysis.metrics.kpis import shared_kpi_table
    from analysis.months import next_month_start

    ds = load_dataset(small_dataset)
    month = ds.latest_complete_month - 3
    cut = as_of(ds, next_month_start(month))
    assert cut.content_hash == "" and shared_kpi_table(cut, "team") is None
    # open deals at M differ in the cut (later closes undone) only for later months; M agrees
    pd.testing.assert_frame_equal(
        kpi_table(cut, [month], level="team"), kpi_table(ds, [month], level="team")
    )


def test_accounts_without_geography_owner_or_creation_date_are_kept(tiny_copy):
    """Issue 20: the contract required latitude, longitude, owner_rep_id and created_date,
    which most exports lack, so the accounts table (and every account KPI) was dropped. Without
    them: the company's account KPIs are computed, an account without a creation date counts
    in every month, and teams' and reps' account KPIs are null with the reason."""
    from analysis.i18n import t
    from analysis.reports import capabilities

    accounts = pd.read_csv(tiny_copy / "accounts.csv")
    accounts[["account_id", "account_name", "industry", "province"]].to_csv(
        tiny_copy / "accounts.csv", index=False
    )
    ds = load_dataset(tiny_copy)
    company = kpis_for(ds, JAN)
    # by hand: all 4 accounts count from the start (a4's 2026-02-10 creation is unknown now)
    assert company["accounts_assigned"] == 4
    # activities in January: on a1 and a3 (as in the full fixture), so 2 of 4 touched
    assert company["accounts_touched"] == 2
    assert company["account_coverage_rate"] == pytest.approx(2 / 4)
    team = kpis_for(ds, JAN, team=ds["teams"]["team_id"].iloc[0])
    assert team["accounts_assigned"] is None and team["account_coverage_rate"] is None
    reasons = missing_kpis(ds, "team")
    assert reasons["accounts_assigned"] == (
        "the accounts table has no owner_rep_id: no account is in a team"
    )
    assert "accounts_assigned" not in missing_kpis(ds)  # the company's are computed
    assert t("cap_account_owner", "en") in capabilities.data_note(ds, "en")


def test_an_owner_column_left_out_of_a_parquet_table_is_found_without_reading_the_table(tmp_path):
    """`accounts_without_owners` asks `Tables.all_null`, which reads one column of a table still
    on disk (a lazy dataset at national scale), not the whole table."""
    from analysis.data.dataset import Tables

    frame = pd.DataFrame({"account_id": ["a1", "a2"], "owner_rep_id": [None, "r1"]})
    frame.to_parquet(tmp_path / "with.parquet")
    frame[["account_id"]].to_parquet(tmp_path / "without.parquet")
    frame.assign(owner_rep_id=None).to_parquet(tmp_path / "empty.parquet")
    for name, expected in (("with", False), ("without", True), ("empty", True)):
        tables = Tables({}, lazy={"accounts": tmp_path / f"{name}.parquet"})
        assert tables.all_null("accounts", "owner_rep_id") is expected, name
        assert tables.loaded("accounts") is None  # still on disk
    assert Tables({"accounts": frame}).all_null("accounts", "owner_rep_id") is False


def _undated(path):
    """Three months of one rep's deals, three of them without a creation date (a won one, a lost
    one and an open one), data as of 2026-03-31."""
    path.mkdir()
    (path / "dataset.yaml").write_text(
        "name: undated\ntimezone: UTC\ncurrency: USD\nas_of: 2026-03-31\n", encoding="utf-8"
    )
    pd.DataFrame(
        {"team_id": ["t"], "team_name": ["T"], "manager_name": ["M"], "region": ["R"]}
    ).to_csv(path / "teams.csv", index=False)
    pd.DataFrame(
        {
            "rep_id": ["r1"],
            "rep_name": ["Ann"],
            "team_id": ["t"],
            "hire_date": ["2025-06-01"],
            "territory": ["X"],
        }
    ).to_csv(path / "reps.csv", index=False)
    deals = [
        # id, created, expected close, closed, stage, amount
        ("d1", "2026-01-10 09:00", "2026-02-15", "2026-02-15 10:00", "closed_won", 100),
        ("d2", "", "2026-02-20", "2026-02-20 12:00", "closed_won", 200),
        ("d3", "", "", "", "prospecting", 50),
        ("d4", "2026-01-05 09:00", "2026-04-10", "", "qualification", 70),
        ("d5", "", "2026-03-03", "2026-03-03 08:00", "closed_lost", 30),
    ]
    frame = pd.DataFrame(
        deals,
        columns=[
            "opportunity_id",
            "created_at",
            "expected_close_date",
            "closed_at",
            "stage",
            "amount",
        ],
    )
    frame.assign(
        account_id="a1", rep_id="r1", product="P", deal_type="new_business", loss_reason=""
    ).to_csv(path / "opportunities.csv", index=False)
    return path


def test_deals_without_a_creation_date_are_kept_and_left_out_only_where_the_date_is_needed(
    tmp_path,
):
    """Issue 20: an export's prospecting deals had no creation date and had to be dropped (the
    contract required one). They are kept with a warning; a closed one counts in its close month
    (revenue, wins, losses) but not in the sales cycle; an open one is in the month-end pipeline
    only from the data's as-of date; the as-of cut agrees with the KPI engine."""
    from analysis.metrics.asof import as_of
    from analysis.months import next_month_start

    ds = load_dataset(_undated(tmp_path / "d"))
    (flag,) = [w for w in ds.warnings if w.column == "created_at"]
    assert flag.n_rows == 3 and flag.severity == "warning"
    feb, mar, jan = kpis_for(ds, FEB), kpis_for(ds, MAR), kpis_for(ds, JAN)
    # February: d1 (100) and the undated d2 (200) won; the cycle is d1's alone
    assert feb["revenue"] == 300 and feb["deals_won"] == 2
    d1_days = (pd.Timestamp("2026-02-15 10:00") - pd.Timestamp("2026-01-10 09:00")).total_seconds()
    assert feb["avg_sales_cycle_days"] == pytest.approx(d1_days / 86400)
    assert feb["median_sales_cycle_days"] == pytest.approx(d1_days / 86400)
    # month-end pipeline: end of January d1 + d4 (d2 is known only from its close), end of
    # February d4, end of March d4 + the undated open d3 (open at the export, 2026-03-31)
    assert (jan["open_opportunities"], jan["open_pipeline_amount"]) == (2, 170)
    assert (feb["open_opportunities"], feb["open_pipeline_amount"]) == (1, 70)
    assert (mar["open_opportunities"], mar["open_pipeline_amount"]) == (2, 120)
    # March: the undated d5 lost
    assert mar["deals_lost"] == 1 and mar["win_rate"] == 0
    # the as-of cut keeps what was known then, and gives the same KPIs
    cut = as_of(ds, next_month_start(FEB))
    assert sorted(cut["opportunities"]["opportunity_id"]) == ["d1", "d2", "d4"]
    for month in (JAN, FEB, MAR):
        cut = as_of(ds, next_month_start(month))
        for level in ("company", "rep"):
            pd.testing.assert_frame_equal(
                kpi_table(cut, [month], level=level), kpi_table(ds, [month], level=level)
            )
    # the reports say so, with the date the open ones count from
    from analysis.reports import capabilities

    note = capabilities.data_note(ds, "en", buddhist_era=False)
    assert "- 3 deal(s) have no creation date (created_at)" in note
    assert "from the data's date (31 March 2026)" in note
    assert "- 1 deal(s) have no expected close date" in note
    # a cut of a cut is the cut: the as-of date never moves past the data's
    late = as_of(ds, pd.Timestamp("2026-06-01"))
    assert late.as_of == pd.Timestamp("2026-03-31")
    assert sorted(as_of(late, next_month_start(FEB))["opportunities"]["opportunity_id"]) == [
        "d1",
        "d2",
        "d4",
    ]


@pytest.mark.parametrize("level", ["team", "rep"])
def test_closing_table_equals_the_kpi_tables_columns(small_dataset, level):
    """`closing_table` (the skill tests' panel at scale) runs only the KPI table's closing and
    quota queries: its four columns must equal the KPI table's, including the months where a
    deal's closing was undone later (the sample's stage history reopens deals)."""
    from analysis.metrics.kpis import CLOSING_COLUMNS, _kpi_table, closing_table

    ds = load_dataset(small_dataset)
    months = list(pd.period_range(ds.first_month, ds.latest_complete_month, freq="M"))
    full = _kpi_table(ds, months, level).set_index(["scope_id", "month"])
    lean = closing_table(ds, months, level).set_index(["scope_id", "month"])
    assert set(lean.index) <= set(full.index) and lean["deals_won"].sum() > 0
    expected = full[list(CLOSING_COLUMNS)].astype("float64")
    got = lean.reindex(expected.index).fillna(0.0)
    pd.testing.assert_frame_equal(got, expected.fillna(0.0))
    # the pairs left out are those with nothing closed and no quota
    left_out = expected.drop(index=lean.index)
    assert (left_out.fillna(0.0) == 0).all().all()


def _datasets(small_dataset, hostile, tmp_path):
    from conftest import write_sparse_export

    return {
        "tiny": load_dataset(TINY),
        "small": load_dataset(small_dataset),
        "hostile": load_dataset(hostile[0]),
        "sparse": load_dataset(write_sparse_export(tmp_path / "sparse")),
    }


def test_one_scopes_kpis_computed_alone_are_its_rows_of_the_whole_table(
    small_dataset, hostile, tmp_path
):
    """Issue 21: `kpis --team` (and the funnel's pipeline health) computes its one team and month
    without the table of every team and month. Every team, every rep and the company of four
    datasets (the hand-made tiny one, a generated one, the hostile company with its team that
    lost everything, the sparse export), in three months each: equal to that scope's rows of
    the whole table, dtypes and all, including scopes with no row in a month."""
    from analysis.metrics.kpis import _kpi_table

    for name, ds in _datasets(small_dataset, hostile, tmp_path).items():
        latest = ds.latest_complete_month
        months = [latest - 12, latest - 1, latest]
        months = [m for m in months if m >= ds.first_month]
        for level in ("team", "rep"):
            whole = _kpi_table(ds, months, level)
            ids = ds["teams"]["team_id"] if level == "team" else ds["reps"]["rep_id"]
            for scope_id in ids:
                alone = _kpi_table(ds, months, level, only=scope_id)
                expected = whole[whole["scope_id"].eq(scope_id)].reset_index(drop=True)
                assert set(alone["scope_id"]) <= {scope_id}, (name, scope_id)
                pd.testing.assert_frame_equal(alone, expected, obj=f"{name} {scope_id}")
        pd.testing.assert_frame_equal(
            _kpi_table(ds, months, "company", only="x"), _kpi_table(ds, months, "company")
        )


def test_kpis_for_one_team_does_not_compute_every_team_unless_the_table_is_cached(
    small_dataset, tmp_path, monkeypatch
):
    """Cold (nothing cached), `kpis_for` computes the team's month alone; once the shared table
    of every team is in the cache (the batch makes it), it reads its row from there."""
    import analysis.metrics.kpis as K

    monkeypatch.setenv("AEM_CACHE_DIR", str(tmp_path / "cache"))
    K._SHARED.clear()
    ds = load_dataset(small_dataset)
    month, team = ds.latest_complete_month, ds["teams"]["team_id"].iloc[0]
    calls = []
    compute = K._kpi_table
    monkeypatch.setattr(
        K,
        "_kpi_table",
        lambda d, m, lv, only=None: calls.append((len(m), only)) or compute(d, m, lv, only),
    )
    cold = kpis_for(ds, month, team=team)
    assert calls == [(1, team)]
    K.shared_kpi_table(ds, "team")  # what the batch does before its reports
    K._SHARED.clear()  # a new process: the table is in the on-disk cache only
    calls.clear()
    warm = kpis_for(ds, month, team=team)
    assert calls == []
    # equal but for the last bit of an average summed in another order
    pd.testing.assert_series_equal(
        pd.Series(warm, dtype="float64"), pd.Series(cold, dtype="float64")
    )


def test_the_kpi_tables_of_every_level_computed_together_equal_each_computed_alone(
    small_dataset, hostile, tmp_path
):
    """Issue 21: the batch computes the company's, the teams' and the reps' tables in one pass
    (`_kpi_tables`: one connection, the open pipeline at every month end computed once for the
    three). Each must equal its level computed alone, dtypes and all, over every month of four
    datasets (tiny, generated, hostile, sparse: one without snapshots of the open rows)."""
    from analysis.metrics.kpis import LEVELS, _all_months, _kpi_table, _kpi_tables

    for name, ds in _datasets(small_dataset, hostile, tmp_path).items():
        months = _all_months(ds)
        together = _kpi_tables(ds, months, LEVELS)
        assert list(together) == list(LEVELS)
        for level in LEVELS:
            alone = _kpi_table(ds, months, level)
            assert len(alone) and alone["open_opportunities"].sum() > 0, (name, level)
            pd.testing.assert_frame_equal(together[level], alone, obj=f"{name} {level}")


def test_shared_kpi_tables_computes_the_missing_levels_once_and_caches_each(
    small_dataset, tmp_path, monkeypatch
):
    """`shared_kpi_tables` (what the batch runs before the kernels) computes the levels neither
    in memory nor in the cache in one `_kpi_tables` call, and stores each where
    `shared_kpi_table` finds it: a new process (memory cleared) reads all three from disk, and a
    second call computes nothing."""
    import analysis.metrics.kpis as K

    monkeypatch.setenv("AEM_CACHE_DIR", str(tmp_path / "cache"))
    K._SHARED.clear()
    ds = load_dataset(small_dataset)
    calls = []
    together = K._kpi_tables
    monkeypatch.setattr(
        K,
        "_kpi_tables",
        lambda d, m, levels, only=None: calls.append(tuple(levels)) or together(d, m, levels, only),
    )
    K.shared_kpi_table(ds, "team")  # one level already there: only the two others are computed
    K.shared_kpi_tables(ds)
    assert calls == [("team",), ("company", "rep")]
    made = {level: K.shared_kpi_table(ds, level) for level in K.LEVELS}
    K._SHARED.clear()  # a new process
    calls.clear()
    K.shared_kpi_tables(ds)
    assert calls == []
    for level in K.LEVELS:
        read = K.shared_kpi_table(ds, level, compute=False)
        pd.testing.assert_frame_equal(read, made[level])
        assert set(read["level"]) == {level}
