import pandas as pd
import pytest

from analysis.months import (
    latest_complete_month,
    month_range,
    month_start,
    next_month_start,
    parse_month,
)


def test_parse_month_accepts_yyyy_mm():
    assert parse_month("2026-10") == pd.Period("2026-10", freq="M")


@pytest.mark.parametrize(
    "bad", ["2026-13", "2026-1", "26-10", "2026/10", "", "2026-10-01", None, "../x"]
)
def test_parse_month_rejects_with_a_named_error(bad):
    with pytest.raises(ValueError, match=r"MONTH: .* is not a month in the form YYYY-MM"):
        parse_month(bad, what="MONTH")


def test_month_is_half_open():
    m = pd.Period("2026-02", freq="M")
    assert month_start(m) == pd.Timestamp("2026-02-01 00:00:00")
    assert next_month_start(m) == pd.Timestamp("2026-03-01 00:00:00")


def test_month_range_inclusive():
    months = month_range(pd.Period("2025-11", "M"), pd.Period("2026-02", "M"))
    assert [str(m) for m in months] == ["2025-11", "2025-12", "2026-01", "2026-02"]


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2026-10-31", "2026-10"),
        ("2026-10-30", "2026-09"),
        ("2026-11-01", "2026-10"),
        ("2024-02-29", "2024-02"),
    ],
)
def test_latest_complete_month(as_of, expected):
    assert str(latest_complete_month(pd.Timestamp(as_of))) == expected
