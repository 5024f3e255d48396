"""The KPI families as DuckDB SQL, one query per family of events, grouped by (scope, month
ordinal) over the dataset's tables wherever they are (`analysis.data.engine`); `kpis` turns
the aggregates into the KPI table."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import pandas as pd

from analysis.data import engine
from analysis.data.contract import SKILLS
from analysis.data.dataset import Dataset

Level = Literal["company", "team", "rep"]

__all__ = [
    "Level",
    "Query",
    "open_rows_sql",
    "closed_as_of_sql",
    "known_from",
    "month_ordinals",
    "ratio",
    "closing_sums",
    "quota_sums",
    "opportunity_kpis",
    "event_kpis",
    "account_kpis",
    "people_kpis",
    "scope_month_grid",
]


_INDEX = ["scope_id", "month"]


_CYCLE_DAYS = "date_diff('microsecond', o.created_at, o.closed_at) / 86400e6"


def known_from(ds: Dataset, alias: str = "") -> str:
    """SQL for `metrics.asof.known_from`: from when a deal is known to exist (its creation, else
    its close, else, open and undated, the dataset's as-of date); `alias`: the table's, e.g. 'o.'."""
    fallback = "NULL" if ds.as_of is None else engine.sql_timestamp(ds.as_of)
    return f"coalesce({alias}created_at, {alias}closed_at, {fallback})"


class Query:
    """One KPI computation: DuckDB over the dataset (`analysis.data.engine`), the months asked for
    (ordinals, registered as table `kpi_months`) and the level whose scopes rows roll up to.

    `only`: one team's (or rep's) id at that level, whose rows alone are aggregated: each
    query's rows join that scope's reps instead of every rep, so the result is that scope's
    rows of the whole table. What a KPI looks up across scopes (an account's first win, its
    revenue the month before, the accounts touched) is still computed from every row."""

    def __init__(self, ds: Dataset, months: np.ndarray, level: Level, only: str | None = None):
        self.ds, self.months, self.level = ds, months, _level(level)
        self.only = None if level == "company" else only
        self.open_rows = ""  # a temp table of `open_rows_sql`'s rows, once `keep_open_rows` ran
        self.lo, self.hi = int(months.min()), int(months.max())
        self.con = engine.connect(ds)
        self.con.register("kpi_months", pd.DataFrame({"m": months}))
        if self.only is not None:
            column = "team_id" if level == "team" else "rep_id"
            self.con.execute(
                f"CREATE TEMP TABLE _only AS SELECT rep_id, team_id FROM reps WHERE {column} = ?",
                [self.only],
            )
        # growth needs the revenue of M-1 and M-12, which may lie before `months`
        ext = np.union1d(np.union1d(months, months - 1), months - 12)
        self.con.register("ext_months", pd.DataFrame({"m": ext}))
        self.con.execute(closings_sql(ds))

    def at_level(self, level: Level) -> None:
        """Roll the following queries up to `level` (one connection, its temp tables and the
        open rows kept, for the KPI tables of several levels); not with `only`."""
        if self.only is not None:
            raise ValueError("Query.at_level: a query of one scope (`only`) keeps its level")
        self.level = _level(level)

    def keep_open_rows(self) -> None:
        """Compute `open_rows_sql`'s rows once, as temp table `_open_rows`, for the queries of
        several levels (the as-of join over the snapshots is the dearest part of a level's
        KPIs on a large company)."""
        self.con.execute(f"CREATE TEMP TABLE _open_rows AS {open_rows_sql(self)}")
        self.open_rows = "_open_rows"

    def scope(self, rep: str) -> tuple[str, str]:
        """(scope_id expression, join clause) for rows whose rep id is the SQL expression `rep`.
        Every row belongs to the company; a row without a (known) rep has no team or rep scope."""
        if self.level == "company":
            return "'company'", ""
        if self.only is not None:
            column = "team_id" if self.level == "team" else "rep_id"
            return f"_scope.{column}", f"JOIN _only _scope ON _scope.rep_id = {rep}"
        if self.level == "rep":
            return rep, ""
        return "_scope.team_id", f"LEFT JOIN reps _scope ON _scope.rep_id = {rep}"

    def in_months(self, expr: str, table: str = "kpi_months") -> str:
        return f"{expr} IN (SELECT m FROM {table})"

    def series(self, sql: str) -> dict[str, pd.Series]:
        """Run `sql` (columns scope_id, m, then KPI columns): one float Series per KPI column,
        indexed by (scope_id, month ordinal)."""
        frame = self.con.execute(sql).df()
        frame = frame.rename(columns={"m": "month"}).astype({"month": "int64"})
        frame = frame.set_index(_INDEX)
        return {c: frame[c].astype("float64") for c in frame.columns}

    def close(self) -> None:
        self.con.close()


def _level(level: str) -> Level:
    if level not in ("company", "team", "rep"):
        raise ValueError(f"level: {level!r} is not one of company, team, rep")
    return level  # type: ignore[return-value]


CLOSED = "('closed_won', 'closed_lost')"


def closings_sql(ds: Dataset) -> str:
    """Temp table `undone` (closings the stage history shows were reopened later:
    opportunity_id, stage, closed_at, reopened_at) and view `closings` (every closing that stood
    at the end of its month: each deal's final one from `opportunities`, and each undone one that
    was reopened only after its month ended). A deal lost in February and reopened in March was
    lost as of the end of February, so February counts the loss and March's open pipeline the
    deal; `metrics.asof.as_of` gives the same from the history. Without stage history no closing
    is known to be undone."""
    cols = "opportunity_id, account_id, rep_id, created_at, amount, deal_type, stage, closed_at"
    final = f"SELECT {cols} FROM opportunities WHERE closed_at IS NOT NULL"
    if not ds.has("stage_history"):
        return f"""
            CREATE TEMP TABLE undone (opportunity_id VARCHAR, stage VARCHAR,
                closed_at TIMESTAMP, reopened_at TIMESTAMP);
            CREATE TEMP VIEW closings AS {final}"""
    return f"""
        CREATE TEMP TABLE undone AS
        WITH r AS (
            SELECT opportunity_id FROM stage_history GROUP BY ALL
            HAVING min(entered_at) FILTER (WHERE stage IN {CLOSED}) < max(entered_at))
        SELECT * FROM (
            SELECT h.opportunity_id, h.stage, h.entered_at AS closed_at,
                lead(h.entered_at) OVER (PARTITION BY h.opportunity_id ORDER BY h.entered_at)
                    AS reopened_at
            FROM stage_history h SEMI JOIN r ON r.opportunity_id = h.opportunity_id)
        WHERE stage IN {CLOSED} AND reopened_at IS NOT NULL;
        CREATE TEMP VIEW closings AS
        {final}
        UNION ALL
        SELECT o.opportunity_id, o.account_id, o.rep_id, o.created_at, o.amount, o.deal_type,
            u.stage, u.closed_at
        FROM undone u JOIN opportunities o ON o.opportunity_id = u.opportunity_id
        WHERE u.reopened_at >= month_start(month_ord(u.closed_at) + 1)"""


def closed_as_of_sql(ds: Dataset, cutoff: pd.Timestamp) -> str:
    """The deals closed as `metrics.asof.as_of(ds, cutoff)` has them: opportunity_id, rep_id,
    stage, closed_at. A deal closed before the cutoff for good; and one closed later (or still
    open) whose stage history's latest entry before the cutoff is a closing, reopened after it:
    closed then, at that entry. Only deals known by then (`known_from`). The SQL twin of the
    pandas cut for analyses that need only the closings of a company at scale (a test checks
    the two agree)."""
    at = engine.sql_timestamp(cutoff)
    final = f"""SELECT opportunity_id, rep_id, stage, closed_at FROM opportunities
        WHERE closed_at < {at}"""
    if not ds.has("stage_history"):
        return final
    return f"""{final}
        UNION ALL
        SELECT o.opportunity_id, o.rep_id, l.stage, l.at AS closed_at
        FROM opportunities o JOIN (
            SELECT opportunity_id, max_by(stage, entered_at) AS stage, max(entered_at) AS at
            FROM stage_history WHERE entered_at < {at} GROUP BY opportunity_id) l
            ON l.opportunity_id = o.opportunity_id
        WHERE (o.closed_at IS NULL OR o.closed_at >= {at}) AND l.stage IN {CLOSED}
            AND {known_from(ds, "o.")} < {at}"""


def open_rows_sql(q: Query, last: int | None = None, recorded: Sequence[str] = ()) -> str:
    """Deals open at the end of each month asked for (up to month ordinal `last` if given):
    opportunity_id, rep_id, m, amount, due (expected-close month ordinal), and for each column
    of `recorded`, `recorded_<column>`: the opportunity_snapshots column as the same latest
    snapshot before the end of M recorded it (NULL without one, or without snapshots).

    Open at the end of M: known to exist before it (`known_from`: created, for a deal with a
    creation date) and not closed by then, i.e. alive in months [created, closed - 1], except the month ends over which a closing later undone stood
    (`undone`). Amount and expected close date are as the latest snapshot before the
    end of M recorded them when the dataset has `opportunity_snapshots` (else, or for a deal with
    no snapshot yet, the current values). With `q.only`, the deals of that scope's reps alone.
    """
    hi = q.hi if last is None else min(q.hi, last)
    # one scope's (`Query.only`): its reps' deals only, and only their snapshots are searched
    mine = "" if q.only is None else " AND rep_id IN (SELECT rep_id FROM _only)"
    alive = f"""
        SELECT * FROM (
            SELECT opportunity_id, rep_id, amount, expected_close_date,
                unnest(range(greatest(month_ord({known_from(q.ds)}), {q.lo}),
                             least(coalesce(month_ord(closed_at) - 1, {hi}), {hi}) + 1)) AS m
            FROM opportunities WHERE {known_from(q.ds)} IS NOT NULL{mine}) a
        ANTI JOIN undone u ON u.opportunity_id = a.opportunity_id
            AND u.closed_at < month_start(a.m + 1) AND u.reopened_at >= month_start(a.m + 1)
        WHERE {q.in_months("a.m")}"""
    if not q.ds.has("opportunity_snapshots"):
        nulls = "".join(f", NULL AS recorded_{c}" for c in recorded)
        return f"""SELECT opportunity_id, rep_id, m, amount,
            month_ord(expected_close_date) AS due{nulls} FROM ({alive})"""
    snapped = "".join(f",\n            s.{c} AS recorded_{c}" for c in recorded)
    snapshots = "opportunity_snapshots"
    if q.only is not None:
        snapshots = """(SELECT * FROM opportunity_snapshots WHERE opportunity_id IN (
            SELECT opportunity_id FROM opportunities WHERE rep_id IN (SELECT rep_id FROM _only)))"""
    return f"""
        SELECT r.opportunity_id, r.rep_id, r.m,
            CASE WHEN s.snapshot_date IS NULL THEN r.amount ELSE s.amount END AS amount,
            month_ord(CASE WHEN s.snapshot_date IS NULL THEN r.expected_close_date
                           ELSE s.expected_close_date END) AS due{snapped}
        FROM (SELECT *, month_start(m + 1) AS end_ts FROM ({alive})) r
        ASOF LEFT JOIN {snapshots} s
            ON s.opportunity_id = r.opportunity_id AND r.end_ts > s.snapshot_date"""


def month_ordinals(months: Sequence[pd.Period]) -> np.ndarray:
    """The distinct months as sorted ordinals (months since 1970-01)."""
    return np.array(sorted({pd.Period(m, "M").ordinal for m in months}), dtype="int64")


def ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    num, den = num.astype("float64").align(den.astype("float64"), join="outer")
    return num / den.where(den > 0)


_WON = "o.stage = 'closed_won'"


def closing_sums(q: Query, *more: str) -> dict[str, pd.Series]:
    """revenue, deals_won and deals_lost per scope and close month, over the months asked for,
    M-1 and M-12 (growth), from the closings that stood at each month's end (`closings_sql`);
    `more`: further aggregates of the same rows ('<expression> AS <name>', rows aliased o).
    The one definition of these KPIs: the KPI table's, and `kpis.closing_table`'s for the
    analyses that need only them."""
    sc, join = q.scope("o.rep_id")
    extra = "".join(f",\n            {m}" for m in more)
    return q.series(f"""
        SELECT {sc} AS scope_id, month_ord(o.closed_at) AS m,
            sum(o.amount) FILTER (WHERE {_WON}) AS revenue,
            count(*) FILTER (WHERE {_WON}) AS deals_won,
            count(*) FILTER (WHERE o.stage = 'closed_lost') AS deals_lost{extra}
        FROM closings o {join}
        WHERE {q.in_months("month_ord(o.closed_at)", "ext_months")}
            AND {sc} IS NOT NULL
        GROUP BY ALL""")


def quota_sums(q: Query) -> dict[str, pd.Series]:
    """quota per scope and month (the months asked for): the sum of its reps' quotas."""
    sc, join = q.scope("q.rep_id")
    return q.series(f"""
        SELECT {sc} AS scope_id, month_ord_text(q.month) AS m, sum(q.quota_amount) AS quota
        FROM quotas q {join}
        WHERE {q.in_months("month_ord_text(q.month)")} AND {sc} IS NOT NULL
        GROUP BY ALL""")


