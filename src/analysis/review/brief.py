"""Page 1 of a report: the largest risks of the month, with the numbers behind them, and the
actions that follow from them, both by fixed rules (`RULES`, written to docs/brief.md).

`find_risks` checks every rule on plain numbers (the scope's KPI rows, its targets, the quarter
outlook, the deals of `analysis.review.deals`) and ranks what it finds by `gap`, how far past
its threshold each risk is, relative to the threshold's own scale (so a KPI 40% under target
ranks above one 15% under). `recommend` maps each shown risk to its action. No text is made
here: the views translate a risk's or an action's `kind` and fill in its `values`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analysis.metrics.kpis import KPIS
from analysis.metrics.scorecards import rag_status

__all__ = [
    "LEADING",
    "FALL_THRESHOLD",
    "BASELINE_MONTHS",
    "CONCENTRATION_THRESHOLD",
    "SLIPPED_THRESHOLD",
    "LOSS_SPIKE",
    "QUARTER_THRESHOLD",
    "MAX_RISKS",
    "RULES",
    "ACTIONS",
    "Risk",
    "Action",
    "find_risks",
    "falling_indicators",
    "recommend",
    "rules_markdown",
]

# lead indicators: they move before revenue does
LEADING = (
    "open_pipeline_amount",
    "pipeline_coverage",
    "pipeline_velocity",
    "avg_sales_cycle_days",
    "win_rate",
)
FALL_THRESHOLD = 0.10  # a lead indicator 10% or more worse than its baseline is falling
BASELINE_MONTHS = 3  # ... the baseline being the mean of the three months before
CONCENTRATION_THRESHOLD = 0.30  # one rep bringing 30% or more of the revenue ...
CONCENTRATION_MIN_REPS = 3  # ... in a scope where at least three reps won revenue
SLIPPED_THRESHOLD = 0.10  # slipped value of 10% or more of the month's quota
QUARTER_THRESHOLD = 0.5  # a chance of making the quarter's quota below one in two
LOSS_SPIKE = 0.25  # the value lost 25% or more above its baseline
MAX_RISKS = 3

PIPELINE_KPIS = ("open_pipeline_amount", "pipeline_coverage", "pipeline_velocity")
RESULT_KPIS = ("revenue", "quota_attainment", "revenue_growth_mom")


@dataclass(frozen=True)
class Risk:
    """One risk: its rule (`kind`), the KPI it is about (if any), its rank key and its numbers."""

    kind: str  # off_target | falling | quarter | concentration | slipped | losses
    gap: float
    key: str | None = None
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Action:
    """One recommended action: its rule (`kind`) and the numbers its sentence names."""

    kind: (
        str  # close_gap | build_pipeline | review_losses | unstick | spread | requalify | kpi_plan
    )
    values: dict = field(default_factory=dict)


# (rule, when it is a risk, how it ranks, the action it leads to): the one table of the brief.
# Every rank key ("gap") runs from 0 at the rule's threshold to 1 at the worst case, so risks of
# different kinds rank on one scale.
RULES: tuple[tuple[str, str, str, str], ...] = (
    (
        "off_target",
        "a KPI of the headline table is red (worse than 10% off its target)",
        "the shortfall as a share of the target (higher is better: (target - value) / target; "
        "lower is better: (value - target) / value)",
        "by KPI: revenue or attainment → close_gap; pipeline KPIs → build_pipeline; win rate → "
        "review_losses; sales cycle → unstick; any other → kpi_plan",
    ),
    (
        "falling",
        f"a lead indicator ({', '.join(LEADING)}) is {FALL_THRESHOLD:.0%} or more worse than "
        f"the mean of its {BASELINE_MONTHS} months before (and not already off target)",
        "the fall as a share of the larger of the two values",
        "as for off_target, by KPI",
    ),
    (
        "quarter",
        f"the forecast's chance of making the quarter's quota is below {QUARTER_THRESHOLD:.0%}",
        f"({QUARTER_THRESHOLD} - chance) / {QUARTER_THRESHOLD}",
        "close_gap: the quota minus won and commit, and the best-case value to work on",
    ),
    (
        "concentration",
        f"one rep brought {CONCENTRATION_THRESHOLD:.0%} or more of the won revenue of the last "
        f"three months, with {CONCENTRATION_MIN_REPS} or more reps winning",
        f"(share - {CONCENTRATION_THRESHOLD}) / (1 - {CONCENTRATION_THRESHOLD})",
        "spread: the rep, the share, how many reps make half the revenue",
    ),
    (
        "slipped",
        f"deals expected to close in the month but still open at its end are worth "
        f"{SLIPPED_THRESHOLD:.0%} or more of the month's quota (needs opportunity snapshots)",
        "slipped value / month's quota, at most 1",
        "requalify: the number and value of the slipped deals",
    ),
    (
        "losses",
        f"the value lost in the month is {LOSS_SPIKE:.0%} or more above the mean of the "
        f"{BASELINE_MONTHS} months before (in B2B the value lost exceeds the value won most "
        "months: a rise, not the level, is the signal)",
        "1 - mean before / lost now",
        "review_losses: the largest loss reason, its deals and value",
    ),
)


ACTIONS: dict[str, str] = {
    "close_gap": "close the quarter's gap: the quota, what won and commit cover (commit alone "
    "for a quarter that has not started), the gap, the best-case value to bring to commit (the "
    "month's result against quota without a quarter)",
    "build_pipeline": "create new pipeline: the value that would bring the next three months' "
    "coverage to its target (else the indicator's fall)",
    "review_losses": "review the losses with the reps: the largest loss reason, its deals, value "
    "and share of the value lost",
    "unstick": "review the deals open longer than the sales-cycle target: how many, their value",
    "spread": "lower the dependence on one rep: the rep, the share, how many reps make half",
    "requalify": "re-qualify the slipped deals and set new close dates: how many, their value",
    "kpi_plan": "agree a plan for the KPI with its owner: the value against the target",
}


def rules_markdown() -> str:
    """docs/brief.md: the rule table of the report's page 1 (a test keeps it current)."""
    lines = [
        "# The brief on page 1: risks and actions by rule",
        "",
        "<!-- generated by `python -m analysis docs` from analysis.review.brief.RULES -->",
        "",
        "Page 1 of every report names the largest risks of the month (at most "
        f"{MAX_RISKS}, ranked by how far each is past its threshold) and one action for each. "
        "Both come from this table; no sentence is written by hand for a team.",
        "",
        "| rule | a risk when | ranked by | action |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{k}` | {when} | {rank} | {action} |" for k, when, rank, action in RULES]
    lines += ["", "| action | what it asks, with the numbers it names |", "|---|---|"]
    lines += [f"| `{k}` | {what} |" for k, what in ACTIONS.items()]
    return "\n".join(lines) + "\n"


