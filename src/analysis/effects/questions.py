"""Skill assessments and training: do skills relate to results, and did training change skills
and results? Every test returns one tidy row (pingouin style):

question, skill, course_id, outcome, estimate, se, ci_low, ci_high, test, p, p_adjusted, n, mde,
verdict, scope, pooled.

1. skill_outcome — Spearman correlation between a rep's mean score on a skill over the 12 months
   before the outcome window and their outcome over the last 12 months (win rate, win rate of
   deals that reached negotiation, quota attainment); 95% bootstrap interval (percentile,
   2,000 resamples of reps). skill_outcome_adjusted — OLS of the outcome on the score (per 10
   points) and tenure (years), HC3 robust errors, where there are at least 20 reps.
2. training_skill — the trained skill's score at the first assessment after completing the
   course minus the last one before, for the same reps: paired t-test (score changes are sums of
   rating noise, close to normal); estimate = mean change in points with its t interval.
3. training_outcome — difference in differences: each trained rep's outcome in the 6 months after
   the completion month minus the 6 months before, against the same change for the reps never
   trained on the course over the same calendar months; the estimate averages over trained reps.
   95% interval: estimate +- t(n-1) x the bootstrap SE over trained and control reps (1,000
   resamples); p: permutation test that reassigns the completion months to random reps (1,000
   permutations). pre_trend — the same
   estimator on the two 6-month windows before completion (should be about 0).
4. p_adjusted: Benjamini-Hochberg over every row of questions 1-3 (scipy's
   false_discovery_control); pre-trend rows are adjusted among themselves.
5. mde: the smallest true effect this n would detect with 80% power at 5% (two-sided). Verdict:
   "positive"/"negative" when p_adjusted < 0.05; "no_effect" when not, and the whole 95% interval
   lies within the practically relevant size (PRACTICAL: an effect that matters is ruled out);
   else "not_enough_evidence". A team with too few reps for a question gets the company's row,
   marked pooled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analysis.data import cache, engine
from analysis.data.contract import SKILLS
from analysis.data.dataset import Dataset
from analysis.data.scoped import only
from analysis.effects.inference import (
    Z_POWER,
    bootstrap_correlation,
    mde_from_se,
    ols,
    paired_t,
    staggered_did,
)
from analysis.metrics.asof import as_of
from analysis.metrics.kpis import closing_table, scope_reps
from analysis.metrics.sql import closed_as_of_sql
from analysis.months import next_month_start

__all__ = [
    "RESULT_COLUMNS",
    "OUTCOMES",
    "PRACTICAL",
    "EffectsData",
    "prepare",
    "effects_table",
    "MIN_N",
    "BOOTSTRAP",
    "PERMUTATIONS",
]

RESULT_COLUMNS = [
    "question",
    "skill",
    "course_id",
    "outcome",
    "estimate",
    "se",
    "ci_low",
    "ci_high",
    "test",
    "p",
    "p_adjusted",
    "n",
    "mde",
    "verdict",
    "scope",
    "pooled",
]
OUTCOMES = ("win_rate", "negotiation_win_rate", "quota_attainment")
DID_OUTCOMES = ("win_rate", "negotiation_win_rate")
WINDOW = 12  # months of scores, then months of outcomes (question 1)
DID_WINDOW = 6  # months before and after completion (question 3)
MIN_DEALS = {"win_rate": 5, "negotiation_win_rate": 3}
MIN_N = {  # below this a team is pooled to the company
    "skill_outcome": 15,
    "skill_outcome_adjusted": 20,
    "training_skill": 5,
    "training_outcome": 5,
    "pre_trend": 5,
}
# practically relevant effect sizes: a correlation of 0.3; 5 points of a 0-100 score; 5 points
# of win rate (per 10 score points in the regression); 10 points of quota attainment
PRACTICAL = {"rho": 0.3, "points": 5.0, "rate": 0.05, "attainment": 0.10}
BOOTSTRAP, PERMUTATIONS = 2000, 1000


@dataclass
class EffectsData:
    """Per-rep monthly outcome panels and the assessments and trainings, cut at `month`'s end."""

    ds: Dataset
    month: pd.Period
    reps: pd.DataFrame  # rep_id, team_id, hire_date
    months: pd.PeriodIndex
    panel: dict[str, np.ndarray]  # won, closed, neg_won, neg_closed, revenue, quota: reps x months
    assessments: pd.DataFrame | None  # rep_id, month (ordinal), skill, score, assessed_at
    trainings: pd.DataFrame | None  # rep_id, course_id, skill, completed_at, month (ordinal)
    source_hash: str = ""  # content hash of the uncut dataset (the cache key)


