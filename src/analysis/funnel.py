"""Pipeline conversion: how deals move through the funnel, for a team (or the company) and a month.

`prepare(ds, month, team)` cuts the dataset at the end of the month (`asof.as_of`, so nothing later
is used) and to the scope's reps; every other function takes the result and returns a tidy frame
(or a dict for the waterfall). Rates come with a Wilson interval (ci_low, ci_high).

Two views of stage conversion, labelled as such:
- cohort: of the opportunities created in a month, the share that ever reached each later stage,
  with the cohort's age and the share still open, so an immature cohort is not misread;
- flow: the stage transitions observed in the month (from stage_history), whatever the deals' age.
Skips: a deal that reaches a later stage without a record of an earlier one (e.g. prospecting ->
proposal) counts as having passed the skipped stage in the cohort view; in the flow view the
transition is counted once, from the stage it left to the stage it entered ("skip").
Reopened deals (a closed stage followed by an open one in the history) count in the flow view as
"reopened"; in the cohort view a deal's furthest stage is what counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.data.contract import CLOSED_STAGES, OPEN_STAGES
from analysis.data.dataset import Dataset
from analysis.metrics.asof import as_of
from analysis.metrics.kpis import kpis_for, open_pipeline, scope_reps
from analysis.months import month_start, next_month_start

__all__ = [
    "FunnelData",
    "STAGE_INDEX",
    "prepare",
    "wilson_interval",
    "kaplan_meier",
    "furthest_stage",
    "cohort_conversion",
    "step_conversion",
    "flow_transitions",
    "flow_conversion",
    "win_rates",
    "time_in_stage",
    "cycle_lengths",
    "time_to_close",
    "time_to_convert",
    "waterfall",
    "slippage",
    "lead_funnel",
    "lead_score_deciles",
    "rep_win_rate_test",
    "pipeline_health",
]

STAGE_INDEX = {s: i for i, s in enumerate(OPEN_STAGES)} | {"closed_won": len(OPEN_STAGES)}
WINDOW_MONTHS = 12
_DAY = pd.Timedelta(days=1)


@dataclass
class FunnelData:
    """The dataset as known at the end of `month`, restricted to one team's reps (or all)."""

    ds: Dataset  # full dataset (for the shared open-pipeline implementation)
    cut: Dataset  # as of the end of `month`
    month: pd.Period
    team: str | None
    rep_ids: set[str]
    opps: pd.DataFrame
    history: pd.DataFrame | None
    snapshots: pd.DataFrame | None
    leads: pd.DataFrame | None

    @property
    def start(self) -> pd.Timestamp:
        return month_start(self.month)

    @property
    def end(self) -> pd.Timestamp:
        return next_month_start(self.month)

    @property
    def window_start(self) -> pd.Timestamp:
        return month_start(self.month - (WINDOW_MONTHS - 1))


def prepare(ds: Dataset, month: pd.Period, team: str | None = None) -> FunnelData:
    """Cut `ds` at the end of `month` and to `team`'s reps (all reps when None)."""
    rep_ids = set(scope_reps(ds, team)["rep_id"])
    cut = as_of(ds, next_month_start(month))
    opps = cut["opportunities"]
    opps = opps[opps["rep_id"].isin(rep_ids)].reset_index(drop=True)
    ids = set(opps["opportunity_id"])
    history = cut.tables.get("stage_history")
    if history is not None:
        history = history[history["opportunity_id"].isin(ids)].sort_values(
            ["opportunity_id", "entered_at"], kind="stable", ignore_index=True
        )
    snaps = cut.tables.get("opportunity_snapshots")
    if snaps is not None:
        snaps = snaps[snaps["opportunity_id"].isin(ids)].reset_index(drop=True)
    leads = cut.tables.get("leads")
    if leads is not None:
        leads = leads[leads["rep_id"].isin(rep_ids)].reset_index(drop=True)
    return FunnelData(ds, cut, month, team, rep_ids, opps, history, snaps, leads)