def opportunity_kpis(q: Query) -> dict[str, pd.Series]:
    sc, join = q.scope("o.rep_id")
    won = _WON
    expansion = "o.deal_type IN ('upsell', 'cross_sell')"
    # every close-dated KPI over M, M-1 and M-12 (growth); the grid keeps the months asked for
    out = closing_sums(
        q,
        f"sum(o.amount) FILTER (WHERE {won} AND {expansion}) AS expansion_revenue",
        f"avg({_CYCLE_DAYS}) FILTER (WHERE {won}) AS avg_sales_cycle_days",
        f"median({_CYCLE_DAYS}) FILTER (WHERE {won}) AS median_sales_cycle_days",
        f"""count(*) FILTER (WHERE {won} AND {expansion})::DOUBLE / nullif(count(*) FILTER (
                WHERE o.stage IN ('closed_won', 'closed_lost') AND {expansion}), 0)
                AS upsell_cross_sell_win_rate""",
    )
    out["_revenue_ext"] = out["revenue"]
    out |= q.series(f"""
        WITH first_won AS (
            SELECT account_id, month_ord(min(closed_at)) AS m FROM closings
            WHERE stage = 'closed_won' GROUP BY account_id)
        SELECT {sc} AS scope_id, month_ord(o.created_at) AS m,
            count(*) AS existing_account_opportunities
        FROM opportunities o JOIN first_won f ON f.account_id = o.account_id {join}
        WHERE {q.in_months("month_ord(o.created_at)")} AND f.m < month_ord(o.created_at)
            AND {sc} IS NOT NULL
        GROUP BY ALL""")
    out |= q.series(f"""
        SELECT {sc} AS scope_id, o.m,
            coalesce(sum(o.amount), 0) AS open_pipeline_amount,
            count(*) AS open_opportunities,
            coalesce(sum(o.amount) FILTER (WHERE o.due BETWEEN o.m + 1 AND o.m + 3), 0) AS pipe
        FROM {q.open_rows or f"({open_rows_sql(q)})"} o {join}
        WHERE {sc} IS NOT NULL
        GROUP BY ALL""")
    pipe = out.pop("pipe")
    if q.ds.has("quotas"):
        sc, join = q.scope("q.rep_id")
        quota_ahead = q.series(f"""
            SELECT {sc} AS scope_id, month_ord_text(q.month) - k.k AS m,
                sum(q.quota_amount) AS quota_ahead
            FROM quotas q CROSS JOIN (VALUES (1), (2), (3)) k(k) {join}
            WHERE {sc} IS NOT NULL
            GROUP BY ALL""")["quota_ahead"]
        out["pipeline_coverage"] = ratio(
            pipe.reindex(quota_ahead.index, fill_value=0.0), quota_ahead
        )
    return out


