"""As-of semantics: a KPI of month M uses nothing stamped after the end of M (property-based)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis.data.dataset import load_dataset
from analysis.metrics.asof import as_of
from analysis.metrics.kpis import KPIS, kpi_table
from analysis.months import next_month_start
from conftest import FIXTURES, SMALL_CONFIG, TINY

MONTHS = list(
    pd.period_range(
        pd.Period(SMALL_CONFIG.end_month, "M") - (SMALL_CONFIG.months - 1),
        SMALL_CONFIG.end_month,
        freq="M",
    )
)


@pytest.fixture(scope="module")
def small(small_dataset):
    return load_dataset(small_dataset)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(month=st.sampled_from(MONTHS), level=st.sampled_from(["company", "team", "rep"]))
def test_truncating_after_the_month_changes_no_kpi(small, month, level):
    full = kpi_table(small, [month], level=level)
    cut = kpi_table(as_of(small, next_month_start(month)), [month], level=level)
    pd.testing.assert_frame_equal(full, cut)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(month=st.sampled_from(MONTHS), level=st.sampled_from(["company", "team", "rep"]))
def test_rates_are_proportions_or_null(small, month, level):
    table = kpi_table(small, [month], level=level)
    for key, kpi in KPIS.items():
        values = table[key].dropna()
        assert np.isfinite(values).all(), key
        if (
            kpi.unit == "ratio"
            and not key.startswith("revenue_growth")
            and key not in ("pipeline_coverage", "quota_attainment", "net_revenue_retention")
        ):
            assert values.between(0, 1).all(), key
        if kpi.unit in ("count", "currency", "days", "hours"):
            assert (values >= 0).all(), key


def test_as_of_rolls_back_states():
    ds = load_dataset(TINY)
    cut = as_of(ds, pd.Timestamp("2026-01-16"))
    opps = cut["opportunities"].set_index("opportunity_id")
    assert pd.isna(opps.loc["o7", "closed_at"])  # created 01-11, won on 02-05
    assert pd.isna(opps.loc["o2", "closed_at"])  # won on 01-31, so open on the 16th
    assert opps.loc["o2", "stage"] == "prospecting"  # no stage history in the fixture
    assert opps.loc["o1", "stage"] == "closed_won"  # won on 01-15
    leads = cut["leads"].set_index("lead_id")
    assert pd.isna(leads.loc["l2", "qualified_at"]) and "l3" not in leads.index
    assert pd.notna(leads.loc["l1", "converted_at"])  # converted 01-05
    assert leads.loc["l4", "converted_opportunity_id"] == "o7"  # converted 01-11
    tickets = cut["tickets"].set_index("ticket_id")
    assert pd.notna(tickets.loc["t1", "resolved_at"])  # resolved 01-03
    assert pd.isna(tickets.loc["t2", "resolved_at"])  # resolved 02-02: undone
    assert str(cut.latest_complete_month) == "2025-12"


def test_as_of_rolls_back_every_deal_from_its_history():
    # tests/fixtures/funnel: p4 created 03-03, entered qualification 03-15 (open now); p5 lost on
    # 02-05 and reopened at proposal on 03-02 (open now)
    ds = load_dataset(FIXTURES / "funnel")
    opps = as_of(ds, pd.Timestamp("2026-03-10"))["opportunities"].set_index("opportunity_id")
    assert opps.loc["p4", "stage"] == "prospecting"  # qualification came on 03-15
    assert opps.loc["p5", "stage"] == "proposal" and pd.isna(opps.loc["p5", "closed_at"])
    feb = as_of(ds, pd.Timestamp("2026-03-01"))["opportunities"].set_index("opportunity_id")
    assert feb.loc["p5", "stage"] == "closed_lost"
    assert feb.loc["p5", "closed_at"] == pd.Timestamp("2026-02-05 09:00")
    assert feb.loc["p1", "stage"] == "proposal"  # won 03-20, at proposal since 02-20


def test_the_kpis_count_a_loss_that_was_reopened_later_in_its_month():
    # p5 lost 02-05, reopened 03-02: February has two losses (p3 02-20, p5) and ends with p1 100
    # and p2 50 open; March's pipeline has p5 (60) again, with p4 (40): 100
    from analysis.metrics.kpis import kpis_for

    ds = load_dataset(FIXTURES / "funnel")
    feb = kpis_for(ds, pd.Period("2026-02", "M"), team="north")
    assert feb["deals_lost"] == 2 and feb["open_pipeline_amount"] == 150
    assert feb["open_opportunities"] == 2
    assert kpis_for(ds, pd.Period("2026-03", "M"), team="north")["open_pipeline_amount"] == 100


@pytest.mark.parametrize("cut", ["2024-03-01", "2025-09-01", "2026-06-15 12:00", "2026-10-20"])
def test_as_of_gives_the_deals_the_crm_held_then(cut):
    """The generator can extract the deal tables at any instant from its simulation (reopened
    losses, open deals that move on later, re-scoped amounts): `as_of` on the data extracted at the
    end must give the same deals, stages, closes, history and snapshots."""
    from analysis.data.synth import generate

    cutoff = pd.Timestamp(cut)
    now, _ = generate()
    then, _ = generate(deals_as_of=cutoff)
    ds = load_dataset(TINY)  # any dataset: as_of needs a Dataset, its tables are replaced
    from dataclasses import replace

    got = as_of(replace(ds, tables=now, content_hash=""), cutoff)
    o_got = got["opportunities"].set_index("opportunity_id").sort_index()
    o_then = then["opportunities"].set_index("opportunity_id").sort_index()
    assert o_got.index.equals(o_then.index)
    assert (o_got["stage"] == o_then["stage"]).all()
    pd.testing.assert_series_equal(
        o_got["closed_at"].astype("datetime64[s]"), o_then["closed_at"].astype("datetime64[s]")
    )
    # the loss reason of a deal closed for good by then (a reopened loss's reason is unknown)
    final = now["opportunities"].set_index("opportunity_id")["closed_at"].reindex(o_got.index)
    settled = final < cutoff
    reasons = o_got.loc[settled, "loss_reason"], o_then.loc[settled, "loss_reason"]
    assert reasons[0].fillna("").eq(reasons[1].fillna("")).all()
    # not a trivial check: closings undone since (reopened losses), and deals open then that
    # are at another stage now, still open (late cutoffs) or closed
    o_now = now["opportunities"].set_index("opportunity_id").reindex(o_then.index)
    undone = o_then["closed_at"].notna() & o_now["closed_at"].ne(o_then["closed_at"])
    moved = o_then["closed_at"].isna() & o_now["stage"].ne(o_then["stage"])
    assert undone.any() and moved.sum() >= 5
    if cutoff >= pd.Timestamp("2026-10-01"):
        assert (moved & o_now["closed_at"].isna()).any()
    for name, key in (
        ("stage_history", ["opportunity_id", "entered_at"]),
        ("opportunity_snapshots", ["opportunity_id", "snapshot_date"]),
    ):
        a = got[name].sort_values(key, ignore_index=True)
        b = then[name].sort_values(key, ignore_index=True)
        pd.testing.assert_frame_equal(a, b[a.columns], check_dtype=False)


@pytest.mark.parametrize("offset", [0, 3, 7, 12])
def test_the_sql_closings_as_of_a_cutoff_are_the_cuts(small, offset):
    """`sql.closed_as_of_sql` (the effects count closings in DuckDB at scale) gives the deals
    `as_of` has closed: final closings before the cutoff, and closings reopened after it."""
    from analysis.data import engine
    from analysis.metrics.sql import closed_as_of_sql

    cutoff = next_month_start(MONTHS[-1] - offset)
    cut = as_of(small, cutoff)["opportunities"]
    want = cut[cut["closed_at"].notna()][["opportunity_id", "rep_id", "stage", "closed_at"]]
    con = engine.connect(small, ["opportunities", "stage_history"])
    got = con.execute(closed_as_of_sql(small, cutoff)).df()
    con.close()
    key = ["opportunity_id"]
    want = want.sort_values(key, ignore_index=True).astype({"closed_at": "datetime64[us]"})
    got = got.sort_values(key, ignore_index=True).astype(want.dtypes.to_dict())
    assert len(want) > 0
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    # the history reopens some of them after the cutoff (the case the SQL's second part is for)
    later = small["opportunities"].set_index("opportunity_id")["closed_at"]
    reopened = ~(later.reindex(want["opportunity_id"]).to_numpy() < cutoff)
    assert offset == 0 or reopened.any()
