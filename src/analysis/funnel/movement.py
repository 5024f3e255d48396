"""Pipeline movement: the waterfall from start to end of the month (created, reopened,
increased, decreased, won, lost and what the records leave unexplained), slipped and pulled-in
close dates, and the pipeline's health. Summed in DuckDB over the funnel's tables
(`inputs.FunnelTables`): one row reaches pandas."""

from __future__ import annotations

import pandas as pd

from analysis.data.contract import OPEN_STAGES
from analysis.data.engine import sql_timestamp
from analysis.funnel.inputs import CLOSED, DAYS, FunnelData
from analysis.metrics.kpis import kpis_for
from analysis.months import month_start

__all__ = ["waterfall", "slippage", "pipeline_health"]

_OPEN = "(" + ", ".join(f"'{s}'" for s in OPEN_STAGES) + ")"
_FIRST = "TIMESTAMP '0001-01-01'"  # before any snapshot: a deal's value on entering the month


def has_snapshots(fd: FunnelData) -> bool:
    """Whether the scope's deals have snapshots before the cutoff."""
    if "has_snapshots" not in fd.memo:
        fd.memo["has_snapshots"] = fd.tables.has_snapshots and bool(
            fd.sql("SELECT count(*) AS n FROM (SELECT 1 FROM f_snaps LIMIT 1)")["n"].iloc[0]
        )
    return fd.memo["has_snapshots"]