# --- statistics ---------------------------------------------------------------------------------


def wilson_interval(successes, trials, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions (scipy's binomtest); NaN where trials = 0.

    >>> wilson_interval([2], [3])[0].round(3)
    array([0.208])
    """
    k = np.atleast_1d(np.asarray(successes, dtype="int64"))
    n = np.atleast_1d(np.asarray(trials, dtype="int64"))
    low, high = np.full(len(k), np.nan), np.full(len(k), np.nan)
    for i, (ki, ni) in enumerate(zip(k, n, strict=True)):
        if ni > 0:
            ci = stats.binomtest(int(ki), int(ni)).proportion_ci(
                confidence_level=confidence, method="wilson"
            )
            low[i], high[i] = ci.low, ci.high
    return low, high


def _with_ci(frame: pd.DataFrame, k: str, n: str, rate: str = "rate") -> pd.DataFrame:
    frame = frame.copy()
    frame[rate] = frame[k] / frame[n].where(frame[n] > 0)
    frame["ci_low"], frame["ci_high"] = wilson_interval(frame[k], frame[n])
    return frame


def kaplan_meier(durations, observed) -> pd.DataFrame:
    """Kaplan-Meier survival: columns t, at_risk, events, censored, survival (starts at t=0, S=1).

    `observed` is False for censored cases (e.g. deals still open), which stay in the risk set up
    to their censoring time instead of being dropped.
    """
    d = np.asarray(durations, dtype="float64")
    e = np.asarray(observed, dtype=bool)
    order = np.argsort(d, kind="stable")
    d, e = d[order], e[order]
    times = np.unique(d)
    events = np.array([np.sum(e & (d == t)) for t in times])
    censored = np.array([np.sum(~e & (d == t)) for t in times])
    at_risk = len(d) - np.concatenate([[0], np.cumsum(events + censored)[:-1]])
    survival = np.cumprod(1 - events / at_risk)
    body = pd.DataFrame(
        {
            "t": times,
            "at_risk": at_risk,
            "events": events,
            "censored": censored,
            "survival": survival,
        }
    )
    if len(times) and times[0] == 0:
        return body
    head = pd.DataFrame(
        {"t": [0.0], "at_risk": [len(d)], "events": [0], "censored": [0], "survival": [1.0]}
    )
    return pd.concat([head, body], ignore_index=True)


# --- stage conversion ---------------------------------------------------------------------------


def furthest_stage(fd: FunnelData) -> pd.Series:
    """Per opportunity: the index of the furthest stage reached (0 prospecting .. 4 closed_won).

    From stage_history when present; a won deal has reached every stage. Without history, only
    the current stage is known (lost deals then count as having reached prospecting only).
    """
    current = fd.opps.set_index("opportunity_id")["stage"].map(STAGE_INDEX).fillna(0)
    if fd.history is None or fd.history.empty:
        return current.astype("int64")
    seen = fd.history[fd.history["stage"].isin(STAGE_INDEX)]
    hist_max = seen.assign(k=seen["stage"].map(STAGE_INDEX)).groupby("opportunity_id")["k"].max()
    return pd.concat([current, hist_max], axis=1).max(axis=1).astype("int64")


def cohort_conversion(fd: FunnelData, cohorts: int = WINDOW_MONTHS) -> pd.DataFrame:
    """Per creation cohort and stage: the share of the cohort's deals that ever reached the stage.

    Columns: cohort, age_months (months from the cohort to the report month), stage, created,
    reached, rate, ci_low, ci_high, still_open (share of the cohort not yet closed).
    """
    opps = fd.opps.assign(cohort=fd.opps["created_at"].dt.to_period("M"))
    opps = opps[opps["cohort"] > fd.month - cohorts]
    far = opps["opportunity_id"].map(furthest_stage(fd))
    rows = []
    for cohort, idx in opps.groupby("cohort").groups.items():
        n = len(idx)
        still_open = float(opps.loc[idx, "closed_at"].isna().mean())
        for stage, k in STAGE_INDEX.items():
            rows.append(
                {
                    "cohort": cohort,
                    "age_months": (fd.month - cohort).n,
                    "stage": stage,
                    "created": n,
                    "reached": int((far.loc[idx] >= k).sum()),
                    "still_open": still_open,
                }
            )
    frame = pd.DataFrame(
        rows, columns=["cohort", "age_months", "stage", "created", "reached", "still_open"]
    )
    return _with_ci(frame, "reached", "created")[
        [
            "cohort",
            "age_months",
            "stage",
            "created",
            "reached",
            "rate",
            "ci_low",
            "ci_high",
            "still_open",
        ]
    ]


def step_conversion(fd: FunnelData, cohorts: int = WINDOW_MONTHS) -> pd.DataFrame:
    """Stage-to-stage conversion over the deals created in the last `cohorts` months (cohort view).

    For each step (from stage -> next stage), among deals that reached `from` and are resolved
    there (moved on, or closed lost at that stage), the share that moved on. Deals still open at
    `from` are left out until resolved. Columns: step, from_stage, to_stage, reached, resolved,
    passed, rate, ci_low, ci_high.
    """
    opps = fd.opps[fd.opps["created_at"] >= month_start(fd.month - (cohorts - 1))]
    far = opps["opportunity_id"].map(furthest_stage(fd)).to_numpy()
    is_open = opps["closed_at"].isna().to_numpy()
    stages = list(STAGE_INDEX)
    rows = []
    for k in range(len(stages) - 1):
        reached = far >= k
        passed = far >= k + 1
        resolved = passed | (reached & ~is_open & (far == k))
        rows.append(
            {
                "step": f"{stages[k]} -> {stages[k + 1]}",
                "from_stage": stages[k],
                "to_stage": stages[k + 1],
                "reached": int(reached.sum()),
                "resolved": int(resolved.sum()),
                "passed": int(passed.sum()),
            }
        )
    return _with_ci(pd.DataFrame(rows), "passed", "resolved")


def flow_transitions(fd: FunnelData) -> pd.DataFrame:
    """Stage transitions observed in the month (from stage_history), labelled by kind.

    Columns: from_stage, to_stage, kind (forward, skip, won, lost, reopened, backward), n, amount.
    """
    cols = ["from_stage", "to_stage", "kind", "n", "amount"]
    if fd.history is None or fd.history.empty:
        return pd.DataFrame(columns=cols)
    h = fd.history
    prev = h.groupby("opportunity_id")["stage"].shift(1)
    moves = h.assign(from_stage=prev)[
        (h["entered_at"] >= fd.start) & (h["entered_at"] < fd.end) & prev.notna()
    ]
    rank = STAGE_INDEX | {"closed_lost": -1}

    def kind(row) -> str:
        a, b = row["from_stage"], row["stage"]
        if a in CLOSED_STAGES:
            return "reopened" if b in OPEN_STAGES else "backward"
        if b == "closed_won":
            return "won"
        if b == "closed_lost":
            return "lost"
        gap = rank[b] - rank[a]
        return "forward" if gap == 1 else "skip" if gap > 1 else "backward"

    if moves.empty:
        return pd.DataFrame(columns=cols)
    moves = moves.assign(
        kind=moves.apply(kind, axis=1),
        amount=moves["opportunity_id"].map(fd.opps.set_index("opportunity_id")["amount"]),
    )
    out = moves.groupby(["from_stage", "stage", "kind"], as_index=False).agg(
        n=("kind", "size"), amount=("amount", "sum")
    )
    return out.rename(columns={"stage": "to_stage"})[cols].sort_values(
        ["from_stage", "to_stage"], key=lambda s: s.map(rank), ignore_index=True
    )


def flow_conversion(fd: FunnelData) -> pd.DataFrame:
    """Per open stage, of the deals that left it during the month, the share that moved forward
    (including skips and wins). Columns: stage, exits, forward, lost, rate, ci_low, ci_high."""
    moves = flow_transitions(fd)
    rows = []
    for stage in OPEN_STAGES:
        out = moves[moves["from_stage"].eq(stage)]
        fwd = int(out.loc[out["kind"].isin(["forward", "skip", "won"]), "n"].sum())
        lost = int(out.loc[out["kind"].eq("lost"), "n"].sum())
        rows.append({"stage": stage, "exits": int(out["n"].sum()), "forward": fwd, "lost": lost})
    return _with_ci(pd.DataFrame(rows), "forward", "exits")


# --- win rates, times ---------------------------------------------------------------------------


def _closed_in_window(fd: FunnelData) -> pd.DataFrame:
    o = fd.opps
    return o[
        o["closed_at"].notna() & (o["closed_at"] >= fd.window_start) & (o["closed_at"] < fd.end)
    ]


def win_rates(fd: FunnelData, by: str) -> pd.DataFrame:
    """Win rate of deals closed in the last 12 months by `by`: stage_reached, product, deal_type,
    lead_source or rep. For stage_reached, the rate is over deals that reached at least that stage.
    Columns: group, won, closed, rate, ci_low, ci_high."""
    closed = _closed_in_window(fd)
    won = closed["stage"].eq("closed_won")
    if by == "stage_reached":
        far = closed["opportunity_id"].map(furthest_stage(fd))
        rows = [
            {"group": s, "won": int((won & (far >= k)).sum()), "closed": int((far >= k).sum())}
            for s, k in STAGE_INDEX.items()
            if s != "closed_won"
        ]
        return _with_ci(pd.DataFrame(rows), "won", "closed")
    if by == "lead_source":
        if fd.leads is None:
            return pd.DataFrame(columns=["group", "won", "closed", "rate", "ci_low", "ci_high"])
        key = closed["lead_id"].map(fd.leads.set_index("lead_id")["source"]).fillna("(no lead)")
    elif by == "rep":
        key = closed["rep_id"]
    elif by in ("product", "deal_type"):
        key = closed[by]
    else:
        raise ValueError(
            f"by: {by!r} is not one of stage_reached, product, deal_type, lead_source, rep"
        )
    frame = (
        pd.DataFrame({"group": key.to_numpy(), "won": won.to_numpy().astype(int)})
        .groupby("group", as_index=False)
        .agg(won=("won", "sum"), closed=("won", "size"))
    )
    return _with_ci(frame, "won", "closed").sort_values("rate", ascending=False, ignore_index=True)


def time_in_stage(fd: FunnelData) -> pd.DataFrame:
    """Days spent in each open stage, for stays that ended in the last 12 months.
    Columns: stage, n, median_days, p80_days."""
    cols = ["stage", "n", "median_days", "p80_days"]
    if fd.history is None or fd.history.empty:
        return pd.DataFrame(columns=cols)
    h = fd.history
    left_at = h.groupby("opportunity_id")["entered_at"].shift(-1)
    stays = h.assign(days=(left_at - h["entered_at"]) / _DAY)
    stays = stays[stays["stage"].isin(OPEN_STAGES) & left_at.notna() & (left_at >= fd.window_start)]
    rows = [
        {
            "stage": s,
            "n": int(len(g)),
            "median_days": float(g["days"].median()) if len(g) else np.nan,
            "p80_days": float(g["days"].quantile(0.8)) if len(g) else np.nan,
        }
        for s, g in ((s, stays[stays["stage"].eq(s)]) for s in OPEN_STAGES)
    ]
    return pd.DataFrame(rows, columns=cols)


def cycle_lengths(fd: FunnelData) -> pd.DataFrame:
    """Sales cycle (days from creation to close) of each deal closed in the last 12 months.
    Columns: opportunity_id, outcome (won/lost), days."""
    closed = _closed_in_window(fd)
    return pd.DataFrame(
        {
            "opportunity_id": closed["opportunity_id"],
            "outcome": np.where(closed["stage"].eq("closed_won"), "won", "lost"),
            "days": (closed["closed_at"] - closed["created_at"]) / _DAY,
        }
    ).reset_index(drop=True)


def time_to_close(fd: FunnelData) -> pd.DataFrame:
    """Kaplan-Meier curve of days from creation to close (won or lost) for deals created in the last
    12 months; deals still open at the month end are censored there."""
    o = fd.opps[fd.opps["created_at"] >= fd.window_start]
    closed = o["closed_at"].notna()
    days = (o["closed_at"].where(closed, fd.end) - o["created_at"]) / _DAY
    return kaplan_meier(days, closed)


def time_to_convert(fd: FunnelData) -> pd.DataFrame:
    """Kaplan-Meier curve of days from lead creation to conversion for leads created in the last
    12 months; unconverted leads are censored at the month end."""
    if fd.leads is None:
        return pd.DataFrame(columns=["t", "at_risk", "events", "censored", "survival"])
    ld = fd.leads[fd.leads["created_at"] >= fd.window_start]
    done = ld["converted_at"].notna()
    days = (ld["converted_at"].where(done, fd.end) - ld["created_at"]) / _DAY
    return kaplan_meier(days, done)


# --- pipeline movement --------------------------------------------------------------------------


def waterfall(fd: FunnelData) -> dict:
    """Pipeline movement in the month, balancing to the currency unit:

        open_start + created + increased - decreased - won - lost = open_end

    open_start/open_end are the open pipeline at the start/end of the month (the KPI
    open_pipeline_amount of the previous/this month, one implementation). Each deal is valued at
    the start (or at creation) and at the end (or at close); increased/decreased are the changes in
    between. Without opportunity_snapshots, amounts are the current ones, so increased and
    decreased are 0 and reported as None. With snapshots, `slipped` is the amount of deals expected
    to close this month (at the start or when created) that are still open at the end with a later
    date, and `pulled_in` the amount expected later that was won this month or is now due this
    month; both move value in time, not in or out of the pipeline, so they are not in the balance.
    """
    m = fd.month
    rows = open_pipeline(fd.ds, [m - 1, m])
    rows = rows[rows["rep_id"].isin(fd.rep_ids)]
    start = rows[rows["month"].eq(m - 1)].set_index("opportunity_id")
    end = rows[rows["month"].eq(m)].set_index("opportunity_id")
    o = fd.opps.set_index("opportunity_id")
    created = o[(o["created_at"] >= fd.start) & (o["created_at"] < fd.end)]
    closed = o[o["closed_at"].notna() & (o["closed_at"] >= fd.start) & (o["closed_at"] < fd.end)]
    has_snaps = fd.snapshots is not None and not fd.snapshots.empty
    first = (
        fd.snapshots.sort_values("snapshot_date").groupby("opportunity_id").first()
        if has_snaps
        else pd.DataFrame(columns=["amount", "expected_close_date"])
    )
    created_value = first["amount"].reindex(created.index).fillna(created["amount"])
    begin = pd.concat([start["amount"], created_value])
    finish = pd.concat([end["amount"], closed["amount"]])
    deals = begin.index.union(finish.index)
    delta = finish.reindex(deals).fillna(0) - begin.reindex(deals).fillna(0)
    # a deal in `begin` is either open at the end or closed this month, so delta is its change
    result = {
        "open_start": float(start["amount"].sum()),
        "created": float(created_value.sum()),
        "increased": float(delta[delta > 0].sum()) if has_snaps else None,
        "decreased": float(-delta[delta < 0].sum()) if has_snaps else None,
        "won": float(closed.loc[closed["stage"].eq("closed_won"), "amount"].sum()),
        "lost": float(closed.loc[closed["stage"].eq("closed_lost"), "amount"].sum()),
        "open_end": float(end["amount"].sum()),
        "slipped": None,
        "pulled_in": None,
        "n_start": int(len(start)),
        "n_created": int(len(created)),
        "n_won": int(closed["stage"].eq("closed_won").sum()),
        "n_lost": int(closed["stage"].eq("closed_lost").sum()),
        "n_end": int(len(end)),
        "has_snapshots": has_snaps,
    }
    if has_snaps:
        created_due = first["expected_close_date"].reindex(created.index).dt.to_period("M")
        due_begin = pd.concat(
            [
                start["expected_close_month"],
                created_due.fillna(created["expected_close_date"].dt.to_period("M")),
            ]
        )
        due_end = end["expected_close_month"]
        slipped = due_begin[due_begin.eq(m)].index.intersection(due_end[due_end > m].index)
        won_ids = closed.index[closed["stage"].eq("closed_won")]
        later = due_begin[due_begin > m].index
        pulled = later.intersection(won_ids.union(due_end[due_end.eq(m)].index))
        result["slipped"] = float(end["amount"].reindex(slipped).sum())
        result["n_slipped"] = int(len(slipped))
        result["pulled_in"] = float(finish.reindex(pulled).sum())
        result["n_pulled_in"] = int(len(pulled))
    incr, decr = result["increased"] or 0.0, result["decreased"] or 0.0
    result["balance_gap"] = (
        result["open_start"]
        + result["created"]
        + incr
        - decr
        - result["won"]
        - result["lost"]
        - result["open_end"]
    )
    return result


def slippage(fd: FunnelData, months: int = 3) -> pd.DataFrame:
    """Close-date pushes per rep over the last `months` months, from consecutive snapshots.

    Columns: rep_id, open_deals (deals with a snapshot in the window), deals_pushed, pushes,
    push_rate (deals_pushed / open_deals), avg_push_days. Empty without snapshots.
    """
    cols = ["rep_id", "open_deals", "deals_pushed", "pushes", "push_rate", "avg_push_days"]
    if fd.snapshots is None or fd.snapshots.empty:
        return pd.DataFrame(columns=cols)
    s = fd.snapshots.sort_values(["opportunity_id", "snapshot_date"], kind="stable")
    s = s.assign(prev=s.groupby("opportunity_id")["expected_close_date"].shift(1))
    s = s[s["snapshot_date"] >= month_start(fd.month - (months - 1))]
    s = s.assign(
        rep_id=s["opportunity_id"].map(fd.opps.set_index("opportunity_id")["rep_id"]),
        push_days=(s["expected_close_date"] - s["prev"]) / _DAY,
    )
    pushed = s[s["push_days"] > 0]
    out = pd.DataFrame({"open_deals": s.groupby("rep_id")["opportunity_id"].nunique()})
    out["deals_pushed"] = pushed.groupby("rep_id")["opportunity_id"].nunique()
    out["pushes"] = pushed.groupby("rep_id").size()
    out["avg_push_days"] = pushed.groupby("rep_id")["push_days"].mean()
    out[["deals_pushed", "pushes"]] = out[["deals_pushed", "pushes"]].fillna(0).astype(int)
    out["push_rate"] = out["deals_pushed"] / out["open_deals"]
    return out.reset_index()[cols].sort_values("push_rate", ascending=False, ignore_index=True)


# --- leads ----------------------------------------------------------------------------------------


def lead_funnel(fd: FunnelData) -> pd.DataFrame:
    """Leads created in the last 12 months: created, qualified, converted (by the month end), with
    rates over created and Wilson intervals. Columns: step, n, rate, ci_low, ci_high, median_days."""
    cols = ["step", "n", "created", "rate", "ci_low", "ci_high", "median_days"]
    if fd.leads is None:
        return pd.DataFrame(columns=cols)
    ld = fd.leads[fd.leads["created_at"] >= fd.window_start]
    n = len(ld)
    days_q = (ld["qualified_at"] - ld["created_at"]) / _DAY
    days_c = (ld["converted_at"] - ld["created_at"]) / _DAY
    frame = pd.DataFrame(
        {
            "step": ["created", "qualified", "converted"],
            "n": [n, int(ld["qualified_at"].notna().sum()), int(ld["converted_at"].notna().sum())],
            "created": [n, n, n],
            "median_days": [np.nan, days_q.median(), days_c.median()],
        }
    )
    return _with_ci(frame, "n", "created")[cols]


def lead_score_deciles(fd: FunnelData) -> pd.DataFrame:
    """Conversion by lead-score decile, for scored leads created in the last 12 months.
    Columns: decile (1 = lowest scores), score_min, score_max, leads, converted, rate, ci_low, ci_high."""
    cols = ["decile", "score_min", "score_max", "leads", "converted", "rate", "ci_low", "ci_high"]
    if fd.leads is None:
        return pd.DataFrame(columns=cols)
    ld = fd.leads[(fd.leads["created_at"] >= fd.window_start) & fd.leads["lead_score"].notna()]
    if len(ld) < 10:
        return pd.DataFrame(columns=cols)
    decile = pd.qcut(ld["lead_score"].rank(method="first"), 10, labels=False) + 1
    frame = (
        ld.assign(decile=decile, conv=ld["converted_at"].notna().astype(int))
        .groupby("decile", as_index=False)
        .agg(
            score_min=("lead_score", "min"),
            score_max=("lead_score", "max"),
            leads=("conv", "size"),
            converted=("conv", "sum"),
        )
    )
    return _with_ci(frame, "converted", "leads")[cols]


def rep_win_rate_test(fd: FunnelData, permutations: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Do reps' win rates differ beyond chance? One row: test, statistic, dof, p, n, reps, note.

    Chi-square test of independence on the reps x (won, lost) table of deals closed in the last 12
    months. Where more than 20% of expected counts are below 5 the chi-square approximation is
    poor: with two reps Fisher's exact test is used; with more, the chi-square statistic's p-value
    comes from `permutations` random reassignments of outcomes to deals (Monte Carlo).
    """
    closed = _closed_in_window(fd)
    won = closed["stage"].eq("closed_won").to_numpy()
    reps = closed["rep_id"].to_numpy()
    table = pd.crosstab(reps, won).reindex(columns=[True, False], fill_value=0)
    table = table[table.sum(axis=1) > 0]
    base = {"n": int(table.to_numpy().sum()), "reps": int(len(table))}
    if len(table) < 2 or (table.sum(axis=0) == 0).any():
        return pd.DataFrame(
            [
                {
                    "test": "none",
                    "statistic": np.nan,
                    "dof": np.nan,
                    "p": np.nan,
                    **base,
                    "note": "needs two or more reps with both won and lost deals",
                }
            ]
        )
    chi2, p, dof, expected = stats.chi2_contingency(table.to_numpy(), correction=False)
    small = (expected < 5).mean() > 0.2
    if not small:
        test, note = "chi-square", "expected counts large enough for the chi-square approximation"
    elif len(table) == 2:
        chi2, p = stats.fisher_exact(table.to_numpy())
        test, dof, note = "Fisher's exact", 1, "small counts: exact test on the 2x2 table"
    else:
        rng = np.random.default_rng(seed)
        codes = pd.factorize(reps)[0]
        hits = 0
        for _ in range(permutations):
            perm = rng.permutation(won)
            tab = np.stack(
                [
                    np.bincount(codes[perm], minlength=codes.max() + 1),
                    np.bincount(codes[~perm], minlength=codes.max() + 1),
                ],
                axis=1,
            )
            tab = tab[tab.sum(axis=1) > 0]
            hits += stats.chi2_contingency(tab, correction=False)[0] >= chi2 - 1e-12
        p = (hits + 1) / (permutations + 1)
        test = "chi-square (Monte Carlo p)"
        note = f"small counts: p-value from {permutations} permutations of outcomes"
    return pd.DataFrame(
        [
            {
                "test": test,
                "statistic": float(chi2),
                "dof": int(dof),
                "p": float(p),
                **base,
                "note": note,
            }
        ]
    )


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
