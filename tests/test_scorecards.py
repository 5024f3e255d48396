"""League table, attainment distribution, coaching levers and red/amber/green status on the tiny
fixture (January 2026; see tests/test_kpis.py for the fixture's events). Expected values by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from analysis.data.dataset import load_dataset
from analysis.metrics.scorecards import (
    attainment_distribution,
    coaching_view,
    league_table,
    rag_status,
    scorecard,
)
from conftest import TINY

JAN = pd.Period("2026-01", "M")
CYCLE_O1 = 36 + 1 / 24
CYCLE_O2 = 26 + (14 * 3600 + 59 * 60 + 59) / 86400


@pytest.fixture(scope="module")
def tiny():
    return load_dataset(TINY)


@pytest.mark.parametrize(
    ("value", "target", "higher", "expected"),
    [
        (0.30, 0.25, True, "green"),
        (0.25, 0.25, True, "green"),
        (0.23, 0.25, True, "amber"),  # within 10% of 0.25 (>= 0.225)
        (0.22, 0.25, True, "red"),
        (40.0, 48.0, False, "green"),
        (52.0, 48.0, False, "amber"),  # <= 48 x 1.1 = 52.8
        (53.0, 48.0, False, "red"),
        (None, 0.25, True, None),
        (0.3, None, True, None),
        (float("nan"), 0.25, True, None),
    ],
)
def test_rag_status(value, target, higher, expected):
    assert rag_status(value, target, higher) == expected


def test_league_table_company(tiny):
    table = league_table(tiny, JAN).set_index("rep_id")
    # attainment: r3 90,000/80,000 = 1.125; r1 100,000/100,000 = 1.0; r2 0/50,000 = 0; r4 no quota
    assert (
        table.loc["r3", "rank"] == 1
        and table.loc["r1", "rank"] == 2
        and table.loc["r2", "rank"] == 3
    )
    assert math.isnan(table.loc["r4", "rank"])
    assert list(table.index[:3]) == ["r3", "r1", "r2"]
    # team medians: north median(1.0, 0.0) = 0.5; south median(1.125) = 1.125
    assert table.loc["r1", "attainment_vs_team_median"] == pytest.approx(0.5)
    assert table.loc["r2", "attainment_vs_team_median"] == pytest.approx(-0.5)
    assert table.loc["r3", "attainment_vs_team_median"] == pytest.approx(0.0)
    assert math.isnan(table.loc["r1", "rank_last_month"])  # no quotas in December


def test_league_table_rank_change(tiny):
    feb = league_table(tiny, pd.Period("2026-02", "M"), team="north").set_index("rep_id")
    # February: r1 0/100,000 -> rank 1 (r2 has no quota); January r1 ranked 1 of north
    assert feb.loc["r1", "rank"] == 1 and feb.loc["r1", "rank_last_month"] == 1
    assert feb.loc["r1", "rank_change"] == 0


def test_attainment_distribution(tiny):
    dist = attainment_distribution(tiny, JAN)
    # values 1.0, 0.0, 1.125 (r4 has no quota): two at or above 100%
    assert dist["n_reps"] == 3 and dist["n_at_or_above_quota"] == 2
    assert dist["share_at_or_above_quota"] == pytest.approx(2 / 3)
    assert dist["median"] == pytest.approx(1.0)
    assert dist["p25"] == pytest.approx(0.5)  # linear between 0.0 and 1.0
    assert dist["p75"] == pytest.approx(1.0625)
    assert (
        attainment_distribution(tiny, pd.Period("2026-03", "M"))["share_at_or_above_quota"] is None
    )


def test_coaching_view_north(tiny):
    view = coaching_view(tiny, JAN, team="north", lookback=1).set_index("rep_id")
    r1, r2 = view.loc["r1"], view.loc["r2"]
    assert (r1["open_opportunities"], r1["win_rate"], r1["avg_deal_size"]) == (1, 1.0, 50_000)
    assert r1["avg_sales_cycle_days"] == pytest.approx((CYCLE_O1 + CYCLE_O2) / 2)
    # team medians: open 1, win rate median(1, 0) = 0.5, deal size 50,000, cycle r1's
    assert r1["win_rate_vs_team"] == pytest.approx(2.0)
    assert r2["win_rate_vs_team"] == pytest.approx(0.0)
    assert r2["weakest_lever"] == "win_rate"
    assert (
        r1["weakest_lever"] == "open_opportunities"
    )  # all others at or above the median (ties: first)
    assert bool(r1["small_sample"]) and r1["closed_deals"] == 2
    assert r1["required_coverage"] == pytest.approx(1.0)  # 1 / win rate 1.0
    assert r1["pipeline_coverage"] == pytest.approx(0.0)  # o3 is expected in January, not Feb-Apr
    assert r1["coverage_gap"] == pytest.approx(-1.0)
    assert math.isnan(r2["required_coverage"])  # win rate 0
    # tenure 12+ (hired 2024-06): median attainment of 12+ reps in Feb 2025-Jan 2026 = median(1.0, 1.125)
    assert r1["tenure"] == 19
    assert r1["ramp_adjusted_attainment"] == pytest.approx(1.0 / 1.0625)
    assert math.isnan(r2["ramp_adjusted_attainment"])  # 6-11 month reference is 0: no ratio


def test_scorecard_with_targets(tiny):
    card = scorecard(
        tiny, JAN, team="north", targets={"win_rate": 0.7, "quota_attainment": 0.7, "deals_lost": 1}
    ).set_index("kpi")
    assert card.loc["win_rate", "status"] == "amber"  # 2/3 vs 0.7: within 10%
    assert card.loc["quota_attainment", "status"] == "amber"
    assert card.loc["deals_lost", "status"] == "green"  # 1 <= 1, lower is better
    assert pd.isna(card.loc["revenue", "status"]) and card.loc["revenue", "value"] == 100_000
    assert card.loc["revenue", "last_month"] == 0.0
