"""Trainings and quarterly skill assessments: the injected course and ability effects."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data.contract import (
    SKILLS,
)
from analysis.data.synth.catalogue import (
    COURSES,
)
from analysis.data.synth.common import (
    Draws,
)

__all__ = ["trainings", "skill_assessments"]


def trainings(s: Draws) -> None:
    """Courses rolled out in waves (NEG-101 to about half the reps); completion dates drive the
    skill gains and the negotiation effect.
    """
    # trainings: each course rolled out in waves; NEG-101 to about half the reps -----------------
    tr_rows = []
    s.neg_done = np.full(len(s.reps), np.datetime64("NaT"), dtype="datetime64[s]")
    s.skill_gain_at: dict[str, np.ndarray] = {
        skill: np.full(len(s.reps), np.datetime64("NaT"), dtype="datetime64[s]") for skill in SKILLS
    }
    for r in range(len(s.reps)):
        for cid, (cname, skill) in COURSES.items():
            p_assign = 0.5 if cid == "NEG-101" else 0.35
            if s.rng.random() > p_assign:
                continue
            active = np.flatnonzero(s.seat_month_rep[s.reps.at[r, "seat"]] == r)
            if len(active) < 3:
                continue
            m = int(s.rng.choice(active[: max(1, len(active) - 1)]))
            assigned = s.months[m].start_time + pd.Timedelta(
                days=int(s.rng.integers(0, 20)), hours=9
            )
            completed = None
            if s.rng.random() < 0.85:
                completed = assigned + pd.Timedelta(days=float(s.rng.gamma(3.0, 10.0)))
                if completed >= s.as_of_end:
                    completed = None
            tr_rows.append(
                dict(
                    rep_id=s.reps.at[r, "rep_id"],
                    course_id=cid,
                    course_name=cname,
                    assigned_at=assigned,
                    completed_at=completed,
                    skill=skill,
                )
            )
            if completed is not None:
                s.skill_gain_at[skill][r] = np.datetime64(completed, "s")
                if cid == "NEG-101":
                    s.neg_done[r] = np.datetime64(completed, "s")
    s.trainings = pd.DataFrame(
        tr_rows,
        columns=["rep_id", "course_id", "course_name", "assigned_at", "completed_at", "skill"],
    )


def skill_assessments(s: Draws) -> None:
    """The skill_assessments table: every active rep each quarter-end month; score = 60 + loading x
    10 x ability + course gain + noise.
    """
    # skill assessments: every active rep, each quarter-end month, all skills ------------------------
    q_mask = np.isin(s.month_idx, [i for i, p in enumerate(s.months) if p.month in (3, 6, 9, 12)])
    sa_sm = np.flatnonzero(q_mask)
    sa_rows = []
    for skill in SKILLS:
        at = (
            s.months.start_time.values[s.month_idx[sa_sm]]
            + np.timedelta64(14, "D")
            + np.timedelta64(10, "h")
        ).astype("datetime64[s]")
        r = s.rep_of[sa_sm]
        gain_at = s.skill_gain_at[skill][r]
        gained = ~np.isnat(gain_at) & (gain_at <= at)
        score = (
            60
            + s.cfg.skill_ability_loading[skill] * 10 * s.ability[r]
            + s.cfg.course_skill_gain[skill] * gained
            + s.rng.normal(0, s.cfg.skill_noise_sd, len(r))
        )
        sa_rows.append(
            pd.DataFrame(
                dict(
                    rep_id=s.reps["rep_id"].to_numpy()[r],
                    assessed_at=at,
                    skill=skill,
                    score=np.clip(score, 0, 100).round(1),
                )
            )
        )
    s.skill_assessments = pd.concat(sa_rows, ignore_index=True)
