"""Teams the contract admits but the sample never has: one whose every deal is lost, one with
no activity in the month, a new team with one rep and no deal yet (issue 18, failure 1). The
whole batch over them is tests/test_hostile.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.data.dataset import load_dataset
from analysis.funnel import kaplan_meier
from analysis.metrics.scorecards import coaching_view

MONTH = "2026-10"


@pytest.fixture(scope="module")
def weak_dataset(hostile) -> Path:
    """The hostile company (tests/fixtures/hostile): chiang-mai lost every deal it closed,
    bangkok logged no activity in October, and newteam has one rep hired on 1 October."""
    return hostile[0]


def test_kaplan_meier_of_no_deals_is_its_starting_point():
    curve = kaplan_meier([], [])
    assert curve.to_dict("records") == [
        {"t": 0.0, "at_risk": 0, "events": 0, "censored": 0, "survival": 1.0}
    ]


def test_coaching_a_team_that_won_nothing_and_a_rep_with_nothing_to_compare(weak_dataset):
    """chiang-mai won nothing (win rate 0 or none, no deal size, no cycle): a weakest lever is
    named only among the levers that can be compared. The new team's one rep has no deal at
    all, so no lever compares and none is named. Neither is an error."""
    ds, month = load_dataset(weak_dataset), pd.Period(MONTH, "M")
    view = coaching_view(ds, month, "chiang-mai")
    assert len(view) > 0
    assert view["win_rate"].fillna(0).eq(0).all()  # every closed deal lost
    for _, row in view[view["weakest_lever"].notna()].iterrows():
        assert pd.notna(row[f"{row['weakest_lever']}_vs_team"])
    new = coaching_view(ds, month, "newteam")
    assert new["rep_id"].tolist() == ["RNEW"]
    assert new["weakest_lever"].isna().all()


def test_forecast_of_a_team_without_deals_is_not_an_error(weak_dataset):
    run = subprocess.run(
        [sys.executable, "-m", "analysis", "forecast", "--data", str(weak_dataset)]
        + ["--month", MONTH, "--team", "newteam", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