def _waterfall_sql(fd: FunnelData) -> str:
    """One row: the waterfall's terms and counts (see `waterfall`), deal by deal in SQL."""
    m, start, end = fd.month.ordinal, sql_timestamp(fd.start), sql_timestamp(fd.end)
    return f"""
    WITH o AS MATERIALIZED (SELECT opportunity_id, m, amount, due FROM f_open),
    s AS MATERIALIZED (SELECT opportunity_id, amount, due FROM o WHERE m = {m - 1}),
    e AS MATERIALIZED (SELECT opportunity_id, amount, due FROM o WHERE m = {m}),
    c AS MATERIALIZED (SELECT opportunity_id, created_at, amount, expected_close_date FROM f_deals
          WHERE created_at >= {start} AND created_at < {end}),
    k AS MATERIALIZED (SELECT opportunity_id, amount, stage = 'closed_won' AS won FROM f_deals
          WHERE closed_at >= {start} AND closed_at < {end}),
    r AS (SELECT opportunity_id, min(entered_at) AS reopen_at FROM f_history
          WHERE entered_at >= {start} AND stage IN {_OPEN} AND prev IN {CLOSED} GROUP BY ALL),
    came AS ((SELECT opportunity_id FROM e UNION SELECT opportunity_id FROM k)
             EXCEPT (SELECT opportunity_id FROM s UNION SELECT opportunity_id FROM c)),
    ro AS (SELECT r.* FROM r SEMI JOIN came ON came.opportunity_id = r.opportunity_id),
    -- when each deal entered the month: at its start, at its creation, at its reopening
    entry AS MATERIALIZED (
        SELECT opportunity_id, {start} AS since, 0 AS src FROM s
        UNION ALL SELECT opportunity_id, created_at, 1 FROM c
            WHERE opportunity_id NOT IN (SELECT opportunity_id FROM s)
        UNION ALL SELECT opportunity_id, reopen_at, 2 FROM ro
            WHERE opportunity_id NOT IN (SELECT opportunity_id FROM s UNION
                                         SELECT opportunity_id FROM c)),
    seen AS MATERIALIZED (
        SELECT f.opportunity_id, f.snapshot_date, f.amount, f.expected_close_date
        FROM f_snaps f JOIN entry ON entry.opportunity_id = f.opportunity_id
        WHERE f.snapshot_date >= {start} AND f.snapshot_date >= entry.since),
    firsts AS (
        SELECT opportunity_id,
            arg_min(amount, snapshot_date) FILTER (WHERE amount IS NOT NULL) AS amount,
            arg_min(expected_close_date, snapshot_date)
                FILTER (WHERE expected_close_date IS NOT NULL) AS ecd
        FROM seen GROUP BY ALL),
    created_v AS (
        SELECT c.opportunity_id, coalesce(fs.amount, c.amount) AS amount,
            coalesce(month_ord(fs.ecd), month_ord(c.expected_close_date)) AS due
        FROM c LEFT JOIN firsts fs ON fs.opportunity_id = c.opportunity_id),
    reopened_v AS (
        SELECT ro.opportunity_id, coalesce(fs.amount, d.amount) AS amount,
            coalesce(month_ord(fs.ecd), month_ord(d.expected_close_date)) AS due
        FROM ro LEFT JOIN f_deals d ON d.opportunity_id = ro.opportunity_id
        LEFT JOIN firsts fs ON fs.opportunity_id = ro.opportunity_id),
    -- the value each deal entered the month with, then the values its snapshots recorded
    begin AS MATERIALIZED (
        SELECT entry.opportunity_id, coalesce(s.amount, cv.amount, rv.amount) AS amount,
            CASE entry.src WHEN 0 THEN s.due WHEN 1 THEN cv.due ELSE rv.due END AS due
        FROM entry LEFT JOIN s ON entry.src = 0 AND s.opportunity_id = entry.opportunity_id
        LEFT JOIN created_v cv ON entry.src = 1 AND cv.opportunity_id = entry.opportunity_id
        LEFT JOIN reopened_v rv ON entry.src = 2 AND rv.opportunity_id = entry.opportunity_id),
    path AS MATERIALIZED (
        SELECT opportunity_id, {_FIRST} AS t, amount FROM begin
        UNION ALL SELECT opportunity_id, snapshot_date, amount FROM seen),
    steps AS (
        SELECT amount - lag(amount) OVER (PARTITION BY opportunity_id ORDER BY t) AS step
        FROM path),
    lasts AS (
        SELECT opportunity_id, arg_max(amount, t) FILTER (WHERE amount IS NOT NULL) AS amount
        FROM path GROUP BY ALL),
    finish AS MATERIALIZED (
        SELECT opportunity_id, amount FROM e
        UNION ALL SELECT opportunity_id, amount FROM k
            WHERE opportunity_id NOT IN (SELECT opportunity_id FROM e)),
    own AS (
        SELECT coalesce(f.amount, 0) - coalesce(l.amount, 0) AS own
        FROM (SELECT opportunity_id FROM begin UNION SELECT opportunity_id FROM finish) ids
        LEFT JOIN finish f ON f.opportunity_id = ids.opportunity_id
        LEFT JOIN lasts l ON l.opportunity_id = ids.opportunity_id),
    -- expected to close this month on entering it, still open at its end with a later date;
    -- expected later, won this month or now due in it
    due AS (
        SELECT b.opportunity_id, b.due AS entry_due, e.due AS end_due, e.amount AS end_amount,
            e.opportunity_id IS NOT NULL AS is_end, coalesce(k.won, false) AS won,
            f.amount AS finish
        FROM begin b LEFT JOIN e ON e.opportunity_id = b.opportunity_id
        LEFT JOIN k ON k.opportunity_id = b.opportunity_id
        LEFT JOIN finish f ON f.opportunity_id = b.opportunity_id)
    SELECT
        (SELECT coalesce(sum(amount), 0) FROM s) AS open_start,
        (SELECT coalesce(sum(amount), 0) FROM created_v) AS created,
        (SELECT coalesce(sum(amount), 0) FROM reopened_v) AS reopened,
        (SELECT coalesce(sum(step) FILTER (WHERE step > 0), 0) FROM steps) AS increased,
        (SELECT coalesce(-sum(step) FILTER (WHERE step < 0), 0) FROM steps) AS decreased,
        (SELECT coalesce(sum(amount) FILTER (WHERE won), 0) FROM k) AS won,
        (SELECT coalesce(sum(amount) FILTER (WHERE NOT won), 0) FROM k) AS lost,
        (SELECT coalesce(sum(amount), 0) FROM e) AS open_end,
        (SELECT count(*) FROM s) AS n_start,
        (SELECT count(*) FROM c) AS n_created,
        (SELECT count(*) FROM ro) AS n_reopened,
        (SELECT count(*) FILTER (WHERE won) FROM k) AS n_won,
        (SELECT count(*) FILTER (WHERE NOT won) FROM k) AS n_lost,
        (SELECT count(*) FROM e) AS n_end,
        (SELECT count(*) FILTER (WHERE abs(own) >= 0.5) FROM own) AS n_unexplained,
        (SELECT coalesce(sum(end_amount), 0) FROM due
            WHERE entry_due = {m} AND is_end AND end_due > {m}) AS slipped,
        (SELECT count(*) FROM due WHERE entry_due = {m} AND is_end AND end_due > {m})
            AS n_slipped,
        (SELECT coalesce(sum(finish), 0) FROM due
            WHERE entry_due > {m} AND (won OR end_due = {m})) AS pulled_in,
        (SELECT count(*) FROM due WHERE entry_due > {m} AND (won OR end_due = {m}))
            AS n_pulled_in"""


