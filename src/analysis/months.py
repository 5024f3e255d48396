"""Calendar months as half-open intervals [first day of M, first day of M+1), in local time."""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["parse_month", "month_start", "next_month_start", "month_range", "latest_complete_month"]

_MONTH_RE = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_month(value: str | pd.Period, *, what: str = "month") -> pd.Period:
    """Parse 'YYYY-MM' into a monthly Period; raise ValueError naming `what` otherwise.

    >>> parse_month("2026-10")
    Period('2026-10', 'M')
    """
    if isinstance(value, pd.Period):
        return value.asfreq("M")
    if not isinstance(value, str) or not _MONTH_RE.match(value):
        raise ValueError(f"{what}: {value!r} is not a month in the form YYYY-MM (e.g. 2026-10)")
    return pd.Period(value, freq="M")


def month_start(month: pd.Period) -> pd.Timestamp:
    """First instant of the month (inclusive bound)."""
    return month.start_time


def next_month_start(month: pd.Period) -> pd.Timestamp:
    """First instant of the next month: the exclusive end of `month` ("as of the end of M" cuts
    the data here).

    >>> next_month_start(pd.Period("2026-02", "M"))
    Timestamp('2026-03-01 00:00:00')
    """
    return (month + 1).start_time


def month_range(first: pd.Period, last: pd.Period) -> list[pd.Period]:
    """All months from `first` to `last`, both included."""
    return list(pd.period_range(first, last, freq="M"))


def latest_complete_month(as_of: pd.Timestamp) -> pd.Period:
    """The last month whose every day is covered by data extracted on `as_of` (a date, inclusive).

    >>> latest_complete_month(pd.Timestamp("2026-10-31"))
    Period('2026-10', 'M')
    >>> latest_complete_month(pd.Timestamp("2026-11-15"))
    Period('2026-10', 'M')
    """
    day = pd.Timestamp(as_of).normalize()
    month = day.to_period("M")
    return month if day == month.end_time.normalize() else month - 1
