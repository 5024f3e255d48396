"""The knobs of the sample company (`SynthConfig`) and the calendar constants."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field

import pandas as pd

__all__ = ["SynthConfig", "BURN_IN", "QUOTA_PLAN_MONTHS", "MONTH_FACTORS", "config_digest"]

BURN_IN = 3  # months of deals created before the window
QUOTA_PLAN_MONTHS = 6  # quotas are planned this far beyond the last month
MONTH_FACTORS = (0.95, 1.00, 1.10, 0.75, 0.95, 1.00, 0.95, 1.00, 1.05, 1.05, 1.10, 1.25)


@dataclass(frozen=True)
class SynthConfig:
    """Knobs of the sample company. Defaults give 6 teams, 60 reps and 36 months to 2026-10."""

    seed: int = 20261031
    n_teams: int = 6
    reps_per_team: int = 10
    months: int = 36
    end_month: str = "2026-10"
    scale: float = 1.0  # multiplies volumes (opportunities, leads, activities, tickets, ...)
    opps_per_rep_month: float = 6.0
    activities_per_rep_month: float = 45.0
    annual_growth: float = 0.10
    attrition_monthly: float = 0.012
    stage_probs: dict = field(
        default_factory=lambda: {
            "prospecting->qualification": 0.75,
            "qualification->proposal": 0.70,
            "proposal->negotiation": 0.72,
            "negotiation->closed_won": 0.58,
        }
    )
    stage_mean_days: dict = field(
        default_factory=lambda: {
            "prospecting": 8.0,
            "qualification": 12.0,
            "proposal": 15.0,
            "negotiation": 12.0,
        }
    )
    skip_qualification_prob: float = 0.05
    ability_prob_shift: float = (
        0.06  # per SD of rep ability, added to every stage step's probability
    )
    pull_in_prob: float = 0.08  # share of deals whose expected close date is pulled in once
    rescope_prob: float = 0.35  # share of deals whose amount changes once while open
    reopen_prob: float = (
        0.04  # share of lost deals reopened later (at the stage they were lost from)
    )
    reopen_win_prob: float = 0.35  # chance a reopened deal is won at its second close
    negotiation_close_pp: float = (
        0.12  # injected: completing NEG-101 adds this to P(negotiation -> won)
    )
    course_skill_gain: dict = field(
        default_factory=lambda: {
            "negotiation": 12.0,
            "presentation": 6.0,
            "discovery": 0.0,
            "product_knowledge": 8.0,
            "closing": 0.0,
        }
    )
    skill_ability_loading: dict = field(
        default_factory=lambda: {
            "negotiation": 0.8,
            "presentation": 0.0,
            "discovery": 0.0,
            "product_knowledge": 0.0,
            "closing": 0.6,
        }
    )
    skill_noise_sd: float = 6.0
    year_end_pull_prob: float = 0.4
    songkran_delay_prob: float = 0.6
    account_churn_monthly: float = 0.015
    # a shard of a larger company (`write_scaled`): its teams continue the numbering after
    # `team_offset` teams and every generated id starts with `id_prefix`
    team_offset: int = 0
    id_prefix: str = ""

    @property
    def months_index(self) -> pd.PeriodIndex:
        end = pd.Period(self.end_month, freq="M")
        return pd.period_range(end - (self.months - 1), end, freq="M")


def config_digest(cfg: SynthConfig) -> str:
    """Short digest of a config (used to name cached test datasets)."""
    return hashlib.sha256(json.dumps(asdict(cfg), sort_keys=True).encode()).hexdigest()[:12]