def _value(kpis: pd.DataFrame, month: pd.Period, key: str, offset: int = 0):
    row = kpis[kpis["month"].eq(month - offset)]
    if row.empty or key not in row:
        return None
    v = row.iloc[0][key]
    return None if v is None or pd.isna(v) else float(v)


def _baseline(kpis: pd.DataFrame, month: pd.Period, key: str) -> float | None:
    values = [_value(kpis, month, key, k) for k in range(1, BASELINE_MONTHS + 1)]
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if len(values) >= 2 else None


def _worse_share(now: float, ref: float, higher_is_better: bool) -> float:
    """How much worse `now` is than `ref`, as a share of the larger of the two (0 to 1; <= 0
    when not worse)."""
    if higher_is_better:
        return (ref - now) / ref if ref else 0.0
    return (now - ref) / now if now else 0.0


def falling_indicators(
    kpis: pd.DataFrame, month: pd.Period, skip: set[str] | frozenset[str] = frozenset()
) -> list[Risk]:
    """The `falling` rule alone, on the scope's KPI rows (no forecast or deals needed: the KPI
    tables mark these too): each lead indicator not in `skip` that is `FALL_THRESHOLD` or more
    worse than its mean of the `BASELINE_MONTHS` months before, in `LEADING` order."""
    out = []
    for key in LEADING:
        now, base = _value(kpis, month, key), _baseline(kpis, month, key)
        if key in skip or now is None or not base:
            continue
        change = now / base - 1
        worse = -change if KPIS[key].higher_is_better else change
        if worse >= FALL_THRESHOLD:
            gap = min(_worse_share(now, base, KPIS[key].higher_is_better), 1.0)
            out.append(Risk("falling", gap, key, {"now": now, "baseline": base, "change": change}))
    return out


