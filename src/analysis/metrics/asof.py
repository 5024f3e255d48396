"""The dataset as it would have looked when extracted at a given instant.

`as_of(ds, cutoff)` drops every event stamped at or after `cutoff` and rolls states back, for
every deal: a deal's stage is the last one its stage history records before the cutoff (a deal
closed later is open again at the stage it had, an open deal that moved later is back where it
was, a deal lost and reopened later is lost again, as of its loss); later qualifications,
conversions, resolutions and completions are undone. It is how KPIs, funnel, forecasts, effects
and backtests prove they use no information from after the month they describe, and
`stage_at` is the one place that reads a deal's stage at a time.

A deal without a creation date (`created_at` empty: some exports have none for early-stage
deals) exists for certain only from its close or, still open, from the data's as-of date
(`known_from`); the cut keeps it from then, and the KPI engine's month-end pipeline
(`metrics.sql.known_from`) counts it from the same instant.

Without stage history the stage comes from the latest snapshot before the cutoff; without either,
a deal closed later is open at the first stage and an open deal keeps its current stage (what
the data cannot tell). What the contract keeps no history for stays as it is now: account
ownership, a deal's amount and expected close date in the opportunities table (the snapshots
carry them, and the month-end pipeline reads them there), the loss reason of a loss that was later
reopened (unknown: None), a ticket's `escalated`/`reopened` flags, and quotas (plans, known in
advance).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from analysis.data.contract import OPEN_STAGES
from analysis.data.dataset import Dataset

__all__ = ["as_of", "known_from", "stage_at", "latest_before"]

CLOSED_STAGES = ("closed_won", "closed_lost")


def _before(frame: pd.DataFrame, col: str, cutoff: pd.Timestamp) -> pd.DataFrame:
    return frame[frame[col] < cutoff]


def _undo_after(frame: pd.DataFrame, col: str, cutoff: pd.Timestamp) -> pd.DataFrame:
    return frame.assign(**{col: frame[col].where(frame[col] < cutoff)})


def known_from(ds: Dataset, opps: pd.DataFrame) -> pd.Series:
    """From when each deal of `opps` is known to exist: its `created_at`; without one, its
    `closed_at`; without either (open, undated), the dataset's as-of date (it was open at the
    export). `metrics.sql.known_from` is the same in SQL.

    >>> from analysis.data.dataset import Dataset
    >>> ds = Dataset(None, {}, "x", as_of=pd.Timestamp("2026-10-31"))
    >>> opps = pd.DataFrame({"created_at": pd.to_datetime(["2026-01-05", None, None]),
    ...                      "closed_at": pd.to_datetime([None, "2026-03-02", None])})
    >>> [str(d.date()) for d in known_from(ds, opps)]
    ['2026-01-05', '2026-03-02', '2026-10-31']
    """
    fallback = pd.Timestamp(ds.as_of) if ds.as_of is not None else pd.NaT
    return opps["created_at"].fillna(opps["closed_at"]).fillna(fallback)


def as_of(ds: Dataset, cutoff: pd.Timestamp) -> Dataset:
    """A copy of `ds` holding only what was known before `cutoff` (exclusive).

    For example, `as_of(ds, pd.Timestamp("2026-02-01")).latest_complete_month` is 2026-01.
    """
    cutoff = pd.Timestamp(cutoff)
    t: dict[str, pd.DataFrame] = {}
    src = ds.tables

    if "opportunities" in src:  # absent only from a dataset cut to a few tables (`only`)
        t |= _deals(ds, cutoff)
    t["teams"] = src["teams"]
    t["reps"] = _undo_after(src["reps"], "left_date", cutoff)
    if "quotas" in src:
        t["quotas"] = src["quotas"]
    if "accounts" in src:
        accounts = src["accounts"]  # one without a creation date existed all along
        t["accounts"] = accounts[~(accounts["created_date"] >= cutoff)]
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
    cut_as_of = (cutoff - pd.Timedelta(days=1)).normalize()
    if ds.as_of is not None:  # a cut after the data's end knows no more than the data
        cut_as_of = min(cut_as_of, pd.Timestamp(ds.as_of).normalize())
    return replace(ds, tables=t, as_of=cut_as_of, content_hash="", last_event=None)


def _deals(ds: Dataset, cutoff: pd.Timestamp) -> dict[str, pd.DataFrame]:
    """The deals as they were before `cutoff`, with their stage history and snapshots."""
    t: dict[str, pd.DataFrame] = {}
    src = ds.tables
    all_opps = src["opportunities"]
    opps = all_opps[known_from(ds, all_opps) < cutoff]
    undated = bool(all_opps["created_at"].isna().any())
    final = opps["closed_at"].notna() & (opps["closed_at"] < cutoff)  # closed for good by then
    was = pd.Series(
        stage_at(ds, opps["opportunity_id"], pd.Series(cutoff, index=opps.index)),
        index=opps.index,
    )
    # the stage each deal had: recorded, else the current one of an open deal, else the first
    known = was.notna()
    roll = ~final
    stage = opps["stage"].where(
        final,
        was.where(known, opps["stage"].where(opps["closed_at"].isna(), OPEN_STAGES[0])),
    )
    # a loss (or win) reopened after the cutoff: closed then, when its history says
    closed_then = roll & stage.isin(CLOSED_STAGES) & ("stage_history" in src)
    closed_at = opps["closed_at"].where(final)
    if closed_then.any():
        when = _entered_at(ds, opps.loc[closed_then, "opportunity_id"], cutoff)
        closed_at[closed_then] = when.astype(closed_at.dtype).to_numpy()
    t["opportunities"] = opps.assign(
        stage=stage,
        closed_at=closed_at,
        loss_reason=opps["loss_reason"].where(final),
    )
    if "stage_history" in src:
        t["stage_history"] = _before(src["stage_history"], "entered_at", cutoff)
    if "opportunity_snapshots" in src:
        snaps = src["opportunity_snapshots"]
        t["opportunity_snapshots"] = snaps[snaps["snapshot_date"] < cutoff]
    if undated:  # an undated deal not yet known takes its recorded past with it
        for name in ("stage_history", "opportunity_snapshots"):
            if name in t:
                t[name] = t[name][t[name]["opportunity_id"].isin(opps["opportunity_id"])]
    return t


def _history(ds: Dataset) -> pd.DataFrame | None:
    """Where a deal's stage over time is recorded: stage history (every stage, with when), else
    the snapshots (open stages only); None without either."""
    if ds.has("stage_history"):
        h = ds["stage_history"]
        return h[["opportunity_id", "stage", "entered_at"]].rename(columns={"entered_at": "t"})
    if ds.has("opportunity_snapshots"):
        snaps = ds["opportunity_snapshots"]
        return snaps[["opportunity_id", "stage", "snapshot_date"]].rename(
            columns={"snapshot_date": "t"}
        )
    return None


def stage_at(ds: Dataset, opportunity_id: pd.Series, when: pd.Series) -> np.ndarray:
    """The stage each deal had just before `when` (exclusive): the last one its stage history
    records (open or closed), else the latest snapshot's; NaN where neither says.
    """
    source = _history(ds)
    if source is None or source.empty or len(opportunity_id) == 0:
        return np.full(len(opportunity_id), np.nan, dtype=object)
    found = latest_before(source, "stage", opportunity_id, when, strict=True)
    return found.to_numpy(dtype=object)


def _entered_at(ds: Dataset, opportunity_id: pd.Series, cutoff: pd.Timestamp) -> pd.Series:
    """When each deal entered the stage it had just before `cutoff` (from the stage history)."""
    h = ds["stage_history"].rename(columns={"entered_at": "t"})
    h = h.assign(entered=h["t"])
    when = pd.Series(cutoff, index=opportunity_id.index)
    return latest_before(h, "entered", opportunity_id, when, strict=True)


def latest_before(
    source: pd.DataFrame,
    column: str,
    opportunity_id: pd.Series,
    when: pd.Series,
    *,
    strict: bool = False,
) -> pd.Series:
    """`source[column]` of each deal's latest row with t <= `when` (t < `when` if `strict`; NaN
    where none), in the order of `opportunity_id`."""
    left = pd.DataFrame(
        {"opportunity_id": opportunity_id.to_numpy(), "t": pd.to_datetime(when.to_numpy())}
    )
    left["i"] = np.arange(len(left))
    left["t"] = left["t"].astype("datetime64[us]")
    right = source[["opportunity_id", "t", column]].copy()
    right["t"] = right["t"].astype("datetime64[us]")
    # the same key type on both sides: an empty selection (a team without deals) comes as object
    left["opportunity_id"] = left["opportunity_id"].astype(right["opportunity_id"].dtype)
    merged = pd.merge_asof(
        left.sort_values("t", kind="stable"),
        right.sort_values("t", kind="stable"),
        on="t",
        by="opportunity_id",
        allow_exact_matches=not strict,
    ).sort_values("i")
    return merged[column].reset_index(drop=True)
