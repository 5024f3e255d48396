"""Teams the contract admits but the sample never has: one whose every deal is lost, one with
no activity in the month, a new team with one rep and no deal yet. Every section of every
report renders for them, and the company report with them (issue 18, failure 1)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis.data.dataset import load_dataset
from analysis.data.synth import SynthConfig, write_sample
from analysis.funnel import kaplan_meier
from analysis.metrics.scorecards import coaching_view
from analysis.reports.batch import run_monthly

MONTH = "2026-10"


def _csv(folder: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def weak_dataset(tmp_path_factory) -> Path:
    """The small company (bangkok, chiang-mai) where chiang-mai lost every deal it closed and
    bangkok logged no activity in October, plus a new team with one rep hired on 1 October."""
    folder = write_sample(
        tmp_path_factory.mktemp("weak") / "data",
        SynthConfig(n_teams=2, reps_per_team=4, months=14, scale=0.6),
    )
    reps = _csv(folder, "reps")
    chiang_mai = set(reps.loc[reps["team_id"].eq("chiang-mai"), "rep_id"])
    opps = _csv(folder, "opportunities")
    won = opps["rep_id"].isin(chiang_mai) & opps["stage"].eq("closed_won")
    assert won.any()
    opps.loc[won, ["stage", "loss_reason"]] = ["closed_lost", "price"]
    opps.to_csv(folder / "opportunities.csv", index=False)
    history = _csv(folder, "stage_history")
    closing = history["opportunity_id"].isin(opps.loc[won, "opportunity_id"])
    history.loc[closing & history["stage"].eq("closed_won"), "stage"] = "closed_lost"
    history.to_csv(folder / "stage_history.csv", index=False)
    activities = _csv(folder, "activities")
    bangkok = set(reps.loc[reps["team_id"].eq("bangkok"), "rep_id"])
    in_month = activities["occurred_at"].str.startswith(MONTH)
    activities[~(in_month & activities["rep_id"].isin(bangkok))].to_csv(
        folder / "activities.csv", index=False
    )
    teams = _csv(folder, "teams")
    teams.loc[len(teams)] = ["newteam", "ทีมใหม่", "ผู้จัดการใหม่", "North"]
    teams.to_csv(folder / "teams.csv", index=False)
    new_rep = reps.iloc[0].copy()
    new_rep[["rep_id", "team_id", "hire_date", "left_date"]] = ["RNEW", "newteam", "2026-10-01", ""]
    reps.loc[len(reps)] = new_rep
    reps.to_csv(folder / "reps.csv", index=False)
    return folder


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


@pytest.mark.e2e
@pytest.mark.xdist_group("kernels")
def test_every_report_renders_for_weak_teams(weak_dataset, tmp_path):
    results = run_monthly(
        weak_dataset,
        month=MONTH,
        renderer="builtin",
        jobs=2,
        reports_dir=tmp_path / "reports",
        build_dir=tmp_path / "build",
        echo=lambda _m: None,
    )
    failed = {r.team_id: (r.error or "")[-1500:] for r in results if not r.ok}
    assert not failed, failed
    assert {r.team_id for r in results} == {"bangkok", "chiang-mai", "newteam", "company"}
    for team in ("bangkok", "chiang-mai", "newteam", "company"):
        assert (tmp_path / "reports" / MONTH / team / "report.pdf").stat().st_size > 0
