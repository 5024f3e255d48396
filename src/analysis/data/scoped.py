"""One team's slice of a dataset: the rows of its reps, read in DuckDB before anything reaches
pandas (issue 21).

An analysis of one team (funnel, forecast, deal review) needs that team's deals, their history,
its leads and activities, never another team's. `scoped(ds, rep_ids)` is the dataset holding only
those rows: a table still on disk (a lazy dataset, `load_dataset`) is filtered by DuckDB over its
Parquet file, so memory follows the team's size, not the company's; a table already in memory is
filtered in pandas. The KPI engine does not use it: it runs in DuckDB over the whole dataset, and
some team KPIs depend on other teams' rows (an account another team won first).

Which rows belong to the reps: a table with `rep_id`, its rows with one of them; `accounts`, those
they own or their deals are on; a table keyed by deal (stage history, snapshots), the rows of
their deals; `revenue`, the rows of their accounts; `teams`, all of it (one row a team).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import replace

import pandas as pd

from analysis.data import engine
from analysis.data.contract import TABLES
from analysis.data.dataset import Dataset, Tables, typed

__all__ = ["scoped", "scope_rule", "only", "window_rule", "team_deals"]

# table -> (its column, the scoped table and column its values must come from)
_BY = {
    "stage_history": ("opportunity_id", "opportunities", "opportunity_id"),
    "opportunity_snapshots": ("opportunity_id", "opportunities", "opportunity_id"),
    "revenue": ("account_id", "accounts", "account_id"),
}


def scope_rule(name: str) -> str | None:
    """The SQL predicate a row of table `name` meets when it is in scope (over temp tables
    `_reps`, `_opps` and `_accounts` of the scope's keys), or None for a table kept whole."""
    columns = TABLES[name].column_names
    if name == "teams":
        return None
    if name == "accounts":
        return (
            "(owner_rep_id IN (SELECT rep_id FROM _reps) "
            "OR account_id IN (SELECT account_id FROM _opps))"
        )
    if "rep_id" in columns:
        return "rep_id IN (SELECT rep_id FROM _reps)"
    column, source, key = _BY[name]
    keys = {"opportunities": "_opps", "accounts": "_accounts"}[source]
    return f"{column} IN (SELECT {key} FROM {keys})"


def window_rule(name: str, since: pd.Timestamp) -> str | None:
    """The SQL predicate a row of table `name` meets when an analysis of the months from `since`
    on can need it (over `_opps`, the deals kept): deals not closed before `since` (a deal closed
    earlier is closed in every such month, and counts in none of its windows); their stage
    history whole; their snapshots from `since` on, and each deal's last one before (a snapshot's
    change is measured against the one before it); leads created from `since` on, or behind a
    deal kept. None: every row of the table (as far as the scope goes)."""
    at = engine.sql_timestamp(since)
    if name == "opportunities":
        return f"(closed_at IS NULL OR closed_at >= {at})"
    if name == "opportunity_snapshots":
        return (
            f"(snapshot_date >= {at} OR snapshot_date = (SELECT max(b.snapshot_date) "
            "FROM opportunity_snapshots b WHERE b.opportunity_id = "
            f"opportunity_snapshots.opportunity_id AND b.snapshot_date < {at}))"
        )
    if name == "leads":
        return f"(created_at >= {at} OR lead_id IN (SELECT lead_id FROM _opps))"
    return None


def scoped(
    ds: Dataset,
    rep_ids: Collection[str],
    tables: Collection[str] | None = None,
    *,
    since: pd.Timestamp | None = None,
) -> Dataset:
    """`ds` holding only the rows of `rep_ids` (see the module doc), every table in memory; with
    `tables`, only those of them the dataset has (an analysis reads no table it does not use).
    With `since`, a table read from disk also keeps only what an analysis of the months from
    `since` on can need (`window_rule`: the funnel's trailing year); a table already in memory
    is kept whole, which gives the same results.

    The result keeps `ds`'s metadata (as-of date, time zone, currency, warnings) and an empty
    content hash: caches keyed by the whole dataset's content never serve it.
    """
    con = engine.connect(ds)
    try:
        engine.register_ids(con, "_reps", "rep_id", rep_ids)
        window = ""
        if since is not None and ds.tables.loaded("opportunities") is None:
            window = f" AND {window_rule('opportunities', since)}"
        con.execute(
            "CREATE TEMP TABLE _opps AS SELECT opportunity_id, account_id, lead_id "
            f"FROM opportunities WHERE rep_id IN (SELECT rep_id FROM _reps){window}"
        )
        frames: dict[str, pd.DataFrame] = {}
        memo: dict = {}
        wanted = [t for t in ds.tables if tables is None or t in tables]
        memo["accounts"] = set()
        if {"accounts", "revenue"} & set(wanted) and "accounts" in ds.tables:
            accounts = _rows(ds, con, "accounts", memo)  # first: revenue follows them
            memo["accounts"] = set(accounts["account_id"])
            con.register("_accounts", accounts[["account_id"]])
            if "accounts" in wanted:
                frames["accounts"] = accounts
        else:
            con.execute("CREATE TEMP TABLE _accounts (account_id VARCHAR)")
        for name in wanted:
            if name not in frames:
                frames[name] = _rows(ds, con, name, memo, since)
    finally:
        con.close()
    return replace(ds, tables=Tables(frames), content_hash="")


def only(ds: Dataset, tables: Collection[str]) -> Dataset:
    """`ds` with just `tables` (those it has), every row, nothing read: a table still on disk stays
    there. A company-wide analysis cuts this (`metrics.asof.as_of` reads every table it is given)
    rather than the whole dataset, so a table it does not use is never read.

    The result keeps `ds`'s metadata and an empty content hash, as `scoped`'s."""
    t = ds.tables
    frames = {n: t.loaded(n) for n in t if n in tables and t.loaded(n) is not None}
    lazy = {n: t.file(n) for n in t if n in tables and t.loaded(n) is None}
    trim = {n: t.trim(n) for n in lazy if t.trim(n) is not None}
    return replace(ds, tables=Tables(frames, lazy=lazy, trim=trim), content_hash="")


def team_deals(ds: Dataset) -> dict[str, int]:
    """team id -> its deals (all of them): what a team's report costs grows with them, so the
    batch starts the largest teams first (counted in DuckDB; no row reaches pandas)."""
    con = engine.connect(ds, ["opportunities", "reps"])
    try:
        rows = con.execute(
            "SELECT r.team_id, count(*) FROM opportunities o JOIN reps r USING (rep_id) GROUP BY 1"
        ).fetchall()
    finally:
        con.close()
    return {team: int(n) for team, n in rows}


def _rows(ds: Dataset, con, name: str, memo: dict, since=None) -> pd.DataFrame:
    """Table `name`'s rows in scope: by DuckDB over its file when still on disk (in `since`'s
    window, when given), else in pandas."""
    rule = scope_rule(name)
    frame = ds.tables.loaded(name)
    if frame is None:
        rules = [r for r in (rule, since is not None and window_rule(name, since)) if r]
        sql = f"SELECT * FROM {name}" + (f" WHERE {' AND '.join(rules)}" if rules else "")
        if TABLES[name].key:  # the same order on every run (DuckDB keeps none)
            sql += " ORDER BY " + ", ".join(TABLES[name].key)
        return typed(con.execute(sql).df(), TABLES[name])
    if rule is None:
        return frame
    if "keys" not in memo:
        memo["keys"] = _keys(con)
    keys = memo["keys"]
    if name == "accounts":
        keep = frame["owner_rep_id"].isin(keys["rep_id"]) | frame["account_id"].isin(
            keys["deal_account_id"]
        )
    elif "rep_id" in frame.columns:
        keep = frame["rep_id"].isin(keys["rep_id"])
    else:
        column, source, _ = _BY[name]
        keep = frame[column].isin(keys[column] if source == "opportunities" else memo["accounts"])
    return frame[keep.to_numpy()].reset_index(drop=True)


def _keys(con) -> dict[str, set]:
    """The scope's reps and deals (with their accounts), from the temp tables of `scoped`."""
    opps = con.execute("SELECT opportunity_id, account_id FROM _opps").df()
    return {
        "rep_id": set(con.execute("SELECT rep_id FROM _reps").df()["rep_id"]),
        "opportunity_id": set(opps["opportunity_id"]),
        "deal_account_id": set(opps["account_id"].dropna()),
    }