def event_kpis(q: Query) -> dict[str, pd.Series]:
    ds, out = q.ds, {}
    if ds.has("quotas"):
        out |= quota_sums(q)
    if ds.has("csat"):
        sc, join = q.scope("c.rep_id")
        out |= q.series(f"""
            SELECT {sc} AS scope_id, month_ord(c.responded_at) AS m,
                avg(c.score) AS csat_avg, count(*) AS csat_responses
            FROM csat c {join}
            WHERE {q.in_months("month_ord(c.responded_at)")} AND {sc} IS NOT NULL
            GROUP BY ALL""")
    if ds.has("leads"):
        sc, join = q.scope("l.rep_id")
        # "by the end of M" for a lead created in M: its conversion/qualification month is M
        out |= q.series(f"""
            SELECT {sc} AS scope_id, month_ord(l.created_at) AS m,
                count(*) AS leads_created,
                count(*) FILTER (WHERE month_ord(l.converted_at) = month_ord(l.created_at))
                    / count(*) AS lead_to_opportunity_rate,
                count(*) FILTER (WHERE month_ord(l.qualified_at) = month_ord(l.created_at))
                    / count(*) AS lead_qualification_rate,
                avg(l.lead_score) AS avg_lead_score
            FROM leads l {join}
            WHERE {q.in_months("month_ord(l.created_at)")} AND {sc} IS NOT NULL
            GROUP BY ALL""")
        out |= q.series(f"""
            SELECT {sc} AS scope_id, month_ord(l.qualified_at) AS m, count(*) AS qualified_leads
            FROM leads l {join}
            WHERE {q.in_months("month_ord(l.qualified_at)")} AND {sc} IS NOT NULL
            GROUP BY ALL""")
        out |= q.series(f"""
            SELECT {sc} AS scope_id, month_ord(l.converted_at) AS m,
                avg(date_diff('microsecond', l.created_at, l.converted_at) / 86400e6)
                    AS avg_lead_to_opportunity_days
            FROM leads l {join}
            WHERE {q.in_months("month_ord(l.converted_at)")} AND {sc} IS NOT NULL
            GROUP BY ALL""")
    if ds.has("feedback"):
        sc, join = q.scope("f.rep_id")
        out |= q.series(f"""
            SELECT {sc} AS scope_id, month_ord(f.given_at) AS m,
                count(*) AS feedback_sessions, avg(f.quality_score) AS avg_feedback_quality
            FROM feedback f {join}
            WHERE {q.in_months("month_ord(f.given_at)")} AND {sc} IS NOT NULL
            GROUP BY ALL""")
    if ds.has("tickets"):
        # a ticket without a rep belongs to its account's owner
        if ds.has("accounts"):
            owned = "LEFT JOIN accounts ta ON ta.account_id = t.account_id"
            sc, join = q.scope("coalesce(t.rep_id, ta.owner_rep_id)")
        else:
            owned = ""
            sc, join = q.scope("t.rep_id")
        out |= q.series(f"""
            SELECT {sc} AS scope_id, month_ord(t.opened_at) AS m,
                count(*) AS tickets_opened,
                count(*) FILTER (WHERE coalesce(t.escalated, false)) / count(*) AS escalation_rate
            FROM tickets t {owned} {join}
            WHERE {q.in_months("month_ord(t.opened_at)")} AND {sc} IS NOT NULL
            GROUP BY ALL""")
        out |= q.series(f"""
            SELECT {sc} AS scope_id, month_ord(t.resolved_at) AS m,
                count(*) AS tickets_resolved,
                median(date_diff('microsecond', t.opened_at, t.resolved_at) / 3600e6)
                    AS median_resolution_hours,
                count(*) FILTER (WHERE coalesce(t.reopened, false)) / count(*) AS reopen_rate
            FROM tickets t {owned} {join}
            WHERE {q.in_months("month_ord(t.resolved_at)")} AND {sc} IS NOT NULL
            GROUP BY ALL""")
    if ds.has("activities"):
        sc, join = q.scope("a.rep_id")
        out |= q.series(f"""
            SELECT {sc} AS scope_id, month_ord(a.occurred_at) AS m, count(*) AS visits
            FROM activities a {join}
            WHERE a.activity_type = 'visit' AND {q.in_months("month_ord(a.occurred_at)")}
                AND {sc} IS NOT NULL
            GROUP BY ALL""")
    return out