# the tables the effects read into pandas (`data.scoped.only`); deals are counted in DuckDB
EFFECTS_TABLES = ("teams", "reps", "skill_assessments", "trainings")


def prepare(ds: Dataset, month: pd.Period) -> EffectsData:
    """Cut at the end of `month` and build the rep x month panels of deals, revenue and quota.

    Won and closed deals, won revenue and quota per rep and month are the KPI engine's
    (`deals_won`, `deals_lost`, `revenue`, `quota` at the rep level, `kpis.closing_table`, which
    computes only these four); a month's KPIs use only
    what was known at its end, so they are the same on the cut dataset. Deals that reached
    negotiation (for the negotiation win rate) come from the cut stage history.
    """
    month = pd.Period(month, "M")
    cutoff = next_month_start(month)
    cut = as_of(only(ds, EFFECTS_TABLES), cutoff)  # the small tables; no other is read
    reps = cut["reps"][["rep_id", "team_id", "hire_date"]].reset_index(drop=True)
    first = ds.first_month
    months = pd.period_range(first, month, freq="M")
    shape = (len(reps), len(months))
    per_rep = closing_table(ds, list(months), level="rep").set_index(["scope_id", "month"])
    grid = pd.MultiIndex.from_product([reps["rep_id"], months])
    kpis = per_rep.reindex(grid).astype("float64").fillna(0.0)
    panel = {
        "won": kpis["deals_won"].to_numpy().reshape(shape),
        "closed": (kpis["deals_won"] + kpis["deals_lost"]).to_numpy().reshape(shape),
        "revenue": kpis["revenue"].to_numpy().reshape(shape),
        "quota": kpis["quota"].to_numpy().reshape(shape),
    }
    if not ds.has("quotas"):
        panel["quota"] = np.full(shape, np.nan)
    if ds.has("stage_history"):
        panel |= _negotiation_panel(ds, cutoff, reps["rep_id"], first, shape)
    assessments = None
    if cut.has("skill_assessments"):
        a = cut["skill_assessments"]
        assessments = a.assign(month=a["assessed_at"].dt.to_period("M").astype("int64"))
    trainings = None
    if cut.has("trainings"):
        tr = cut["trainings"].dropna(subset=["completed_at"])
        trainings = tr.assign(month=tr["completed_at"].dt.to_period("M").astype("int64"))
    return EffectsData(
        cut, month, reps, months, panel, assessments, trainings, source_hash=ds.content_hash
    )


def _negotiation_panel(ds: Dataset, cutoff, rep_ids: pd.Series, first: pd.Period, shape) -> dict:
    """Deals closed (and won) per rep and close month, of those that reached negotiation before
    `cutoff`: counted in DuckDB over the deals closed as of the cutoff (`sql.closed_as_of_sql`),
    so not one deal row reaches pandas; once per dataset content and cutoff (on-disk cache: every
    team's kernel needs the company's, 2.7 s at 5 million deals)."""
    key = (ds.content_hash, ",".join(ds.tables), str(cutoff), str(first))
    counts = cache.memo("negotiation-counts", key, lambda: _negotiation_counts(ds, cutoff, first))
    r = pd.Index(rep_ids).get_indexer(counts["rep_id"])
    t = counts["t"].to_numpy("int64")
    ok = (r >= 0) & (t >= 0) & (t < shape[1])
    out = {"neg_closed": np.zeros(shape), "neg_won": np.zeros(shape)}
    np.add.at(out["neg_closed"], (r[ok], t[ok]), counts["closed"].to_numpy("float64")[ok])
    np.add.at(out["neg_won"], (r[ok], t[ok]), counts["won"].to_numpy("float64")[ok])
    return out


