"""What reps do: activities with their accounts and the coaching feedback they get."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data.contract import (
    ACTIVITY_TYPES,
)
from analysis.data.synth.catalogue import (
    FEEDBACK_TOPICS,
)
from analysis.data.synth.common import (
    Draws,
    book_account,
    uniform_in_month,
)

__all__ = ["activities", "feedback"]


def activities(s: Draws) -> None:
    """The activities table: calls, meetings and visits of each active rep-month with the accounts
    of its book.
    """
    # activities ----------------------------------------------------------------------------------
    a_counts = s.rng.poisson(s.cfg.activities_per_rep_month * s.cfg.scale * s.ramp)
    a_sm = np.repeat(np.arange(len(s.seat_idx)), a_counts)
    n_act = len(a_sm)
    a_time = uniform_in_month(s.rng, s.months, s.month_idx[a_sm]).astype("datetime64[s]")
    a_acc = book_account(s.rng, s.seat_idx[a_sm], a_time, s.acc_created_arr, s.acc_per_seat)
    s.activities = pd.DataFrame(
        dict(
            activity_id=[f"{s.cfg.id_prefix}X{i:07d}" for i in range(n_act)],
            rep_id=s.reps["rep_id"].to_numpy()[s.rep_of[a_sm]],
            account_id=s.accounts["account_id"].to_numpy()[a_acc],
            activity_type=s.rng.choice(ACTIVITY_TYPES, n_act, p=[0.2, 0.35, 0.3, 0.1, 0.05]),
            occurred_at=a_time,
        )
    )


def feedback(s: Draws) -> None:
    """The feedback table: coaching sessions, mostly from the team's manager."""
    f_counts = s.rng.poisson(1.5, len(s.seat_idx))
    f_sm = np.repeat(np.arange(len(s.seat_idx)), f_counts)
    f_team = s.seat_idx[f_sm] // s.cfg.reps_per_team
    s.feedback = pd.DataFrame(
        dict(
            feedback_id=[f"{s.cfg.id_prefix}F{i:06d}" for i in range(len(f_sm))],
            rep_id=s.reps["rep_id"].to_numpy()[s.rep_of[f_sm]],
            given_by=np.where(
                s.rng.random(len(f_sm)) < 0.8, s.teams["manager_name"].to_numpy()[f_team], "peer"
            ),
            given_at=uniform_in_month(s.rng, s.months, s.month_idx[f_sm]).astype("datetime64[s]"),
            quality_score=s.rng.choice([2, 3, 4, 5], len(f_sm), p=[0.1, 0.3, 0.4, 0.2]),
            topic=s.rng.choice(FEEDBACK_TOPICS, len(f_sm)),
        )
    )