# the month an account exists from: its creation's, or (without a creation date, an optional
# column) every month
_ACCOUNT_SINCE = "coalesce(month_ord(a.created_date), -2147483647)"


def account_kpis(q: Query) -> dict[str, pd.Series]:
    ds = q.ds
    sc, join = q.scope("a.owner_rep_id")
    # accounts owned at the end of M: created by then (ownership is the current one)
    out = q.series(f"""
        WITH created AS (
            SELECT {sc} AS scope_id, {_ACCOUNT_SINCE} AS m, count(*) AS n
            FROM accounts a {join} WHERE {sc} IS NOT NULL GROUP BY ALL)
        SELECT c.scope_id, g.m, sum(c.n)::DOUBLE AS accounts_assigned
        FROM created c JOIN kpi_months g ON c.m <= g.m
        GROUP BY ALL""")
    if ds.has("activities"):
        out |= q.series(f"""
            WITH touched AS (
                SELECT DISTINCT account_id, month_ord(occurred_at) AS m FROM activities
                WHERE {q.in_months("month_ord(occurred_at)")})
            SELECT {sc} AS scope_id, p.m,
                count(*) AS accounts_touched, count(DISTINCT a.province) AS provinces_touched
            FROM touched p JOIN accounts a ON a.account_id = p.account_id {join}
            WHERE {_ACCOUNT_SINCE} <= p.m AND {sc} IS NOT NULL
            GROUP BY ALL""")
        assigned = out["accounts_assigned"]
        out["account_coverage_rate"] = ratio(
            out["accounts_touched"].reindex(assigned.index, fill_value=0), assigned
        )
    if ds.has("revenue"):
        # accounts with revenue in M-1: churned when none in M; GRR caps each at its M-1 revenue
        out |= q.series(f"""
            WITH monthly AS (
                SELECT account_id, month_ord_text(month) AS m, sum(revenue) AS revenue
                FROM revenue GROUP BY ALL),
            pairs AS (
                SELECT p.account_id, p.m + 1 AS m, p.revenue AS prev,
                    coalesce(r.revenue, 0) AS revenue
                FROM monthly p LEFT JOIN monthly r ON r.account_id = p.account_id AND r.m = p.m + 1
                WHERE {q.in_months("p.m + 1")} AND p.revenue > 0)
            SELECT {sc} AS scope_id, p.m,
                count(*) FILTER (WHERE p.revenue <= 0) AS churned_accounts,
                count(*) FILTER (WHERE p.revenue <= 0) / count(*) AS customer_churn_rate,
                sum(least(p.revenue, p.prev)) / nullif(sum(p.prev), 0) AS gross_revenue_retention,
                sum(p.revenue) / nullif(sum(p.prev), 0) AS net_revenue_retention
            FROM pairs p JOIN accounts a ON a.account_id = p.account_id {join}
            WHERE {sc} IS NOT NULL
            GROUP BY ALL""")
    return out