def _negotiation_counts(ds: Dataset, cutoff, first: pd.Period) -> pd.DataFrame:
    at = engine.sql_timestamp(cutoff)
    con = engine.connect(ds, ["opportunities", "stage_history"])
    try:
        return con.execute(f"""
            SELECT c.rep_id, month_ord(c.closed_at) - {first.ordinal} AS t, count(*) AS closed,
                count(*) FILTER (WHERE c.stage = 'closed_won') AS won
            FROM ({closed_as_of_sql(ds, cutoff)}) c
            SEMI JOIN (SELECT opportunity_id FROM stage_history
                       WHERE stage = 'negotiation' AND entered_at < {at}) n
                ON n.opportunity_id = c.opportunity_id
            GROUP BY ALL""").df()
    finally:
        con.close()


# --- the questions ------------------------------------------------------------------------------


def _rep_outcomes(data: EffectsData, rows: np.ndarray, lo: int, hi: int) -> pd.DataFrame:
    """Each rep's outcomes over month indices [lo, hi] (NaN below the minimum deals)."""
    p = {k: v[rows, lo : hi + 1].sum(axis=1) for k, v in data.panel.items()}
    out = pd.DataFrame(index=data.reps["rep_id"].to_numpy()[rows])
    out["win_rate"] = np.where(
        p["closed"] >= MIN_DEALS["win_rate"], p["won"] / np.maximum(p["closed"], 1), np.nan
    )
    if "neg_closed" in p:
        out["negotiation_win_rate"] = np.where(
            p["neg_closed"] >= MIN_DEALS["negotiation_win_rate"],
            p["neg_won"] / np.maximum(p["neg_closed"], 1),
            np.nan,
        )
    out["quota_attainment"] = np.where(
        p["quota"] > 0, p["revenue"] / np.where(p["quota"] > 0, p["quota"], 1), np.nan
    )
    return out


def _skill_outcome_rows(data: EffectsData, rows: np.ndarray, rng) -> list[dict]:
    if data.assessments is None:
        return []
    n_months = len(data.months)
    lo = max(n_months - WINDOW, 0)
    outcomes = _rep_outcomes(data, rows, lo, n_months - 1)
    first = data.months[0].ordinal
    a = data.assessments
    a = a[(a["month"] >= first + lo - WINDOW) & (a["month"] < first + lo)]
    scores = a.groupby(["rep_id", "skill"])["score"].mean().unstack()
    start = data.months[lo].start_time
    tenure = ((start - data.reps.set_index("rep_id")["hire_date"]).dt.days / 365.25).clip(lower=0)
    out = []
    for skill in SKILLS:
        if skill not in scores:
            continue
        for outcome in OUTCOMES:
            if outcome not in outcomes:
                continue
            both = pd.concat([scores[skill], outcomes[outcome]], axis=1, join="inner").dropna()
            n = len(both)
            if n < 5:
                continue
            x, y = both.iloc[:, 0].to_numpy(), both.iloc[:, 1].to_numpy()
            res = bootstrap_correlation(x, y, n_resamples=BOOTSTRAP, rng=rng)
            mde = np.tanh(Z_POWER / np.sqrt(n - 3)) if n > 3 else np.nan
            out.append(_result_row("skill_outcome", skill, None, outcome, res, mde))
            if n >= MIN_N["skill_outcome_adjusted"]:
                ten = tenure.reindex(both.index).to_numpy()
                fit = ols(y, np.column_stack([x / 10, ten]), cov="HC3")
                if np.isfinite(fit["estimate"]):
                    fit = fit | {
                        "method": "OLS per 10 points, adjusted for tenure; HC3 robust errors"
                    }
                    mde = mde_from_se(fit["se"])
                    out.append(
                        _result_row("skill_outcome_adjusted", skill, None, outcome, fit, mde)
                    )
    return out


