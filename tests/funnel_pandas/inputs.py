"""The reference the funnel is checked against: the funnel as it was computed in pandas, from the
pandas cut (`metrics.asof.as_of`) of the whole dataset, deal by deal (the package sums it in DuckDB,
`analysis.funnel`). Tests only."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from analysis.data.contract import OPEN_STAGES
from analysis.data.dataset import Dataset
from analysis.data.scoped import only
from analysis.funnel.inputs import DAY, FUNNEL_TABLES, STAGE_INDEX, WINDOW_MONTHS, stages_in_use
from analysis.metrics.asof import as_of
from analysis.metrics.kpis import scope_reps
from analysis.months import month_start, next_month_start

__all__ = [
    "STAGE_INDEX",
    "WINDOW_MONTHS",
    "DAY",
    "FunnelData",
    "prepare",
    "previous_stage",
    "stages_in_use",
]


@dataclass
class FunnelData:
    """The dataset as known at the end of `month`, restricted to one team's reps (or all)."""

    ds: Dataset  # full dataset (for the KPI engine, which needs every team's rows)
    cut: Dataset  # as of the end of `month`, with the rows below
    month: pd.Period
    team: str | None
    rep_ids: set[str]
    opps: pd.DataFrame
    history: pd.DataFrame | None
    snapshots: pd.DataFrame | None
    leads: pd.DataFrame | None
    stages: tuple[str, ...] = OPEN_STAGES  # the open stages the dataset uses (`stages_in_use`)
    months: int = WINDOW_MONTHS  # how many months back `opps` goes (`prepare`)
    # the month-end pipeline's source (the shared open-pipeline implementation): the team's rows
    # before the cut, read once by `prepare`; None: the full dataset (the company)
    uncut: Dataset | None = None
    # what several views derive from the same rows, computed once (`conversion.furthest_stage`);
    # not an argument, so `dataclasses.replace(fd, opps=...)` starts a new one
    memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def pipeline_source(self) -> Dataset:
        return self.ds if self.uncut is None else self.uncut

    def check_cohorts(self, cohorts: int) -> None:
        """A ValueError when `cohorts` creation months reach back further than `opps` does."""
        if cohorts > self.months:
            raise ValueError(
                f"cohorts={cohorts}: the deals were prepared for {self.months} months; "
                f"prepare(ds, month, team, months={cohorts})"
            )

    @property
    def stage_index(self) -> dict[str, int]:
        """Each open stage in use, then closed_won, with its place in the funnel."""
        return {s: i for i, s in enumerate(self.stages)} | {"closed_won": len(self.stages)}

    @property
    def start(self) -> pd.Timestamp:
        return month_start(self.month)

    @property
    def end(self) -> pd.Timestamp:
        return next_month_start(self.month)

    @property
    def window_start(self) -> pd.Timestamp:
        return month_start(self.month - (WINDOW_MONTHS - 1))


def prepare(
    ds: Dataset, month: pd.Period, team: str | None = None, *, months: int = WINDOW_MONTHS
) -> FunnelData:
    """Cut `ds` to `team`'s reps (all reps when None; `data.scoped`, in DuckDB for tables on
    disk, so no other team's row reaches pandas, and no row older than the trailing year needs)
    and at the end of `month`. `opps` holds the deals not closed before the last `months` months
    (at least the trailing year every view uses; more for `cohort_conversion(fd, cohorts)`)."""
    rep_ids = set(scope_reps(ds, team)["rep_id"])
    # the rows the trailing year can need (`data.scoped.window_rule`), read in DuckDB: a table
    # on disk never reaches pandas whole, for the company either
    months = max(months, WINDOW_MONTHS)
    since = month_start(month - (months - 1))
    source = only(ds, FUNNEL_TABLES)  # the whole dataset, cut in pandas
    cut = as_of(source, next_month_start(month))
    # a team's rows before the cut are kept for its month-end pipeline (read again from the
    # files, that would scan every team's); the company's are let go (they are gigabytes at its
    # scale, and its pipeline is every row of the files anyway)
    uncut = None
    del source
    opps = _keep(cut["opportunities"], "rep_id", rep_ids)
    alive = opps["closed_at"].isna() | (opps["closed_at"] >= since)  # as the months knew them
    opps = opps if alive.all() else opps[alive].reset_index(drop=True)
    ids = opps["opportunity_id"]
    history = cut.tables.get("stage_history")
    if history is not None:
        history = _keep(history, "opportunity_id", ids).sort_values(
            ["opportunity_id", "entered_at"], kind="stable", ignore_index=True
        )
    snaps = cut.tables.get("opportunity_snapshots")
    if snaps is not None:
        snaps = _keep(snaps, "opportunity_id", ids)
    leads = cut.tables.get("leads")
    if leads is not None:
        leads = _keep(leads, "rep_id", rep_ids)
    # the cut holds the rows kept (no second copy of the company's deals)
    kept = {
        "opportunities": opps,
        "stage_history": history,
        "opportunity_snapshots": snaps,
        "leads": leads,
    }
    cut = replace(cut, tables={n: kept.get(n, frame) for n, frame in cut.tables.items()})
    stages = stages_in_use(ds)
    return FunnelData(
        ds, cut, month, team, rep_ids, opps, history, snaps, leads, stages, months, uncut
    )


def previous_stage(fd: FunnelData) -> pd.Series:
    """For each row of `fd.history` (sorted by deal, then time: `prepare`), the stage the deal
    was in before it (NaN on a deal's first row); computed once per `fd`."""
    if "previous_stage" not in fd.memo:
        h = fd.history
        ids = h["opportunity_id"]
        same = ids.eq(ids.shift(1)).fillna(False).to_numpy(bool)
        fd.memo["previous_stage"] = h["stage"].shift(1).where(same)
    return fd.memo["previous_stage"]


def _keep(frame: pd.DataFrame, column: str, values) -> pd.DataFrame:
    """The rows of `frame` whose `column` is in `values` (a set or a column): `frame` itself
    when that is every row (the company's rows are not copied)."""
    keep = isin(frame[column], values)
    return frame if keep.all() else frame[keep].reset_index(drop=True)


def isin(column: pd.Series, values) -> np.ndarray:
    """`column.isin(values)` as a boolean array, by Arrow's hash set: pandas' own turns each of
    `values` into a Python scalar first (11 s for the 1.8 million deal ids of the benchmark
    company's trailing year, 0.2 s this way)."""
    if not isinstance(values, pd.Series):
        values = pd.Series(sorted(values), dtype=column.dtype)
    try:
        a, v = pa.array(column), pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # not text: pandas is fast there
        return column.isin(values).to_numpy()
    if a.type != v.type:
        v = v.cast(a.type)
    return pc.fill_null(pc.is_in(a, value_set=v), False).to_numpy(zero_copy_only=False)
