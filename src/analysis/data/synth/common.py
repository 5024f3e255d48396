"""What every table family of the generator shares: the draws so far, and the helpers that
place events in time and in a seat's book of accounts."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pandas as pd

__all__ = ["Draws", "book_account", "as_days", "forecast_call", "uniform_in_month"]


class Draws(SimpleNamespace):
    """Everything one sample has drawn so far, by name (reps, seat_month_rep, created, won, ...).

    `generate` runs the table families in a fixed order on one random generator (`rng`), so the
    sample is the same for a seed; each family reads what earlier ones drew (`s.rng`,
    `s.seat_idx`, ...) and sets what it draws as attributes for the families that come later.
    """


def book_account(
    rng, seat: np.ndarray, times: np.ndarray, acc_created: np.ndarray, per_seat: int
) -> np.ndarray:
    """A random account of each seat's book that existed at `times` (else the seat's first, oldest one)."""
    idx = seat * per_seat + rng.integers(0, per_seat, len(seat))
    return np.where(acc_created[idx] > times, seat * per_seat, idx)


def as_days(values) -> np.ndarray:
    """Days (float or array) as numpy second-resolution timedeltas."""
    return (np.asarray(values) * 86400).astype("timedelta64[s]")


def forecast_call(stage_idx: np.ndarray, won: np.ndarray, u: np.ndarray) -> np.ndarray:
    """A rep's forecast call for an open deal at stage index 0-3, informed but not decided by
    whether the deal will be won: `u` is the deal's fixed uniform draw (one per deal, so the call
    changes only when the stage does)."""
    return np.select(
        [
            stage_idx == 3,
            stage_idx == 2,
            u > 0.92,
        ],
        [
            np.where(u < np.where(won, 0.75, 0.3), "commit", "best_case"),
            np.where(u < np.where(won, 0.5, 0.25), "best_case", "pipeline"),
            "omitted",
        ],
        "pipeline",
    )


def uniform_in_month(rng, months: pd.PeriodIndex, month_idx: np.ndarray) -> np.ndarray:
    starts = months.start_time.values[month_idx]
    days = months.days_in_month.values[month_idx]
    # working hours 08:00-18:00 local time
    day = np.floor(rng.random(len(month_idx)) * days).astype("int64")
    secs = rng.integers(8 * 3600, 18 * 3600, len(month_idx))
    return starts + day.astype("timedelta64[D]") + secs.astype("timedelta64[s]")
