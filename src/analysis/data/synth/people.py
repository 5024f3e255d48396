"""Teams, reps in their seats (hire, attrition, vacancy, ramp-up) and their quotas."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data.synth.catalogue import (
    FIRST_NAMES,
    LAST_NAMES,
    PRODUCTS,
    TEAM_CATALOGUE,
)
from analysis.data.synth.common import (
    Draws,
)
from analysis.data.synth.config import MONTH_FACTORS, QUOTA_PLAN_MONTHS, SynthConfig

__all__ = ["teams", "reps", "quotas"]


def _seat_reps(cfg: SynthConfig, rng: np.random.Generator, teams: pd.DataFrame):
    """Reps per seat with hire/leave dates; returns reps frame and a (seat, month) -> rep index."""
    months = cfg.months_index
    start = months[0].start_time
    rows = []
    seat_month_rep = np.full((len(teams) * cfg.reps_per_team, len(months)), -1, dtype=np.int64)
    rep_no = 0
    for t_idx, team in enumerate(teams.itertuples()):
        provinces = TEAM_CATALOGUE[(t_idx + cfg.team_offset) % len(TEAM_CATALOGUE)][3]
        for s in range(cfg.reps_per_team):
            seat = t_idx * cfg.reps_per_team + s
            hire = start - pd.Timedelta(days=int(rng.integers(130, 1500)))
            m = 0
            while m < len(months):
                ability = float(rng.normal())
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                # months this rep stays, from month index m
                stay = int(rng.geometric(cfg.attrition_monthly))
                last = m + stay - 1
                left = None
                if last < len(months) - 1:
                    left = months[last].end_time.normalize()
                rows.append(
                    dict(
                        rep_id=f"{cfg.id_prefix}R{rep_no:04d}",
                        rep_name=name,
                        team_id=team.team_id,
                        hire_date=hire.normalize(),
                        territory=provinces[s % len(provinces)][0],
                        left_date=left,
                        seat=seat,
                        ability=ability,
                    )
                )
                seat_month_rep[seat, m : min(last, len(months) - 1) + 1] = rep_no
                rep_no += 1
                m = last + 2  # one vacant month, then a new hire
                if m < len(months):
                    hire = months[m].start_time
    reps = pd.DataFrame(rows)
    return reps, seat_month_rep


def teams(s: Draws) -> None:
    """The teams table: catalogue teams in order (numbered past the catalogue), each with a
    manager.
    """
    # teams -----------------------------------------------------------------------------------
    team_rows = []
    for i in range(s.cfg.team_offset, s.cfg.team_offset + s.cfg.n_teams):
        tid, tname, region, _ = TEAM_CATALOGUE[i % len(TEAM_CATALOGUE)]
        if i >= len(TEAM_CATALOGUE):
            tid, tname = (
                f"{tid}-{i // len(TEAM_CATALOGUE) + 1}",
                f"{tname} {i // len(TEAM_CATALOGUE) + 1}",
            )
        team_rows.append(
            dict(
                team_id=tid,
                team_name=tname,
                region=region,
                manager_name=f"{s.rng.choice(FIRST_NAMES)} {s.rng.choice(LAST_NAMES)}",
            )
        )
    s.teams = pd.DataFrame(team_rows)[["team_id", "team_name", "manager_name", "region"]]


def reps(s: Draws) -> None:
    """Reps in their seats (hire and leave dates, ability) and the (seat, month) -> rep index."""
    s.reps, s.seat_month_rep = _seat_reps(s.cfg, s.rng, s.teams)
    s.n_seats = s.seat_month_rep.shape[0]
    s.ability = s.reps["ability"].to_numpy()
    s.hire_month = np.array([(h.to_period("M") - s.months[0]).n for h in s.reps["hire_date"]])


def quotas(s: Draws) -> None:
    """The quotas table: a fully ramped average rep's expected revenue with a 12% stretch, ramped,
    and planned six months ahead.
    """
    # quotas: expected revenue of a fully ramped average rep, with ramp and a 12% stretch ----------
    s.win_p = float(np.prod(s.base))
    avg_deal = (
        float(sum(PRODUCTS[p][0] * PRODUCTS[p][1] for p in s.prod_names))
        * np.exp(0.45**2 / 2)
        * 0.97
    )
    q_base = s.cfg.opps_per_rep_month * s.cfg.scale * s.win_p * avg_deal * 1.12
    q_amount = np.round(q_base * s.month_factor[s.month_idx] * s.growth[s.month_idx] * s.ramp, -4)
    # quotas are plans set in advance: reps in seat at the end already have the next months' quotas
    last = s.month_idx == s.n_months - 1
    k = np.tile(np.arange(1, QUOTA_PLAN_MONTHS + 1), int(last.sum()))
    plan_rep = np.repeat(s.rep_of[last], QUOTA_PLAN_MONTHS)
    plan_month = pd.period_range(s.months[-1] + 1, periods=QUOTA_PLAN_MONTHS, freq="M")[k - 1]
    plan_ramp = np.clip((np.repeat(s.tenure[last], QUOTA_PLAN_MONTHS) + k + 1) / 3, 0.33, 1.0)
    plan_factor = np.array([MONTH_FACTORS[p.month - 1] for p in plan_month])
    plan_amount = np.round(
        q_base * plan_factor * (1 + s.cfg.annual_growth) ** ((s.n_months - 1 + k) / 12) * plan_ramp,
        -4,
    )
    s.quotas = pd.DataFrame(
        dict(
            rep_id=s.reps["rep_id"].to_numpy()[np.concatenate([s.rep_of, plan_rep])],
            month=s.months[s.month_idx].append(plan_month),
            quota_amount=np.concatenate([q_amount, plan_amount]),
        )
    )
