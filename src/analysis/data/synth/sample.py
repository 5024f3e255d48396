"""The sample dataset: every table family in a fixed order on one random generator, the
manifest of the injected effects, and writing it to disk."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.data.contract import CONTRACT_VERSION, TABLES
from analysis.data.synth import accounts, activity, deals, leads, people, talent
from analysis.data.synth.catalogue import LEAD_SOURCES
from analysis.data.synth.common import Draws
from analysis.data.synth.config import MONTH_FACTORS, SynthConfig
from analysis.data.write import write_dataset

__all__ = ["generate", "write_sample"]

# the table families in the order they draw from the random generator
FAMILIES = [
    people.teams,
    people.reps,
    talent.trainings,
    accounts.accounts,
    deals.draw_deals,
    deals.walk_stages,
    deals.plan_close_dates,
    deals.reopen_lost,
    deals.opportunities,
    deals.stage_history,
    deals.snapshots,
    leads.leads,
    activity.activities,
    accounts.revenue,
    accounts.csat,
    accounts.tickets,
    activity.feedback,
    talent.skill_assessments,
    people.quotas,
]


def generate(
    cfg: SynthConfig | None = None, *, deals_as_of: pd.Timestamp | None = None
) -> tuple[dict[str, pd.DataFrame], dict]:
    """Generate the sample dataset. Returns (tables, manifest).

    With `deals_as_of`, the deal tables (opportunities, stage_history, opportunity_snapshots) are
    those the CRM held at that instant, taken from the simulation itself: the same company and the
    same draws, extracted earlier. It is the reference `metrics.asof.as_of` is tested against;
    the other tables stay as at the end of the data.
    """
    cfg = cfg or SynthConfig()
    rng = np.random.default_rng(cfg.seed)
    months = cfg.months_index
    n_months = len(months)
    start = months[0].start_time
    as_of_end = months[-1].end_time.ceil("D")  # exclusive: first instant after the data
    as_of = months[-1].end_time.normalize()
    s = Draws(
        cfg=cfg,
        rng=rng,
        months=months,
        n_months=n_months,
        start=start,
        as_of_end=as_of_end,
        as_of=as_of,
        extracted_at=np.datetime64(
            as_of_end if deals_as_of is None else min(pd.Timestamp(deals_as_of), as_of_end), "s"
        ),
    )
    for family in FAMILIES:
        family(s)
    tables = {name: getattr(s, name) for name in TABLES}  # every table, in contract order
    tables["reps"] = s.reps.drop(columns=["seat", "ability"])
    tables["opportunities"] = s.opportunities.reset_index(drop=True)
    manifest = {
        # the generator's name as the sample has always recorded it (`analysis synth`): the
        # dataset's content hash, and so every report's footer, stays the same across releases
        "generator": "analysis.synth",
        "config": {k: v for k, v in asdict(cfg).items()},
        "as_of": str(as_of.date()),
        "truth": {
            "stage_conversion": cfg.stage_probs,
            "stage_conversion_note": "the first three steps are the same for every deal; "
            "negotiation->closed_won is shifted by rep ability "
            f"({cfg.ability_prob_shift} per SD, centred over deals) and raised by "
            "negotiation_training_close_rate_pp for deals entering negotiation after the rep "
            "completed NEG-101; a skipped qualification counts as passed",
            "skip_qualification_prob": cfg.skip_qualification_prob,
            "reopened_lost_deals": int(s.reopened.sum()),
            # a lost deal reopened and won passes every later step: the steps before closing
            # convert at p + (1 - p) x reopen_prob x reopen_win_prob
            "stage_conversion_with_reopened": {
                step: round(p + (1 - p) * cfg.reopen_prob * cfg.reopen_win_prob, 6)
                for step, p in cfg.stage_probs.items()
            },
            "overall_win_probability_average_rep": round(s.win_p, 4),
            "month_factors": dict(zip(range(1, 13), MONTH_FACTORS, strict=True)),
            "annual_growth": cfg.annual_growth,
            "negotiation_training_close_rate_pp": cfg.negotiation_close_pp,
            "course_skill_gain_points": cfg.course_skill_gain,
            "skill_ability_loading": cfg.skill_ability_loading,
            "skills_without_outcome_relation": [
                s for s, v in cfg.skill_ability_loading.items() if v == 0
            ],
            "lead_source_conversion": {s: LEAD_SOURCES[s][1] for s in s.src_names},
            "year_end_pull_prob": cfg.year_end_pull_prob,
            "songkran_delay_prob": cfg.songkran_delay_prob,
            "account_churn_monthly": cfg.account_churn_monthly,
        },
        "rep_ability": dict(zip(s.reps["rep_id"], np.round(s.ability, 4), strict=True)),
        "negotiation_training_completed": {
            s.reps.at[i, "rep_id"]: str(pd.Timestamp(s.neg_done[i]))
            for i in range(len(s.reps))
            if not np.isnat(s.neg_done[i])
        },
    }
    return tables, manifest


def write_sample(path: str | Path, cfg: SynthConfig | None = None, *, fmt: str = "csv") -> Path:
    """Generate the sample dataset and write it, with dataset.yaml and manifest.json, to `path`."""
    cfg = cfg or SynthConfig()
    tables, manifest = generate(cfg)
    meta = {
        "name": "sample",
        "description": "Synthetic Thai B2B software company (analysis.synth); not real data.",
        "contract_version": CONTRACT_VERSION,
        "timezone": "Asia/Bangkok",
        "currency": "THB",
        "as_of": manifest["as_of"],
        "generator": {
            "seed": cfg.seed,
            "n_teams": cfg.n_teams,
            "reps_per_team": cfg.reps_per_team,
            "months": cfg.months,
            "end_month": cfg.end_month,
            "scale": cfg.scale,
        },
    }
    path = write_dataset(tables, path, meta=meta, fmt=fmt)
    text = json.dumps(manifest, ensure_ascii=False, indent=2, default=str)
    (Path(path) / "manifest.json").write_text(text, encoding="utf-8")
    return Path(path)
