"""Stage conversion, two views labelled as such (cohort and flow), and win rates by stage,
product, deal type, lead source and rep, with whether reps differ beyond chance. Each sums the
funnel's tables in DuckDB (`inputs.FunnelTables`); only the sums reach pandas."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.data.contract import CLOSED_STAGES, OPEN_STAGES
from analysis.data.engine import sql_timestamp
from analysis.funnel.estimators import with_ci
from analysis.funnel.inputs import WINDOW_MONTHS, FunnelData

__all__ = [
    "furthest_stage",
    "cohort_conversion",
    "step_conversion",
    "flow_transitions",
    "flow_conversion",
    "win_rates",
    "rep_win_rate_test",
]


def furthest_stage(fd: FunnelData) -> pd.Series:
    """Per opportunity: the index of the furthest stage reached (0 prospecting .. 4 closed_won).

    From stage_history when present; a won deal has reached every stage. Without history, only
    the current stage is known (lost deals then count as having reached prospecting only).
    Every deal of the scope: for exploring (the views sum it in DuckDB).
    """
    rows = fd.sql("SELECT opportunity_id, far FROM f_deals ORDER BY opportunity_id")
    ids = pd.Index(rows["opportunity_id"].astype("str"), name="opportunity_id")
    return pd.Series(rows["far"].to_numpy("int64"), index=ids, dtype="int64")


def _cohort_counts(fd: FunnelData, cohorts: int) -> pd.DataFrame:
    """The deals created in the last `cohorts` months, counted by creation month (`cohort`, an
    ordinal), furthest stage (`far`) and whether still open: cohort, far, open, n."""
    key = ("cohorts", cohorts)
    if key not in fd.memo:
        fd.memo[key] = fd.sql(
            f"""SELECT month_ord(created_at) AS cohort, far, closed_at IS NULL AS open,
                count(*) AS n
            FROM f_deals WHERE month_ord(created_at) > {fd.month.ordinal - cohorts}
            GROUP BY ALL ORDER BY ALL"""
        )
    return fd.memo[key]


def cohort_conversion(fd: FunnelData, cohorts: int = WINDOW_MONTHS) -> pd.DataFrame:
    """Per creation cohort and stage: the share of the cohort's deals that ever reached the stage.

    Columns: cohort, age_months (months from the cohort to the report month), stage, created,
    reached, rate, ci_low, ci_high, still_open (share of the cohort not yet closed).
    """
    fd.check_cohorts(cohorts)
    counts = _cohort_counts(fd, cohorts)
    rows = []
    for ordinal, g in counts.groupby("cohort", sort=True):
        cohort = pd.Period(ordinal=int(ordinal), freq="M")
        n = int(g["n"].sum())
        still_open = float(g.loc[g["open"], "n"].sum() / n)
        for stage, k in fd.stage_index.items():
            rows.append(
                {
                    "cohort": cohort,
                    "age_months": (fd.month - cohort).n,
                    "stage": stage,
                    "created": n,
                    "reached": int(g.loc[g["far"] >= k, "n"].sum()),
                    "still_open": still_open,
                }
            )
    frame = pd.DataFrame(
        rows, columns=["cohort", "age_months", "stage", "created", "reached", "still_open"]
    )
    return with_ci(frame, "reached", "created")[
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
    fd.check_cohorts(cohorts)
    counts = _cohort_counts(fd, cohorts)
    far, n = counts["far"].to_numpy(), counts["n"].to_numpy("int64")
    is_open = counts["open"].to_numpy(bool)
    stages = list(fd.stage_index)
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
                "reached": int(n[reached].sum()),
                "resolved": int(n[resolved].sum()),
                "passed": int(n[passed].sum()),
            }
        )
    return with_ci(pd.DataFrame(rows), "passed", "resolved")


def flow_transitions(fd: FunnelData) -> pd.DataFrame:
    """Stage transitions observed in the month (from stage_history), labelled by kind.

    Columns: from_stage, to_stage, kind (forward, skip, won, lost, reopened, backward), n, amount.
    """
    cols = ["from_stage", "to_stage", "kind", "n", "amount"]
    if not fd.has_history:
        return pd.DataFrame(columns=cols)
    moves = fd.sql(
        f"""SELECT h.prev AS from_stage, h.stage AS to_stage, count(*) AS n,
            coalesce(sum(d.amount), 0) AS amount
        FROM f_history h JOIN f_deals d ON d.opportunity_id = h.opportunity_id
        WHERE h.entered_at >= {sql_timestamp(fd.start)} AND h.prev IS NOT NULL
        GROUP BY ALL"""
    )
    if moves.empty:
        return pd.DataFrame(columns=cols)
    moves = moves.astype({"from_stage": "str", "to_stage": "str", "amount": "float64"})
    moves = moves.sort_values(["from_stage", "to_stage"], ignore_index=True)
    rank = fd.stage_index | {"closed_lost": -1}
    a, b = moves["from_stage"], moves["to_stage"]
    gap = (b.map(rank) - a.map(rank)).to_numpy()
    from_closed = a.isin(CLOSED_STAGES).to_numpy()
    kind = np.select(
        [
            from_closed & b.isin(OPEN_STAGES).to_numpy(),
            from_closed,
            b.eq("closed_won").to_numpy(),
            b.eq("closed_lost").to_numpy(),
            gap == 1,
            gap > 1,
        ],
        ["reopened", "backward", "won", "lost", "forward", "skip"],
        default="backward",
    )
    moves = moves.assign(kind=pd.array(kind, dtype="str"))
    return moves[cols].sort_values(
        ["from_stage", "to_stage"], key=lambda s: s.map(rank), ignore_index=True
    )


def flow_conversion(fd: FunnelData) -> pd.DataFrame:
    """Per open stage, of the deals that left it during the month, the share that moved forward
    (including skips and wins). Columns: stage, exits, forward, lost, rate, ci_low, ci_high."""
    moves = flow_transitions(fd)
    rows = []
    for stage in fd.stages:
        out = moves[moves["from_stage"].eq(stage)]
        fwd = int(out.loc[out["kind"].isin(["forward", "skip", "won"]), "n"].sum())
        lost = int(out.loc[out["kind"].eq("lost"), "n"].sum())
        rows.append({"stage": stage, "exits": int(out["n"].sum()), "forward": fwd, "lost": lost})
    return with_ci(pd.DataFrame(rows), "forward", "exits")


def closed_in_window(fd: FunnelData) -> str:
    """SQL: a row of `f_deals` (alias d) closed in the trailing year (to the month's end)."""
    return (
        f"d.closed_at >= {sql_timestamp(fd.window_start)} AND d.closed_at < {sql_timestamp(fd.end)}"
    )


_KEYS = {
    "rep": "d.rep_id",
    "product": "d.product",
    "deal_type": "d.deal_type",
    "lead_source": "coalesce(l.source, '(no lead)')",
}


def _won_closed(fd: FunnelData, by: str) -> pd.DataFrame:
    """The deals closed in the trailing year by `by` (`_KEYS`, or `far`): group, won, closed,
    ordered by group; a deal without a value for `by` is left out."""
    key = "d.far" if by == "far" else _KEYS[by]
    join = "LEFT JOIN f_leads l ON l.lead_id = d.lead_id" if by == "lead_source" else ""
    frame = fd.sql(
        f"""SELECT {key} AS "group", count(*) FILTER (WHERE d.stage = 'closed_won') AS won,
            count(*) AS closed
        FROM f_deals d {join}
        WHERE {closed_in_window(fd)} AND {key} IS NOT NULL GROUP BY ALL"""
    )
    if by != "far":
        frame = frame.astype({"group": "str"})
    return frame.sort_values("group", ignore_index=True)


def win_rates(fd: FunnelData, by: str) -> pd.DataFrame:
    """Win rate of deals closed in the last 12 months by `by`: stage_reached, product, deal_type,
    lead_source or rep. For stage_reached, the rate is over deals that reached at least that stage.
    Columns: group, won, closed, rate, ci_low, ci_high."""
    if by == "stage_reached":
        counts = _won_closed(fd, "far")
        far, won, n = (counts[c].to_numpy("int64") for c in ("group", "won", "closed"))
        rows = [
            {"group": s, "won": int(won[far >= k].sum()), "closed": int(n[far >= k].sum())}
            for s, k in fd.stage_index.items()
            if s != "closed_won"
        ]
        return with_ci(pd.DataFrame(rows), "won", "closed")
    if by == "lead_source" and not fd.tables.has_leads:
        return pd.DataFrame(columns=["group", "won", "closed", "rate", "ci_low", "ci_high"])
    if by not in _KEYS:
        raise ValueError(
            f"by: {by!r} is not one of stage_reached, product, deal_type, lead_source, rep"
        )
    frame = _won_closed(fd, by)
    return with_ci(frame, "won", "closed").sort_values("rate", ascending=False, ignore_index=True)


def rep_win_rate_test(fd: FunnelData, permutations: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Do reps' win rates differ beyond chance? One row: test, statistic, dof, p, n, reps, note.

    Chi-square test of independence on the reps x (won, lost) table of deals closed in the last 12
    months. Where more than 20% of expected counts are below 5 the chi-square approximation is
    poor: with two reps Fisher's exact test is used; with more, the chi-square statistic's p-value
    comes from `permutations` random reassignments of outcomes to deals (Monte Carlo; the deals
    taken rep by rep, in the order of the reps' ids, won before lost).
    """
    counts = _won_closed(fd, "rep")
    table = np.stack(
        [counts["won"].to_numpy("int64"), (counts["closed"] - counts["won"]).to_numpy("int64")],
        axis=1,
    ).reshape(-1, 2)
    base = {"n": int(table.sum()), "reps": int(len(table))}
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
    chi2, p, dof, expected = stats.chi2_contingency(table, correction=False)
    small = (expected < 5).mean() > 0.2
    if not small:
        test, note = "chi-square", "expected counts large enough for the chi-square approximation"
    elif len(table) == 2:
        chi2, p = stats.fisher_exact(table)
        test, dof, note = "Fisher's exact", 1, "small counts: exact test on the 2x2 table"
    else:
        p = _permutation_p(table, chi2, permutations, seed)
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


def _permutation_p(table: np.ndarray, chi2: float, permutations: int, seed: int) -> float:
    """The Monte Carlo p-value of the chi-square statistic `chi2` of the reps x (won, lost)
    `table`: outcomes reassigned at random to the deals, each rep keeping its number of deals."""
    reps = len(table)
    codes = np.repeat(np.arange(reps), table.sum(axis=1))
    won = np.concatenate([np.repeat([True, False], row) for row in table])
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(permutations):
        perm = rng.permutation(won)
        tab = np.stack(
            [
                np.bincount(codes[perm], minlength=reps),
                np.bincount(codes[~perm], minlength=reps),
            ],
            axis=1,
        )
        tab = tab[tab.sum(axis=1) > 0]
        hits += stats.chi2_contingency(tab, correction=False)[0] >= chi2 - 1e-12
    return (hits + 1) / (permutations + 1)