def find_risks(
    kpis: pd.DataFrame,
    month: pd.Period,
    targets: dict[str, float],
    keys: list[str],
    *,
    quarter: dict | None = None,
    concentration: dict | None = None,
    slipped: pd.DataFrame | None = None,
    losses: pd.DataFrame | None = None,
    lost_before: float | None = None,
) -> list[Risk]:
    """Every risk the rules find, largest gap first (ties by rule order, then KPI order).

    `kpis` holds the scope's KPI rows by `month` (this month and the ones before); `keys` the
    KPIs of the headline table; `quarter` the forecast's outlook (quota, booked, probability and
    optionally commit, best_case); `concentration`, `slipped` and `losses` come from
    `analysis.review.deals`; `lost_before` is the mean value lost per month over the
    `BASELINE_MONTHS` months before (`deals.lost_before`)."""
    risks: list[Risk] = []
    for key in keys:
        now, target = _value(kpis, month, key), targets.get(key)
        higher = KPIS[key].higher_is_better
        if rag_status(now, target, higher) == "red" and target:
            gap = min(_worse_share(now, target, higher), 1.0)
            risks.append(Risk("off_target", gap, key, {"now": now, "target": target}))
    risks += falling_indicators(kpis, month, skip={r.key for r in risks})
    if quarter and quarter.get("probability") is not None and quarter.get("quota"):
        p = float(quarter["probability"])
        if p < QUARTER_THRESHOLD:
            risks.append(
                Risk("quarter", (QUARTER_THRESHOLD - p) / QUARTER_THRESHOLD, None, dict(quarter))
            )
    if concentration and concentration.get("top_share") is not None:
        share = concentration["top_share"]
        if share >= CONCENTRATION_THRESHOLD and concentration["reps"] >= CONCENTRATION_MIN_REPS:
            gap = (share - CONCENTRATION_THRESHOLD) / (1 - CONCENTRATION_THRESHOLD)
            risks.append(Risk("concentration", gap, None, dict(concentration)))
    quota = _value(kpis, month, "quota")
    if slipped is not None and len(slipped) and quota:
        amount = float(slipped["amount"].sum())
        if amount / quota >= SLIPPED_THRESHOLD:
            values = {"deals": len(slipped), "amount": amount, "quota": quota}
            risks.append(Risk("slipped", min(amount / quota, 1.0), None, values))
    if losses is not None and len(losses) and lost_before:
        lost = float(losses["amount"].sum())
        if lost / lost_before - 1 >= LOSS_SPIKE:
            top = losses.iloc[0]
            values = {
                "lost": lost,
                "baseline": lost_before,
                "change": lost / lost_before - 1,
                "deals": int(losses["deals"].sum()),
                "reason": top["reason"],
                "reason_amount": float(top["amount"]),
                "reason_deals": int(top["deals"]),
            }
            risks.append(Risk("losses", 1 - lost_before / lost, None, values))
    order = {k: i for i, (k, *_rest) in enumerate(RULES)}
    return sorted(risks, key=lambda r: (-r.gap, order[r.kind]))


def _action_kind(risk: Risk) -> str:
    if risk.kind in ("quarter",):
        return "close_gap"
    if risk.kind == "concentration":
        return "spread"
    if risk.kind == "slipped":
        return "requalify"
    if risk.kind == "losses":
        return "review_losses"
    key = risk.key
    if key in RESULT_KPIS:
        return "close_gap"
    if key in PIPELINE_KPIS:
        return "build_pipeline"
    if key == "win_rate":
        return "review_losses"
    if key == "avg_sales_cycle_days":
        return "unstick"
    return "kpi_plan"


def recommend(
    risks: list[Risk],
    *,
    quarter: dict | None = None,
    losses: pd.DataFrame | None = None,
    quota_ahead: float | None = None,
    coverage_target: float | None = None,
    coverage_now: float | None = None,
    aged_deals: dict | None = None,
) -> list[Action]:
    """One action per risk, in the risks' order, each kind at most once.

    The numbers: `quarter` (the outlook with `quota`, `booked` and, from the reps' forecast
    categories, `commit` and `best_case`) for close_gap; `quota_ahead` (the quota of the next
    three months) with the coverage target and value for build_pipeline (the new pipeline that
    would reach the target); `losses` for review_losses; `aged_deals` (deals open longer than
    the cycle target: deals, amount, days) for unstick."""
    actions: list[Action] = []
    seen: set[str] = set()
    for risk in risks:
        kind = _action_kind(risk)
        if kind in seen:
            continue
        seen.add(kind)
        values: dict = {}
        if kind == "close_gap" and quarter and quarter.get("quota"):
            covered = quarter.get("booked", 0.0) + (quarter.get("commit") or 0.0)
            values = {
                "quota": quarter["quota"],
                "covered": covered,
                "gap": max(quarter["quota"] - covered, 0.0),
                "best_case": quarter.get("best_case"),
                "quarter": quarter.get("quarter"),
                "started": quarter.get("started", True),
                "starts": quarter.get("starts"),
            }
        elif kind == "build_pipeline":
            if quota_ahead and coverage_target and coverage_now is not None:
                values["needed"] = max(coverage_target - coverage_now, 0.0) * quota_ahead
            values.update(risk.values, key=risk.key)
        elif kind == "review_losses" and losses is not None and len(losses):
            top = losses.iloc[0]
            values = {
                "reason": top["reason"],
                "amount": float(top["amount"]),
                "deals": int(top["deals"]),
                "share": float(top["share"]),
            }
        elif kind == "unstick" and aged_deals:
            values = dict(aged_deals)
        else:
            values = dict(risk.values, key=risk.key)
        actions.append(Action(kind, values))
    return actions
