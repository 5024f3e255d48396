import pandas as pd
import pytest

from analysis.i18n import (
    TEXT,
    fmt_currency,
    fmt_date,
    fmt_month,
    fmt_number,
    fmt_percent,
    fmt_value,
    kpi_label,
    t,
)
from analysis.metrics.kpis import KPIS


def test_every_text_has_both_languages():
    for key, texts in TEXT.items():
        assert set(texts) == {"th", "en"}, key
        assert all(texts.values()), key


def test_every_kpi_has_labels():
    for key in KPIS:
        assert kpi_label(key, "th") and kpi_label(key, "en")
        assert any("\u0e00" <= ch <= "\u0e7f" for ch in kpi_label(key, "th"))


def test_currency_and_numbers():
    assert fmt_currency(1234567.4) == "฿1,234,567"
    assert fmt_currency(-2500, "THB") == "-฿2,500"
    assert fmt_currency(1000, "USD") == "USD 1,000"
    assert fmt_number(1234.5678, digits=2) == "1,234.57"
    assert fmt_currency(None) == "–" and fmt_number(float("nan")) == "–"


def test_percent():
    assert fmt_percent(0.1234) == "12.3%"
    assert fmt_percent(0.05, signed=True) == "+5.0%"
    assert fmt_percent(None) == "–"


def test_a_printed_number_does_not_depend_on_the_order_it_was_summed_in():
    """The same four scores summed in two orders give two floats on either side of 57.15; the
    report prints both as a reader rounds 57.15 (CI found a team report from PostgreSQL and the
    same report from CSV differing in one skill score, 57.1 against 57.2)."""
    import itertools

    scores = [57.3, 56.4, 58.1, 56.8]  # mean 57.15 exactly, in decimal
    means = {sum(p) / 4 for p in itertools.permutations(scores)}
    assert min(means) < 57.15 < max(means)  # the floats differ in their last bits
    assert {fmt_value("avg_skill_score_closing", m) for m in means} == {"57.2"}
    assert {fmt_number(m, digits=1) for m in means} == {"57.2"}
    # half away from zero at every unit, and never "-0"
    assert fmt_percent(0.0125 + 1e-17) == fmt_percent(0.0125 - 1e-17) == "1.3%"
    assert fmt_percent(-0.00049) == "0.0%" and fmt_number(-0.4) == "0"
    assert fmt_currency(2.5) == "฿3" and fmt_currency(-2.5) == "-฿3"
    assert fmt_number(1234567890123.4) == "1,234,567,890,123"
    # nothing to round in an infinity: printed as before the rounding, not an error
    assert (fmt_number(float("inf")), fmt_percent(float("-inf"))) == ("inf", "-inf%")


def test_months_and_dates():
    oct26 = pd.Period("2026-10", "M")
    assert fmt_month(oct26, "th") == "ตุลาคม 2569"  # Buddhist era: 2026 + 543
    assert fmt_month(oct26, "th", buddhist_era=False) == "ตุลาคม 2026"
    assert fmt_month(oct26, "th", short=True) == "ต.ค. 69"
    assert fmt_month(oct26, "en") == "October 2026"
    assert fmt_month(oct26, "en", short=True) == "Oct 26"
    assert fmt_date(pd.Timestamp("2026-10-31"), "th") == "31 ตุลาคม 2569"


def test_value_by_unit():
    assert fmt_value("revenue", 1500000.0) == "฿1,500,000"
    assert fmt_value("win_rate", 0.25) == "25.0%"
    assert fmt_value("deals_won", 12) == "12"


def test_text_fills_values():
    assert (
        t("summary_reps", "en", at_quota=3, n_reps=8) == "3 of 8 account executives reached quota"
    )
    with pytest.raises(KeyError, match="no 'th' text for 'nope'"):
        t("nope", "th")