def _training_skill_rows(data: EffectsData, rows: np.ndarray) -> list[dict]:
    if data.trainings is None or data.assessments is None or "skill" not in data.trainings:
        return []
    ids = set(data.reps["rep_id"].to_numpy()[rows])
    tr = data.trainings[data.trainings["rep_id"].isin(ids) & data.trainings["skill"].notna()]
    a = data.assessments.sort_values("assessed_at")
    out = []
    for course, g in tr.groupby("course_id"):
        skill = g["skill"].iloc[0]
        s = a[a["skill"].eq(skill) & a["rep_id"].isin(g["rep_id"])]
        done = g.set_index("rep_id")["completed_at"]
        s = s.assign(done=s["rep_id"].map(done))
        before = s[s["assessed_at"] < s["done"]].groupby("rep_id")["score"].last()
        after = s[s["assessed_at"] > s["done"]].groupby("rep_id")["score"].first()
        pair = pd.concat([before, after], axis=1, join="inner").dropna()
        n = len(pair)
        if n < 3:
            continue
        res = paired_t(pair.iloc[:, 1], pair.iloc[:, 0])
        out.append(
            _result_row(
                "training_skill", skill, course, "score_change", res, mde_from_se(res["se"])
            )
        )
    return out


def _training_outcome_rows(data: EffectsData, rows: np.ndarray, rng) -> list[dict]:
    if data.trainings is None:
        return []
    ids = data.reps["rep_id"].to_numpy()
    in_scope = np.zeros(len(ids), dtype=bool)
    in_scope[rows] = True
    index = pd.Index(ids)
    first, n_months = data.months[0].ordinal, len(data.months)
    out = []
    for course, g in data.trainings.groupby("course_id"):
        skill = g["skill"].iloc[0] if "skill" in g and g["skill"].notna().any() else None
        r = index.get_indexer(g["rep_id"])
        e = g["month"].to_numpy() - first
        trained = np.zeros(len(ids), dtype=bool)
        trained[r] = True
        controls = np.flatnonzero(in_scope & ~trained)
        for question, shift in (("training_outcome", 0), ("pre_trend", DID_WINDOW)):
            keep = in_scope[r] & (e - DID_WINDOW - shift >= 0) & (e + DID_WINDOW - shift < n_months)
            if keep.sum() < 2:
                continue
            for outcome in DID_OUTCOMES:
                w, n = ("won", "closed") if outcome == "win_rate" else ("neg_won", "neg_closed")
                if n not in data.panel:
                    continue
                res = staggered_did(
                    data.panel[w], data.panel[n], r[keep], e[keep], controls, shift=shift, rng=rng
                )
                if res["n"] < 2:
                    continue
                out.append(
                    _result_row(question, skill, course, outcome, res, mde_from_se(res["se"]))
                )
    return out


def _result_row(question, skill, course, outcome, res: dict, mde: float) -> dict:
    """A row from an estimator's result (estimate, se, ci_low, ci_high, p, n, method)."""
    ci = (res["ci_low"], res["ci_high"])
    return _row(
        question,
        skill,
        course,
        outcome,
        res["estimate"],
        res["se"],
        ci,
        res["method"],
        res["p"],
        res["n"],
        mde,
    )