def people_kpis(q: Query) -> dict[str, pd.Series]:
    ds = q.ds
    sc, join = q.scope("r.rep_id")
    out = q.series(f"""
        SELECT {sc} AS scope_id, r.m, count(*) AS _active_reps
        FROM active_rep_months r {join} WHERE {sc} IS NOT NULL GROUP BY ALL""")
    if ds.has("trainings"):
        sc, join = q.scope("t.rep_id")
        stock = f"""
            WITH t AS (
                SELECT {sc} AS scope_id, month_ord(t.assigned_at) AS assigned,
                    CASE WHEN t.completed_at IS NOT NULL
                         THEN greatest(month_ord(t.assigned_at), month_ord(t.completed_at))
                    END AS done
                FROM trainings t {join} WHERE {sc} IS NOT NULL)"""
        assigned = q.series(f"""{stock}
            SELECT t.scope_id, g.m, count(*) AS n FROM t JOIN kpi_months g ON t.assigned <= g.m
            GROUP BY ALL""")["n"]
        done = q.series(f"""{stock}
            SELECT t.scope_id, g.m, count(*) AS n FROM t JOIN kpi_months g ON t.done <= g.m
            GROUP BY ALL""")["n"]
        out["training_completion_rate"] = ratio(
            done.reindex(assigned.index, fill_value=0), assigned
        )
        out |= q.series(f"""
            SELECT {sc} AS scope_id, month_ord(t.completed_at) AS m, count(*) AS trainings_completed
            FROM trainings t {join}
            WHERE {q.in_months("month_ord(t.completed_at)")} AND {sc} IS NOT NULL
            GROUP BY ALL""")
    if ds.has("skill_assessments"):
        sc, join = q.scope("g.rep_id")
        skills = ", ".join(f"('{s}')" for s in SKILLS)
        # each active rep's latest score per skill assessed strictly before the end of M
        frame = q.con.execute(f"""
            SELECT {sc} AS scope_id, g.m, g.skill, avg(s.score) AS score
            FROM (SELECT r.rep_id, r.m, month_start(r.m + 1) AS end_ts, k.skill
                  FROM active_rep_months r CROSS JOIN (VALUES {skills}) k(skill)) g
            ASOF LEFT JOIN skill_assessments s
                ON s.rep_id = g.rep_id AND s.skill = g.skill AND g.end_ts > s.assessed_at
            {join}
            WHERE {sc} IS NOT NULL
            GROUP BY ALL""").df()
        frame = frame.rename(columns={"m": "month"}).astype({"month": "int64"})
        for skill in SKILLS:
            part = frame[frame["skill"].eq(skill)].set_index(_INDEX)["score"]
            out[f"avg_skill_score_{skill}"] = part.astype("float64")
    return out


def scope_month_grid(q: Query) -> pd.MultiIndex:
    months = q.months
    if q.level == "company":
        return pd.MultiIndex.from_product([["company"], months], names=_INDEX)
    if q.level == "team":
        teams = [q.only] if q.only is not None else q.ds["teams"]["team_id"]
        return pd.MultiIndex.from_product([teams, months], names=_INDEX)
    # reps: the months they were active in or closed a deal
    pairs = q.con.execute(f"""
        SELECT DISTINCT rep_id AS scope_id, m AS month FROM (
            SELECT rep_id, m FROM active_rep_months
            UNION ALL
            SELECT rep_id, month_ord(closed_at) FROM closings
            WHERE {q.in_months("month_ord(closed_at)")})
        WHERE {"rep_id IN (SELECT rep_id FROM _only)" if q.only is not None else "true"}
        ORDER BY scope_id, month""").df()
    return pd.MultiIndex.from_arrays(
        [pairs["scope_id"].astype("str"), pairs["month"].astype("int64")], names=_INDEX
    )
