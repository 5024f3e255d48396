"""The funnel's inputs: the scope's deals, stage history, snapshots and leads as known at the end
of the month, as tables in DuckDB (`FunnelTables`), from which every view sums what it shows.

One implementation for a team and for the company. A team's rows are read first (`data.scoped`,
in DuckDB over Parquet for a dataset on disk) and the SQL runs over that slice; the company's runs
over the files themselves, so what reaches pandas is what the views show (counts by cohort and
stage, by stage transition, by rep; one row of the waterfall), never the company's deals (issue 21:
1.8 million deals, 6.6 million stage changes and 7.3 million snapshots in the benchmark company's
trailing year).

The cut is `metrics.asof.as_of`'s, in SQL (`tests/test_funnel.py` checks every view against
`tests/funnel_pandas`, the funnel counted deal by deal on the pandas cut): a deal is known from
`known_from`; its stage is the one it had at the cutoff (closed for good before it: its final
stage; else the last stage its history, or without one its latest snapshot, records before the
cutoff; else its current stage if open, else the first stage); a closing later reopened stands,
closed when its history says; what happened after the cutoff is not seen.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import duckdb
import pandas as pd

from analysis.data import engine
from analysis.data.contract import CLOSED_STAGES, OPEN_STAGES
from analysis.data.dataset import Dataset
from analysis.data.scoped import only, scoped
from analysis.metrics.kpis import scope_reps
from analysis.metrics.sql import CLOSED, Query, known_from, month_ordinals, open_rows_sql
from analysis.months import month_start, next_month_start

__all__ = [
    "STAGE_INDEX",
    "WINDOW_MONTHS",
    "DAY",
    "FunnelData",
    "FunnelTables",
    "prepare",
    "stages_in_use",
]


# every contract stage's place in the funnel; a dataset's funnel uses `FunnelData.stage_index`,
# the stages it has
STAGE_INDEX = {s: i for i, s in enumerate(OPEN_STAGES)} | {"closed_won": len(OPEN_STAGES)}


def stages_in_use(ds: Dataset) -> tuple[str, ...]:
    """The open stages the dataset has (a deal's current stage or a stage in its history), in
    the contract's order: an export with fewer stages maps several of its own to one contract
    stage and leaves others unused, and the funnel shows only the stages that occur (an unused
    stage would show every won deal as having passed it)."""
    tables = ["opportunities", *(["stage_history"] if ds.has("stage_history") else [])]
    con = engine.connect(ds, tables)  # DuckDB: a table on disk is not read into memory
    try:
        sql = " UNION ".join(f"SELECT DISTINCT stage FROM {t}" for t in tables)
        seen = {row[0] for row in con.execute(sql).fetchall()}
    finally:
        con.close()
    return tuple(s for s in OPEN_STAGES if s in seen) or OPEN_STAGES[:1]


WINDOW_MONTHS = 12

# what a team's funnel reads of the dataset (`data.scoped`)
FUNNEL_TABLES = (
    "teams",
    "reps",
    "opportunities",
    "stage_history",
    "opportunity_snapshots",
    "leads",
)

DAY = pd.Timedelta(days=1)

# a duration in days, to the microsecond, as pandas' (b - a) / one day
DAYS = "date_diff('microsecond', {a}, {b}) / 86400e6"


@dataclass
class FunnelTables:
    """A DuckDB connection holding the scope's funnel as known at the end of the month:

    - `f_deals`: the deals not closed before the window (`prepare`'s `since`), one row each:
      opportunity_id, rep_id, created_at, amount, product, deal_type, lead_id,
      expected_close_date, stage and closed_at as of the cutoff, and `far`, the index of the
      furthest stage reached (`FunnelData.stage_index`; a won deal has reached every stage);
    - `f_history` (with stage history): their stage changes before the cutoff that a view reads
      (entered in the month, or a stay that ended in the trailing year), with the stage before
      (`prev`) and when the deal left the stage (`left_at`);
    - `f_snaps` (with snapshots): their snapshots before the cutoff;
    - `f_leads` (with leads): the scope's leads known by then, later qualifications and
      conversions undone;
    - `f_open`: the scope's deals open at the end of the month and of the month before, valued
      as the KPI engine values its open pipeline (`metrics.sql.open_rows_sql`): opportunity_id,
      rep_id, m (month ordinal), amount, due (expected close, a month ordinal).
    Without stage history or snapshots, `f_history` and `f_snaps` are empty.
    """

    q: Query
    deals: int  # rows of f_deals
    history_rows: int  # stage changes before the cutoff of those deals (0: none, or no table)
    has_history: bool  # the dataset has stage_history
    has_snapshots: bool
    has_leads: bool

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        return self.q.con

    def df(self, sql: str) -> pd.DataFrame:
        return self.con.execute(sql).df()


@dataclass
class FunnelData:
    """One scope's funnel at the end of `month` (`prepare`): its tables in DuckDB and what the
    views need to read them."""

    ds: Dataset  # full dataset (for the KPI engine, which needs every team's rows)
    month: pd.Period
    team: str | None
    rep_ids: set[str]
    tables: FunnelTables
    stages: tuple[str, ...] = OPEN_STAGES  # the open stages the dataset uses (`stages_in_use`)
    months: int = WINDOW_MONTHS  # how many months back `f_deals` goes (`prepare`)
    # results several views share, computed once (`conversion`)
    memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def check_cohorts(self, cohorts: int) -> None:
        """A ValueError when `cohorts` creation months reach back further than the deals do."""
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

    @property
    def has_deals(self) -> bool:
        return self.tables.deals > 0

    @property
    def has_history(self) -> bool:
        """Whether the scope's deals have stage changes before the cutoff."""
        return self.tables.history_rows > 0

    def sql(self, query: str) -> pd.DataFrame:
        """Run `query` over the funnel's tables (`FunnelTables`)."""
        return self.tables.df(query)

    # the tables themselves, for exploring (a Lab): every row of the scope reaches pandas
    @property
    def opps(self) -> pd.DataFrame:
        """The deals as known at the cutoff (`f_deals`), ordered by id."""
        return self.sql("SELECT * FROM f_deals ORDER BY opportunity_id")

    @property
    def history(self) -> pd.DataFrame | None:
        """The stage changes a view reads (`f_history`), by deal and time; None without them."""
        if not self.tables.has_history:
            return None
        return self.sql("SELECT * FROM f_history ORDER BY opportunity_id, entered_at, stage")

    @property
    def snapshots(self) -> pd.DataFrame | None:
        """The deals' snapshots before the cutoff (`f_snaps`); None without the table."""
        if not self.tables.has_snapshots:
            return None
        return self.sql("SELECT * FROM f_snaps ORDER BY opportunity_id, snapshot_date")

    @property
    def leads(self) -> pd.DataFrame | None:
        """The scope's leads as known at the cutoff (`f_leads`); None without the table."""
        if not self.tables.has_leads:
            return None
        return self.sql("SELECT * FROM f_leads ORDER BY lead_id")


def prepare(
    ds: Dataset, month: pd.Period, team: str | None = None, *, months: int = WINDOW_MONTHS
) -> FunnelData:
    """`team`'s funnel (the company's when None) as known at the end of `month`, in DuckDB
    (`FunnelTables`). A team's rows are read first (`data.scoped`: no other team's row reaches
    pandas, and no deal closed before the window); the company's tables stay where they are (on
    disk, read by DuckDB). The deals are those not closed before the last `months` months (at
    least the trailing year every view uses; more for `cohort_conversion(fd, cohorts)`)."""
    rep_ids = set(scope_reps(ds, team)["rep_id"])
    months = max(months, WINDOW_MONTHS)
    since = month_start(month - (months - 1))
    if team is None:
        source = only(ds, FUNNEL_TABLES)
    else:
        source = scoped(ds, rep_ids, FUNNEL_TABLES, since=since)
    stages = stages_in_use(ds)
    fd_tables = _tables(source, month, rep_ids, stages, since)
    return FunnelData(ds, month, team, rep_ids, fd_tables, stages, months)


def _tables(
    source: Dataset, month: pd.Period, rep_ids, stages: tuple[str, ...], since: pd.Timestamp
) -> FunnelTables:
    q = Query(source, month_ordinals([month - 1, month]), "company")
    con = q.con
    engine.register_ids(con, "_reps", "rep_id", rep_ids)
    index = {s: i for i, s in enumerate(stages)} | {"closed_won": len(stages)}
    con.register("_stage", pd.DataFrame({"stage": list(index), "k": list(index.values())}))
    has_history = source.has("stage_history")
    has_snaps = source.has("opportunity_snapshots")
    con.execute(_deals_sql(source, month, since, has_history, has_snaps))
    deals, history_rows = con.execute("SELECT count(*), sum(h_n) FROM f_deals").fetchone()
    if has_history:
        con.execute(_history_sql(month))
    else:  # the views read one shape either way
        con.execute(
            "CREATE TEMP VIEW f_history AS SELECT NULL::VARCHAR AS opportunity_id, "
            "NULL::VARCHAR AS stage, NULL::TIMESTAMP AS entered_at, NULL::VARCHAR AS prev, "
            "NULL::TIMESTAMP AS left_at WHERE false"
        )
    if has_snaps:
        con.execute(
            "CREATE TEMP VIEW f_snaps AS SELECT s.opportunity_id, s.snapshot_date, s.amount, "
            "s.expected_close_date FROM opportunity_snapshots s "
            "SEMI JOIN f_deals d ON d.opportunity_id = s.opportunity_id "
            f"WHERE s.snapshot_date < {engine.sql_timestamp(next_month_start(month))}"
        )
    else:
        con.execute(
            "CREATE TEMP VIEW f_snaps AS SELECT NULL::VARCHAR AS opportunity_id, "
            "NULL::TIMESTAMP AS snapshot_date, NULL::DOUBLE AS amount, "
            "NULL::TIMESTAMP AS expected_close_date WHERE false"
        )
    engine_open = f"SELECT * FROM ({open_rows_sql(q)}) WHERE rep_id IN (SELECT rep_id FROM _reps)"
    con.execute(f"CREATE TEMP VIEW f_open AS {engine_open}")
    has_leads = source.has("leads")
    if has_leads:
        cut = engine.sql_timestamp(next_month_start(month))
        con.execute(
            f"""CREATE TEMP VIEW f_leads AS
            SELECT lead_id, rep_id, source, lead_score, created_at,
                CASE WHEN qualified_at < {cut} THEN qualified_at END AS qualified_at,
                CASE WHEN converted_at < {cut} THEN converted_at END AS converted_at
            FROM leads WHERE created_at < {cut} AND rep_id IN (SELECT rep_id FROM _reps)"""
        )
    return FunnelTables(q, int(deals), int(history_rows or 0), has_history, has_snaps, has_leads)


def _deals_sql(
    ds: Dataset, month: pd.Period, since: pd.Timestamp, has_history: bool, has_snaps: bool
) -> str:
    """`f_deals` (see `FunnelTables`): `metrics.asof.as_of`'s cut of the scope's deals, in SQL.
    `h_n` counts each deal's stage changes before the cutoff."""
    cut = engine.sql_timestamp(next_month_start(month))
    if has_history:  # the last stage recorded before the cutoff, and the furthest one
        was = f"""SELECT h.opportunity_id,
                arg_max(h.stage, (h.entered_at, list_position({_stage_list()}, h.stage))) AS was,
                max(h.entered_at) AS was_at, max(s.k) AS far_h, count(*) AS h_n
            FROM stage_history h LEFT JOIN _stage s ON s.stage = h.stage
            WHERE h.entered_at < {cut} GROUP BY h.opportunity_id"""
    elif has_snaps:  # else the latest snapshot's stage
        was = f"""SELECT opportunity_id, arg_max(stage, snapshot_date) AS was,
                NULL::TIMESTAMP AS was_at, NULL::BIGINT AS far_h, 0 AS h_n
            FROM opportunity_snapshots WHERE snapshot_date < {cut} GROUP BY opportunity_id"""
    else:
        was = """SELECT NULL::VARCHAR AS opportunity_id, NULL::VARCHAR AS was,
            NULL::TIMESTAMP AS was_at, NULL::BIGINT AS far_h, 0 AS h_n WHERE false"""
    reopened = f"NOT final AND stage IN {CLOSED}" if has_history else "false"
    return f"""
        CREATE TEMP TABLE f_deals AS
        WITH w AS ({was}),
        d AS (
            SELECT o.opportunity_id, o.rep_id, o.created_at, o.amount, o.product, o.deal_type,
                o.lead_id, o.expected_close_date, o.stage AS now_stage, o.closed_at AS now_closed,
                coalesce(o.closed_at < {cut}, false) AS final, w.was, w.was_at, w.far_h,
                coalesce(w.h_n, 0) AS h_n
            FROM opportunities o LEFT JOIN w ON w.opportunity_id = o.opportunity_id
            WHERE {known_from(ds, "o.")} < {cut} AND o.rep_id IN (SELECT rep_id FROM _reps)),
        e AS (
            SELECT *, CASE WHEN final THEN now_stage WHEN was IS NOT NULL THEN was
                WHEN now_closed IS NULL THEN now_stage ELSE '{OPEN_STAGES[0]}' END AS stage
            FROM d),
        c AS (
            SELECT *, CASE WHEN final THEN now_closed WHEN {reopened} THEN was_at END
                AS closed_then
            FROM e)
        SELECT c.opportunity_id, c.rep_id, c.created_at, c.amount, c.product, c.deal_type,
            c.lead_id, c.expected_close_date, c.stage, c.closed_then AS closed_at,
            greatest(coalesce(s.k, 0), coalesce(c.far_h, 0)) AS far, c.h_n
        FROM c LEFT JOIN _stage s ON s.stage = c.stage
        WHERE c.closed_then IS NULL OR c.closed_then >= {engine.sql_timestamp(since)}"""


def _stage_list() -> str:
    """Every contract stage, as a SQL list: a tie-break between stage changes at one instant
    (the later stage in the funnel is taken as the later change)."""
    order = [*OPEN_STAGES, *CLOSED_STAGES]
    return "[" + ", ".join(f"'{s}'" for s in order) + "]"


def _history_sql(month: pd.Period) -> str:
    """`f_history` (see `FunnelTables`)."""
    cut = engine.sql_timestamp(next_month_start(month))
    start = engine.sql_timestamp(month_start(month))
    window = engine.sql_timestamp(month_start(month - (WINDOW_MONTHS - 1)))
    return f"""
        CREATE TEMP TABLE f_history AS
        SELECT * FROM (
            SELECT h.opportunity_id, h.stage, h.entered_at,
                lag(h.stage) OVER w AS prev, lead(h.entered_at) OVER w AS left_at
            FROM stage_history h SEMI JOIN f_deals d ON d.opportunity_id = h.opportunity_id
            WHERE h.entered_at < {cut}
            WINDOW w AS (PARTITION BY h.opportunity_id ORDER BY h.entered_at,
                list_position({_stage_list()}, h.stage)))
        WHERE entered_at >= {start} OR left_at >= {window}"""