def waterfall(fd: FunnelData) -> dict:
    """Pipeline movement in the month, each term measured on its own:

        open_start + created + reopened + increased - decreased - won - lost + unexplained
            = open_end

    - open_start/open_end: the open pipeline at the start/end of the month (the KPI
      open_pipeline_amount of the previous/this month, one implementation), each deal valued as
      the latest snapshot before that instant recorded it (else its current amount).
    - created: deals created in the month, at their first snapshot (else current amount).
    - reopened: deals closed at the start that were reopened in the month (their stage history
      shows the return), at their first snapshot after reopening (else current amount). None
      without a stage history (a reopening is then not known, and such a deal is unexplained).
    - won/lost: the closings that stood at the end of the month (`metrics.sql.closings_sql`), at
      the deal's amount.
    - increased/decreased: the amount changes the snapshots recorded during the month, deal by deal,
      from the value each deal entered the month with (start, creation or reopening) to its last
      snapshot before the end or before it closed. None without snapshots (nothing records a
      change).
    - unexplained: what is left. Zero when the records agree; not zero when they do not, e.g. a
      deal closed at an amount no snapshot recorded while it was open, a deal that left the open
      pipeline without a closing (deleted, or moved to another team's rep), or one that appeared
      in it without being created or reopened. n_unexplained counts the deals involved.

    The open pipeline has no close-date window (every open deal counts, whatever its expected
    close), so a close-date change moves no value in or out of it: `slipped` (deals expected to
    close this month, at the start or when they entered, still open at the end with a later date)
    and `pulled_in` (expected later, won this month or now due this month) show value moving in
    time, outside the balance. Both need snapshots.
    """
    row = fd.sql(_waterfall_sql(fd)).iloc[0]
    has_snaps = has_snapshots(fd)
    counts = ("n_start", "n_created", "n_reopened", "n_won", "n_lost", "n_end", "n_unexplained")
    result = {
        "open_start": float(row["open_start"]),
        "created": float(row["created"]),
        "reopened": float(row["reopened"]) if fd.tables.has_history else None,
        "increased": float(row["increased"]) if has_snaps else None,
        "decreased": float(row["decreased"]) if has_snaps else None,
        "won": float(row["won"]),
        "lost": float(row["lost"]),
        "open_end": float(row["open_end"]),
        "slipped": None,
        "pulled_in": None,
        **{n: int(row[n]) for n in counts[:-1]},
        "has_snapshots": has_snaps,
    }
    if not fd.tables.has_history:
        result["n_reopened"] = None
    incr, decr = result["increased"] or 0.0, result["decreased"] or 0.0
    result["unexplained"] = (
        result["open_end"]
        - result["open_start"]
        - result["created"]
        - (result["reopened"] or 0.0)
        - incr
        + decr
        + result["won"]
        + result["lost"]
    )
    result["n_unexplained"] = int(row["n_unexplained"])
    if has_snaps:
        result |= {
            "slipped": float(row["slipped"]),
            "n_slipped": int(row["n_slipped"]),
            "pulled_in": float(row["pulled_in"]),
            "n_pulled_in": int(row["n_pulled_in"]),
        }
    return result


def slippage(fd: FunnelData, months: int = 3) -> pd.DataFrame:
    """Close-date pushes per rep over the last `months` months, from consecutive snapshots.

    Columns: rep_id, open_deals (deals with a snapshot in the window), deals_pushed, pushes,
    push_rate (deals_pushed / open_deals), avg_push_days. Empty without snapshots.
    """
    cols = ["rep_id", "open_deals", "deals_pushed", "pushes", "push_rate", "avg_push_days"]
    if not has_snapshots(fd):
        return pd.DataFrame(columns=cols)
    push = DAYS.format(a="s.prev", b="s.expected_close_date")
    out = fd.sql(
        f"""WITH s AS (
            SELECT opportunity_id, snapshot_date, expected_close_date,
                lag(expected_close_date) OVER (PARTITION BY opportunity_id
                                               ORDER BY snapshot_date) AS prev
            FROM f_snaps),
        w AS (
            SELECT s.opportunity_id, d.rep_id, {push} AS push_days
            FROM s JOIN f_deals d ON d.opportunity_id = s.opportunity_id
            WHERE s.snapshot_date >= {sql_timestamp(month_start(fd.month - (months - 1)))})
        SELECT rep_id, count(DISTINCT opportunity_id) AS open_deals,
            count(DISTINCT opportunity_id) FILTER (WHERE push_days > 0) AS deals_pushed,
            count(*) FILTER (WHERE push_days > 0) AS pushes,
            avg(push_days) FILTER (WHERE push_days > 0) AS avg_push_days
        FROM w GROUP BY ALL"""
    )
    out = out.astype({"rep_id": "str", "avg_push_days": "float64"}).sort_values(
        "rep_id", ignore_index=True
    )
    out["push_rate"] = out["deals_pushed"] / out["open_deals"]
    return out[cols].sort_values("push_rate", ascending=False, ignore_index=True)


def pipeline_health(fd: FunnelData) -> dict:
    """Coverage and velocity for the month, from the KPI module (one implementation)."""
    values = kpis_for(fd.ds, fd.month, team=fd.team)
    keys = (
        "open_pipeline_amount",
        "open_opportunities",
        "pipeline_coverage",
        "pipeline_velocity",
        "win_rate",
        "avg_deal_size",
        "avg_sales_cycle_days",
    )
    out = {k: values[k] for k in keys}
    out["required_coverage"] = None if not values["win_rate"] else 1 / values["win_rate"]
    return out
