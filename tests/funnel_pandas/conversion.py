"""Stage conversion, two views labelled as such (cohort and flow), and win rates by stage,
product, deal type, lead source and rep, with whether reps differ beyond chance."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analysis.data.contract import CLOSED_STAGES, OPEN_STAGES
from analysis.funnel.estimators import with_ci
from analysis.months import month_start
from funnel_pandas.inputs import WINDOW_MONTHS, FunnelData, previous_stage

__all__ = [
    "furthest_stage",
    "cohort_conversion",
    "step_conversion",
    "flow_transitions",
    "flow_conversion",
    "closed_in_window",
    "win_rates",
    "rep_win_rate_test",
]


def furthest_stage(fd: FunnelData) -> pd.Series:
    """Per opportunity: the index of the furthest stage reached (0 prospecting .. 4 closed_won).

    From stage_history when present; a won deal has reached every stage. Without history, only
    the current stage is known (lost deals then count as having reached prospecting only).
    """
    ids = pd.Index(fd.opps["opportunity_id"], name="opportunity_id")
    return pd.Series(_furthest(fd), index=ids, dtype="int64")


def _furthest(fd: FunnelData) -> np.ndarray:
    """`furthest_stage` as an array in the order of `fd.opps`, computed once per `fd`."""
    if "furthest" not in fd.memo:
        index = fd.stage_index
        far = fd.opps["stage"].map(index).fillna(0).to_numpy("int64")
        if fd.history is not None and not fd.history.empty:
            h = fd.history
            k = h["stage"].map(index)
            seen = k.notna().to_numpy()
            row = pd.Index(fd.opps["opportunity_id"]).get_indexer(h["opportunity_id"][seen])
            ok = row >= 0
            np.maximum.at(far, row[ok], k.to_numpy()[seen][ok].astype("int64"))
        fd.memo["furthest"] = far
    return fd.memo["furthest"]


def _rows_of(fd: FunnelData, subset: pd.DataFrame) -> np.ndarray:
    """The positions in `fd.opps` of `subset`, a selection of its rows (same index)."""
    return fd.opps.index.get_indexer(subset.index)


def cohort_conversion(fd: FunnelData, cohorts: int = WINDOW_MONTHS) -> pd.DataFrame:
    """Per creation cohort and stage: the share of the cohort's deals that ever reached the stage.

    Columns: cohort, age_months (months from the cohort to the report month), stage, created,
    reached, rate, ci_low, ci_high, still_open (share of the cohort not yet closed).
    """
    fd.check_cohorts(cohorts)
    opps = fd.opps.assign(cohort=fd.opps["created_at"].dt.to_period("M"))
    opps = opps[opps["cohort"] > fd.month - cohorts]
    far = pd.Series(_furthest(fd)[_rows_of(fd, opps)], index=opps.index)
    rows = []
    for cohort, idx in opps.groupby("cohort").groups.items():
        n = len(idx)
        still_open = float(opps.loc[idx, "closed_at"].isna().mean())
        for stage, k in fd.stage_index.items():
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
    opps = fd.opps[fd.opps["created_at"] >= month_start(fd.month - (cohorts - 1))]
    far = _furthest(fd)[_rows_of(fd, opps)]
    is_open = opps["closed_at"].isna().to_numpy()
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
                "reached": int(reached.sum()),
                "resolved": int(resolved.sum()),
                "passed": int(passed.sum()),
            }
        )
    return with_ci(pd.DataFrame(rows), "passed", "resolved")


def flow_transitions(fd: FunnelData) -> pd.DataFrame:
    """Stage transitions observed in the month (from stage_history), labelled by kind.

    Columns: from_stage, to_stage, kind (forward, skip, won, lost, reopened, backward), n, amount.
    """
    cols = ["from_stage", "to_stage", "kind", "n", "amount"]
    if fd.history is None or fd.history.empty:
        return pd.DataFrame(columns=cols)
    h = fd.history
    prev = previous_stage(fd)
    moves = h.assign(from_stage=prev)[
        (h["entered_at"] >= fd.start) & (h["entered_at"] < fd.end) & prev.notna()
    ]
    rank = fd.stage_index | {"closed_lost": -1}
    if moves.empty:
        return pd.DataFrame(columns=cols)
    a, b = moves["from_stage"], moves["stage"]
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
    moves = moves.assign(
        kind=kind,
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
    for stage in fd.stages:
        out = moves[moves["from_stage"].eq(stage)]
        fwd = int(out.loc[out["kind"].isin(["forward", "skip", "won"]), "n"].sum())
        lost = int(out.loc[out["kind"].eq("lost"), "n"].sum())
        rows.append({"stage": stage, "exits": int(out["n"].sum()), "forward": fwd, "lost": lost})
    return with_ci(pd.DataFrame(rows), "forward", "exits")


def closed_in_window(fd: FunnelData) -> pd.DataFrame:
    o = fd.opps
    return o[
        o["closed_at"].notna() & (o["closed_at"] >= fd.window_start) & (o["closed_at"] < fd.end)
    ]


def win_rates(fd: FunnelData, by: str) -> pd.DataFrame:
    """Win rate of deals closed in the last 12 months by `by`: stage_reached, product, deal_type,
    lead_source or rep. For stage_reached, the rate is over deals that reached at least that stage.
    Columns: group, won, closed, rate, ci_low, ci_high."""
    closed = closed_in_window(fd)
    won = closed["stage"].eq("closed_won")
    if by == "stage_reached":
        far = pd.Series(_furthest(fd)[_rows_of(fd, closed)], index=closed.index)
        rows = [
            {"group": s, "won": int((won & (far >= k)).sum()), "closed": int((far >= k).sum())}
            for s, k in fd.stage_index.items()
            if s != "closed_won"
        ]
        return with_ci(pd.DataFrame(rows), "won", "closed")
    if by == "lead_source":
        if fd.leads is None:
            return pd.DataFrame(columns=["group", "won", "closed", "rate", "ci_low", "ci_high"])
        source = closed["lead_id"].map(fd.leads.set_index("lead_id")["source"])
        # object first: with no lead matched the sources are all-NaN float64, which pandas 4
        # will not fill with text
        key = source.astype(object).fillna("(no lead)")
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
    return with_ci(frame, "won", "closed").sort_values("rate", ascending=False, ignore_index=True)


def rep_win_rate_test(fd: FunnelData, permutations: int = 4000, seed: int = 0) -> pd.DataFrame:
    """Do reps' win rates differ beyond chance? One row: test, statistic, dof, p, n, reps, note.

    Chi-square test of independence on the reps x (won, lost) table of deals closed in the last 12
    months. Where more than 20% of expected counts are below 5 the chi-square approximation is
    poor: with two reps Fisher's exact test is used; with more, the chi-square statistic's p-value
    comes from `permutations` random reassignments of outcomes to deals (Monte Carlo).
    """
    closed = closed_in_window(fd)
    # the deals rep by rep, won before lost (the order `analysis.funnel` permutes them in)
    closed = closed.assign(_lost=closed["stage"].ne("closed_won")).sort_values(
        ["rep_id", "_lost"], kind="stable"
    )
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
