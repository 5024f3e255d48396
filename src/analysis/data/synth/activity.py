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
    (
        acc_created_arr,
        acc_per_seat,
        accounts,
        cfg,
        month_idx,
        months,
        ramp,
        rep_of,
        reps,
        rng,
        seat_idx,
    ) = s.take(
        "acc_created_arr",
        "acc_per_seat",
        "accounts",
        "cfg",
        "month_idx",
        "months",
        "ramp",
        "rep_of",
        "reps",
        "rng",
        "seat_idx",
    )
    # activities ----------------------------------------------------------------------------------
    a_counts = rng.poisson(cfg.activities_per_rep_month * cfg.scale * ramp)
    a_sm = np.repeat(np.arange(len(seat_idx)), a_counts)
    n_act = len(a_sm)
    a_time = uniform_in_month(rng, months, month_idx[a_sm]).astype("datetime64[s]")
    a_acc = book_account(rng, seat_idx[a_sm], a_time, acc_created_arr, acc_per_seat)
    activities = pd.DataFrame(
        dict(
            activity_id=[f"{cfg.id_prefix}X{i:07d}" for i in range(n_act)],
            rep_id=reps["rep_id"].to_numpy()[rep_of[a_sm]],
            account_id=accounts["account_id"].to_numpy()[a_acc],
            activity_type=rng.choice(ACTIVITY_TYPES, n_act, p=[0.2, 0.35, 0.3, 0.1, 0.05]),
            occurred_at=a_time,
        )
    )
    s.put(activities=activities)


def feedback(s: Draws) -> None:
    """The feedback table: coaching sessions, mostly from the team's manager."""
    cfg, month_idx, months, rep_of, reps, rng, seat_idx, teams = s.take(
        "cfg", "month_idx", "months", "rep_of", "reps", "rng", "seat_idx", "teams"
    )
    f_counts = rng.poisson(1.5, len(seat_idx))
    f_sm = np.repeat(np.arange(len(seat_idx)), f_counts)
    f_team = seat_idx[f_sm] // cfg.reps_per_team
    feedback = pd.DataFrame(
        dict(
            feedback_id=[f"{cfg.id_prefix}F{i:06d}" for i in range(len(f_sm))],
            rep_id=reps["rep_id"].to_numpy()[rep_of[f_sm]],
            given_by=np.where(
                rng.random(len(f_sm)) < 0.8, teams["manager_name"].to_numpy()[f_team], "peer"
            ),
            given_at=uniform_in_month(rng, months, month_idx[f_sm]).astype("datetime64[s]"),
            quality_score=rng.choice([2, 3, 4, 5], len(f_sm), p=[0.1, 0.3, 0.4, 0.2]),
            topic=rng.choice(FEEDBACK_TOPICS, len(f_sm)),
        )
    )
    s.put(feedback=feedback)