def _row(question, skill, course, outcome, estimate, se, ci, test, p, n, mde) -> dict:
    low, high = (ci.low, ci.high) if hasattr(ci, "low") else ci
    return {
        "question": question,
        "skill": skill,
        "course_id": course,
        "outcome": outcome,
        "estimate": float(estimate),
        "se": float(se),
        "ci_low": float(low),
        "ci_high": float(high),
        "test": test,
        "p": float(p),
        "n": int(n),
        "mde": float(mde),
    }


def _practical(row) -> float:
    if row["question"] == "skill_outcome":
        return PRACTICAL["rho"]
    if row["question"] == "training_skill":
        return PRACTICAL["points"]
    return PRACTICAL["attainment"] if row["outcome"] == "quota_attainment" else PRACTICAL["rate"]


def _scope_rows(data: EffectsData, rows: np.ndarray, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    found = (
        _skill_outcome_rows(data, rows, rng)
        + _training_skill_rows(data, rows)
        + _training_outcome_rows(data, rows, rng)
    )
    return pd.DataFrame(
        found,
        columns=[
            c for c in RESULT_COLUMNS if c not in ("p_adjusted", "verdict", "scope", "pooled")
        ],
    )


def _adjusted(table: pd.DataFrame) -> pd.Series:
    """Benjamini-Hochberg adjusted p-values within `table` (one family of tests), the pre-trend
    diagnostics as a family of their own."""
    out = pd.Series(np.nan, index=table.index, dtype="float64")
    p = table["p"].astype("float64")
    for diagnostic in (False, True):
        m = table["question"].eq("pre_trend") == diagnostic
        ok = m & p.notna()
        if ok.any():
            out[ok] = stats.false_discovery_control(p[ok])
    return out


def effects_table(data: EffectsData, team: str | None = None, seed: int = 0) -> pd.DataFrame:
    """Every question's rows for a team (pooled to the company where the team is too small) or
    the company; with Benjamini-Hochberg adjusted p-values and a verdict per row.

    The company's tests are one family, adjusted once: a pooled row in a team's table carries the
    company's adjusted p, so the same test shows the same number in every report. A team's own
    tests are a family of their own."""
    keys = ["question", "skill", "course_id", "outcome"]
    # the company's rows are part of every team's table (pooling): computed once per dataset
    company = cache.memo(
        "effects-company",
        (data.source_hash, str(data.month), str(seed)),
        lambda: _scope_rows(data, np.arange(len(data.reps)), seed),
    ).assign(scope="company", pooled=False)
    company = company.astype({"p": "float64"}).assign(p_adjusted=_adjusted(company))
    if team is None:
        table = company
    else:
        members = set(scope_reps(data.ds, team)["rep_id"])
        rows = np.flatnonzero(data.reps["rep_id"].isin(members).to_numpy())
        own = _scope_rows(data, rows, seed).assign(scope=team, pooled=False)
        small = own["n"] < own["question"].map(MIN_N)
        own = own[~small].astype({"p": "float64"})
        own = own.assign(p_adjusted=_adjusted(own))
        fill = company.merge(own[keys], on=keys, how="left", indicator=True)
        fill = fill[fill["_merge"].eq("left_only")].drop(columns="_merge").assign(pooled=True)
        table = pd.concat([own, fill], ignore_index=True)
    table = table.astype({"p": "float64", "p_adjusted": "float64"})
    significant = table["p_adjusted"] < 0.05
    practical = table.apply(_practical, axis=1) if len(table) else pd.Series(dtype="float64")
    rules_out = (table["ci_low"] > -practical) & (table["ci_high"] < practical)
    table["verdict"] = np.select(
        [significant & (table["estimate"] > 0), significant, rules_out],
        ["positive", "negative", "no_effect"],
        "not_enough_evidence",
    )
    order = {q: i for i, q in enumerate(MIN_N)}
    table = table.sort_values(
        ["question", "course_id", "skill", "outcome"],
        key=lambda s: s.map(order) if s.name == "question" else s,
        na_position="first",
        ignore_index=True,
    )
    return table[RESULT_COLUMNS]
