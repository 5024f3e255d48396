"""The analyst's API: the usual questions in one line each, as tidy DataFrames with names.

Everything here is a thin front over the packages the reports use (`analysis.data`,
`analysis.metrics`, `analysis.forecast`, `analysis.effects`), so a number from a notebook cell
is the number in the report. `import analysis` exposes these functions at the top level:

>>> import analysis
>>> ds = analysis.load()                                     # the sample, or $AEM_DATA_DIR
>>> team = analysis.kpis(ds, team="bangkok", last=3)         # one row per month
>>> list(team[["name", "month"]].itertuples(index=False))[-1]
Pandas(name='ทีมกรุงเทพฯ', month=Period('2026-10', 'M'))

Paths: a relative path is looked up from the working directory first and then from the project
root, so `analysis.load("data/sample")` works in a notebook under `notebooks/` too.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis.data.dataset import Dataset, load_dataset
from analysis.metrics.asof import as_of
from analysis.metrics.kpis import KPIS, kpi_table, scope_reps
from analysis.months import next_month_start
from analysis.paths import BUILD_DIR, resolve
from analysis.reports.params import default_data_dir, load_forecast_params

__all__ = ["load", "kpis", "deals", "trend", "revenue_forecast", "skill_effects", "export"]


def load(path: str | Path | None = None) -> Dataset:
    """The validated dataset at `path`; default $AEM_DATA_DIR, else the sample (data/sample).

    >>> load().name
    'sample'
    """
    return load_dataset(resolve(path) if path is not None else default_data_dir())


def _month(ds: Dataset, month: str | pd.Period | None) -> pd.Period:
    return ds.resolve_month(None if month is None else str(pd.Period(month, "M")))


def kpis(
    ds: Dataset,
    *,
    team: str | None = None,
    rep: str | None = None,
    month: str | pd.Period | None = None,
    last: int = 1,
    level: str | None = None,
) -> pd.DataFrame:
    """Every KPI for the `last` months up to `month` (default: the latest complete month).

    The scope: the company by default; `team=` that team; `rep=` that rep; `level="rep"` with a
    team (or alone, for the company) gives each of its reps. Columns: level, scope_id, name
    (team or rep name), team_id, month, then one column per KPI (docs/kpis.md). Rows are sorted
    by scope and month.

    >>> reps = kpis(load(), team="bangkok", level="rep", last=6)
    >>> reps["team_id"].unique().tolist(), reps["month"].nunique()
    (['bangkok'], 6)
    """
    if team is not None and rep is not None:
        raise ValueError("give a team or a rep, not both")
    if last < 1:
        raise ValueError(f"last: {last} must be at least 1 month")
    end = _month(ds, month)
    months = list(pd.period_range(end - (last - 1), end, freq="M"))
    if rep is not None:
        if rep not in set(ds["reps"]["rep_id"]):
            raise ValueError(f"rep: {rep!r} is not in reps.rep_id")
        level = "rep"
    level = level or ("team" if team is not None else "company")
    if level not in ("company", "team", "rep"):
        raise ValueError(f"level: {level!r} is not company, team or rep")
    if level == "company" and team is not None:
        raise ValueError(f"level: 'company' covers every team; drop team={team!r} or use 'team'")
    table = kpi_table(ds, months, level=level)
    if rep is not None:
        table = table[table["scope_id"].eq(rep)]
    elif team is not None and level == "team":
        scope_reps(ds, team)  # validates the id
        table = table[table["scope_id"].eq(team)]
    elif team is not None and level == "rep":
        table = table[table["scope_id"].isin(scope_reps(ds, team)["rep_id"])]
    names = _names(ds, level)
    table = table.merge(names, on="scope_id", how="left")
    first = ["level", "scope_id", "name", "team_id", "month"]
    return table[first + [k for k in KPIS if k in table]].sort_values(
        ["scope_id", "month"], ignore_index=True
    )


def _names(ds: Dataset, level: str) -> pd.DataFrame:
    if level == "rep":
        reps = ds["reps"]
        return pd.DataFrame(
            {"scope_id": reps["rep_id"], "name": reps["rep_name"], "team_id": reps["team_id"]}
        )
    teams = ds["teams"]
    if level == "team":
        return pd.DataFrame(
            {"scope_id": teams["team_id"], "name": teams["team_name"], "team_id": teams["team_id"]}
        )
    return pd.DataFrame({"scope_id": ["company"], "name": [ds.name], "team_id": [None]})


def deals(
    ds: Dataset,
    *,
    team: str | None = None,
    rep: str | None = None,
    month: str | pd.Period | None = None,
) -> pd.DataFrame:
    """Opportunities with the rep's name, team and account name.

    With `month`, the deals as known at the end of that month (`metrics.asof.as_of`: a deal
    closed later shows the stage it had then) that were created in it, closed in it or still open
    at its end; without, every deal as the data has it now. Sorted by amount, largest first.

    >>> won = deals(load(), rep="R0001", month="2026-10")
    >>> {"rep_name", "team_id", "account_name"} <= set(won.columns)
    True
    """
    if team is not None and rep is not None:
        raise ValueError("give a team or a rep, not both")
    source = ds
    if month is not None:
        the_month = _month(ds, month)
        source = as_of(ds, next_month_start(the_month))
    opps = source["opportunities"]
    if month is not None:
        start = the_month.start_time
        touched = (
            (opps["created_at"] >= start) | opps["closed_at"].isna() | (opps["closed_at"] >= start)
        )
        opps = opps[touched]
    if rep is not None:
        if rep not in set(ds["reps"]["rep_id"]):
            raise ValueError(f"rep: {rep!r} is not in reps.rep_id")
        opps = opps[opps["rep_id"].eq(rep)]
    elif team is not None:
        opps = opps[opps["rep_id"].isin(scope_reps(ds, team)["rep_id"])]
    reps = ds["reps"][["rep_id", "rep_name", "team_id"]]
    out = opps.merge(reps, on="rep_id", how="left")
    if ds.has("accounts"):
        out = out.merge(ds["accounts"][["account_id", "account_name"]], on="account_id", how="left")
    else:
        out["account_name"] = None
    return out.sort_values("amount", ascending=False, kind="stable", ignore_index=True)


def trend(kpis: pd.DataFrame, key: str, *, lang: str = "th", buddhist_era: bool = True):
    """A chart of KPI `key` over the months of `kpis` (from `kpis(...)`), a line per team or rep.

    Returns the figure, closed, so a notebook cell shows it once."""
    import matplotlib.pyplot as plt

    from analysis.reports.plots import plot_kpi_trend

    fig = plot_kpi_trend(kpis, key, lang=lang, buddhist_era=buddhist_era)
    plt.close(fig)
    return fig


def export(frame: pd.DataFrame, name: str, folder: str | Path | None = None) -> Path:
    """Write `frame` to `folder` (default build/exports/ in the project) as Excel (`name` ending
    in .xlsx) or CSV (.csv, UTF-8 with a byte-order mark so Excel shows Thai); returns the path.
    Periods are written as 'YYYY-MM'."""
    target = (resolve(folder) if folder is not None else BUILD_DIR / "exports") / name
    target.parent.mkdir(parents=True, exist_ok=True)
    out = frame.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.PeriodDtype):
            out[col] = out[col].astype(str)
    if target.suffix == ".xlsx":
        out.to_excel(target, index=False)
    elif target.suffix == ".csv":
        out.to_csv(target, index=False, encoding="utf-8-sig")
    else:
        raise ValueError(f"name: {name!r} must end in .xlsx or .csv")
    return target


def revenue_forecast(
    ds: Dataset,
    *,
    team: str | None = None,
    month: str | pd.Period | None = None,
    horizon: int | None = None,
):
    """The revenue forecast of a team (or the company) after `month`, with its backtest: what
    the report shows, with the team's forecast settings (params/) and `horizon` months ahead
    when given. Returns `analysis.forecast.ForecastResult` (`.forecast`, `.backtest`,
    `.metrics`, `.quota`, ...)."""
    from analysis import forecast

    options = load_forecast_params(team).options(horizon=horizon)
    data = forecast.prepare(ds, _month(ds, month), team)
    return forecast.forecast_scope(data, team, options)


def skill_effects(
    ds: Dataset, *, team: str | None = None, month: str | pd.Period | None = None
) -> pd.DataFrame:
    """Do skills go with results, did training change them: one row per test (question, skill,
    outcome, estimate, ci_low, ci_high, test, p, p_adjusted, n, verdict, ...), as in the
    report's skills section."""
    from analysis import effects

    return effects.effects_table(effects.prepare(ds, _month(ds, month)), team)
