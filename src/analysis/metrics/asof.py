"""The dataset as it would have looked when extracted at a given instant.

`as_of(ds, cutoff)` drops every event stamped at or after `cutoff` and rolls states back: deals
that closed later are open again (at the last stage entered before the cutoff), later
qualifications, conversions, resolutions and completions are undone. It is how KPIs, forecasts and
backtests prove they use no information from after the month they describe.

What the contract keeps no history for stays as it is now: account ownership, a deal's amount and
expected close date, a ticket's `escalated`/`reopened` flags, and quotas (plans, known in advance).
"""

from __future__ import annotations

from dataclasses import replace

import pandas as pd

from analysis.data.contract import OPEN_STAGES
from analysis.data.dataset import Dataset

__all__ = ["as_of"]


def _before(frame: pd.DataFrame, col: str, cutoff: pd.Timestamp) -> pd.DataFrame:
    return frame[frame[col] < cutoff]


def _undo_after(frame: pd.DataFrame, col: str, cutoff: pd.Timestamp) -> pd.DataFrame:
    return frame.assign(**{col: frame[col].where(frame[col] < cutoff)})


def as_of(ds: Dataset, cutoff: pd.Timestamp) -> Dataset:
    """A copy of `ds` holding only what was known before `cutoff` (exclusive).

    For example, `as_of(ds, pd.Timestamp("2026-02-01")).latest_complete_month` is 2026-01.
    """
    cutoff = pd.Timestamp(cutoff)
    t: dict[str, pd.DataFrame] = {}
    src = ds.tables

    opps = _before(src["opportunities"], "created_at", cutoff)
    later = opps["closed_at"].notna() & (opps["closed_at"] >= cutoff)
    stage = opps["stage"].copy()
    if "stage_history" in src:
        hist = _before(src["stage_history"], "entered_at", cutoff)
        hist = hist[hist["stage"].isin(OPEN_STAGES)].sort_values("entered_at", kind="stable")
        last_open = hist.groupby("opportunity_id")["stage"].last()
        stage[later] = opps.loc[later, "opportunity_id"].map(last_open).fillna(OPEN_STAGES[0])
        t["stage_history"] = _before(src["stage_history"], "entered_at", cutoff)
    else:
        stage[later] = OPEN_STAGES[0]  # the stage it was in is unknown without history
    t["opportunities"] = opps.assign(
        stage=stage,
        closed_at=opps["closed_at"].where(~later),
        loss_reason=opps["loss_reason"].where(~later),
    )
    if "opportunity_snapshots" in src:
        snaps = src["opportunity_snapshots"]
        t["opportunity_snapshots"] = snaps[snaps["snapshot_date"] < cutoff]
    t["teams"] = src["teams"]
    t["reps"] = _undo_after(src["reps"], "left_date", cutoff)
    if "quotas" in src:
        t["quotas"] = src["quotas"]
    if "accounts" in src:
        t["accounts"] = _before(src["accounts"], "created_date", cutoff)
    if "leads" in src:
        leads = _undo_after(
            _undo_after(_before(src["leads"], "created_at", cutoff), "qualified_at", cutoff),
            "converted_at",
            cutoff,
        )
        t["leads"] = leads.assign(
            converted_opportunity_id=leads["converted_opportunity_id"].where(
                leads["converted_at"].notna()
            )
        )
    for name, col in (
        ("activities", "occurred_at"),
        ("csat", "responded_at"),
        ("feedback", "given_at"),
        ("skill_assessments", "assessed_at"),
    ):
        if name in src:
            t[name] = _before(src[name], col, cutoff)
    if "tickets" in src:
        t["tickets"] = _undo_after(
            _before(src["tickets"], "opened_at", cutoff), "resolved_at", cutoff
        )
    if "trainings" in src:
        t["trainings"] = _undo_after(
            _before(src["trainings"], "assigned_at", cutoff), "completed_at", cutoff
        )
    if "revenue" in src:
        rev = src["revenue"]
        t["revenue"] = rev[rev["month"].dt.start_time < cutoff]
    return replace(ds, tables=t, as_of=(cutoff - pd.Timedelta(days=1)).normalize(), content_hash="")
