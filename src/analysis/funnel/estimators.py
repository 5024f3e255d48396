"""Rates with Wilson intervals and Kaplan-Meier survival curves (open deals censored)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

__all__ = ["wilson_interval", "with_ci", "kaplan_meier"]


def wilson_interval(successes, trials, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval for binomial proportions (scipy's binomtest); NaN where trials = 0.

    >>> wilson_interval([2], [3])[0].round(3)
    array([0.208])
    """
    k = np.atleast_1d(np.asarray(successes, dtype="int64"))
    n = np.atleast_1d(np.asarray(trials, dtype="int64"))
    low, high = np.full(len(k), np.nan), np.full(len(k), np.nan)
    for i, (ki, ni) in enumerate(zip(k, n, strict=True)):
        if ni > 0:
            ci = stats.binomtest(int(ki), int(ni)).proportion_ci(
                confidence_level=confidence, method="wilson"
            )
            low[i], high[i] = ci.low, ci.high
    return low, high


def with_ci(frame: pd.DataFrame, k: str, n: str, rate: str = "rate") -> pd.DataFrame:
    frame = frame.copy()
    frame[rate] = frame[k] / frame[n].where(frame[n] > 0)
    frame["ci_low"], frame["ci_high"] = wilson_interval(frame[k], frame[n])
    return frame


def kaplan_meier(durations, observed) -> pd.DataFrame:
    """Kaplan-Meier survival: columns t, at_risk, events, censored, survival (starts at t=0, S=1).

    `observed` is False for censored cases (e.g. deals still open), which stay in the risk set up
    to their censoring time instead of being dropped.
    """
    d = np.asarray(durations, dtype="float64")
    e = np.asarray(observed, dtype=bool)
    if not len(d):  # nobody at risk: the curve is its starting point only
        return pd.DataFrame(
            {"t": [0.0], "at_risk": [0], "events": [0], "censored": [0], "survival": [1.0]}
        )
    # events and censorings per distinct time, counted in one pass (a deal's duration is in
    # seconds, so the times are about as many as the deals)
    times, at = np.unique(d, return_inverse=True)
    events = np.bincount(at, weights=e, minlength=len(times)).astype("int64")
    censored = np.bincount(at, minlength=len(times)) - events
    at_risk = len(d) - np.concatenate([[0], np.cumsum(events + censored)[:-1]])
    survival = np.cumprod(1 - events / at_risk)
    body = pd.DataFrame(
        {
            "t": times,
            "at_risk": at_risk,
            "events": events,
            "censored": censored,
            "survival": survival,
        }
    )
    if len(times) and times[0] == 0:
        return body
    head = pd.DataFrame(
        {"t": [0.0], "at_risk": [len(d)], "events": [0], "censored": [0], "survival": [1.0]}
    )
    return pd.concat([head, body], ignore_index=True)
