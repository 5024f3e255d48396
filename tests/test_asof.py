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
from conftest import SMALL_CONFIG, TINY

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
