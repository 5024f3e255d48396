"""Thai and English labels, and number, currency, percent and month formats.

All report text comes from `TEXT` (one translation table) or from `kpis.KPIS` labels; nothing
else in the package or the notebooks hard-codes a user-facing string in one language.
"""

from __future__ import annotations

import math
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import pandas as pd

from analysis.i18n.text import TEXT  # the table is data, kept in its own module
from analysis.metrics.registry import KPIS

__all__ = [
    "Lang",
    "TEXT",
    "t",
    "kpi_label",
    "fmt_number",
    "fmt_currency",
    "fmt_percent",
    "fmt_chance",
    "fmt_quarter",
    "fmt_month",
    "fmt_value",
    "fmt_date",
    "shorten",
    "fmt_code",
    "fmt_p",
    "fmt_multiple",
    "fmt_points",
    "rounded",
]

Lang = Literal["th", "en"]

TH_MONTHS = [
    "มกราคม",
    "กุมภาพันธ์",
    "มีนาคม",
    "เมษายน",
    "พฤษภาคม",
    "มิถุนายน",
    "กรกฎาคม",
    "สิงหาคม",
    "กันยายน",
    "ตุลาคม",
    "พฤศจิกายน",
    "ธันวาคม",
]
TH_MONTHS_SHORT = [
    "ม.ค.",
    "ก.พ.",
    "มี.ค.",
    "เม.ย.",
    "พ.ค.",
    "มิ.ย.",
    "ก.ค.",
    "ส.ค.",
    "ก.ย.",
    "ต.ค.",
    "พ.ย.",
    "ธ.ค.",
]
EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def t(key: str, lang: Lang, **values) -> str:
    """The text for `key` in `lang`, with `values` filled in."""
    try:
        text = TEXT[key][lang]
    except KeyError as exc:
        raise KeyError(f"no {lang!r} text for {key!r} in i18n.TEXT") from exc
    return text.format(**values) if values else text


def shorten(text, limit: int = 40) -> str:
    """`text` as a label of at most `limit` characters: cut with "…" when longer, never inside
    a character's combining marks (a Thai vowel or tone mark stays with its consonant) or an
    emoji sequence. A 5,000-character name would otherwise make a chart tens of thousands of
    pixels wide or a table cell pages long.

    >>> shorten("Khon Kaen Northeast Enterprise Accounts", 20)
    'Khon Kaen Northeast…'
    >>> shorten("ทีมกรุงเทพมหานคร", 6)  # not "ทีมกร…": the vowel ุ belongs to ร
    'ทีมก…'
    """
    text = str(text)
    if len(text) <= limit:
        return text
    cut = max(limit - 1, 1)
    joiner = "\u200d"  # zero-width joiner: binds the emoji on either side
    while cut > 1 and (
        unicodedata.category(text[cut])[0] == "M" or joiner in (text[cut], text[cut - 1])
    ):
        cut -= 1
    return text[:cut].rstrip() + "…"


def fmt_code(kind: str, value, lang: Lang) -> str:
    """A coded value in words: `TEXT[f"{kind}_{value}"]` when the table has it (deal types,
    stages, the common lead sources, lead steps), else the value as the data has it (a source a
    CRM made up is shown as written, never guessed at).

    >>> fmt_code("deal_type", "cross_sell", "en"), fmt_code("lead_source", "Trade fair", "en")
    ('Cross-sell', 'Trade fair')
    """
    key = f"{kind}_{value}"
    return t(key, lang) if key in TEXT else str(value)


def fmt_p(p, *, named: bool = False) -> str:
    """A p-value as the literature prints it: three decimals, "< 0.001" below that (never
    "0.000"); `named` puts "p = " or "p " before it, for a sentence.

    >>> fmt_p(0.0004), fmt_p(0.0416), fmt_p(0.0004, named=True), fmt_p(0.5, named=True)
    ('< 0.001', '0.042', 'p < 0.001', 'p = 0.500')
    """
    if _missing(p):
        return "–"
    shown = "< 0.001" if p < 0.001 else f"{p:.3f}"
    if not named:
        return shown
    return f"p {shown}" if shown.startswith("<") else f"p = {shown}"


def kpi_label(key: str, lang: Lang) -> str:
    kpi = KPIS[key]
    return kpi.label_th if lang == "th" else kpi.label_en


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def rounded(value, digits: int = 0) -> Decimal:
    """`value` rounded to `digits` decimals as a reader rounds it: half away from zero, on the
    decimal number the float stands for. Every number a report prints goes through here.

    A float's last bits depend on the order its parts were summed in (the same data read from a
    CSV or from PostgreSQL, DuckDB's threads), so a mean of exactly 57.15 may be 57.1499…98 or
    57.1500…01 and print as 57.1 or 57.2. The value is first cut to 12 significant digits
    (noise lives in the 15th–17th; never fewer than `digits` decimals), then rounded half up.

    >>> [str(rounded(x, 1)) for x in (57.15 - 1e-13, 57.15 + 1e-13, -0.25)]
    ['57.2', '57.2', '-0.3']
    >>> str(rounded(2.675, 2)), str(rounded(1234567890123.4)), str(rounded(0.5))
    ('2.68', '1234567890123', '1')
    """
    value = float(value)
    if not math.isfinite(value):  # nothing to round: infinity stays itself
        return Decimal(value)
    if value == 0:
        return Decimal(0).quantize(Decimal(1).scaleb(-digits))
    keep = max(digits, 11 - math.floor(math.log10(abs(value))))
    snapped = Decimal(repr(round(value, keep)))
    return snapped.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


def _fixed(value, digits: int, signed: bool = False) -> str:
    """`rounded` with thousands separators; a value that rounds to zero has no sign ("0.0",
    "+0.0" when `signed`, never "-0.0")."""
    sign = "+" if signed else ""
    d = rounded(value, digits)
    if not d.is_finite():  # as a float prints it ("inf"), as before
        return f"{float(value):{sign},.{digits}f}"
    if d == 0:
        d = abs(d)
    return f"{d:{sign},.{digits}f}"


def fmt_number(value, lang: Lang = "en", digits: int = 0, signed: bool = False) -> str:
    """Thousands separators, fixed decimals (`rounded`); '–' for a missing value.

    >>> fmt_number(1234.5), fmt_number(-3.25, digits=1), fmt_number(2, signed=True)
    ('1,235', '-3.3', '+2')
    """
    if _missing(value):
        return "–"
    return _fixed(value, digits, signed)


def fmt_currency(value, currency: str = "THB", lang: Lang = "en", digits: int = 0) -> str:
    """'฿1,234,567' for THB in both languages (as Thai business writing does), 'USD 1,234' otherwise."""
    if _missing(value):
        return "–"
    symbol = "฿" if currency == "THB" else f"{currency} "
    text = _fixed(value, digits)
    sign = "-" if text.startswith("-") else ""
    return f"{sign}{symbol}{text.removeprefix('-')}"


def fmt_chance(p) -> str:
    """A probability as a reader takes it: whole percent, and "< 1%" / "> 99%" at the ends
    (a forecast never makes an outcome certain, so never "0%" or "100%").

    >>> fmt_chance(0.0004), fmt_chance(0.474), fmt_chance(0.9991), fmt_chance(None)
    ('< 1%', '47%', '> 99%', '–')
    """
    if _missing(p):
        return "–"
    if p < 0.005:
        return "< 1%"
    if p > 0.995:
        return "> 99%"
    return f"{_fixed(p * 100, 0)}%"


def fmt_percent(value, lang: Lang = "en", digits: int = 1, signed: bool = False) -> str:
    if _missing(value):
        return "–"
    return f"{_fixed(value * 100, digits, signed)}%"


def fmt_points(value, digits: int = 1) -> str:
    """A difference of two ratios in percentage points, signed: "+2.5 pp".

    >>> fmt_points(0.025), fmt_points(-0.004, 0), fmt_points(None)
    ('+2.5 pp', '+0 pp', '–')
    """
    if _missing(value):
        return "–"
    return f"{_fixed(value * 100, digits, signed=True)} pp"


def fmt_quarter(quarter: str | pd.Period, lang: Lang = "en", *, buddhist_era: bool = True) -> str:
    """'Q4 2026' / 'ไตรมาส 4/2569' (Buddhist era as in `fmt_month`).

    >>> fmt_quarter("2026Q4", "en"), fmt_quarter("2026Q4", "th")
    ('Q4 2026', 'ไตรมาส 4/2569')
    """
    q = pd.Period(quarter, "Q")
    year = q.year + 543 if lang == "th" and buddhist_era else q.year
    return t("quarter_label", lang, q=q.quarter, year=year)


def fmt_month(
    month: pd.Period, lang: Lang = "en", *, buddhist_era: bool = True, short: bool = False
) -> str:
    """'October 2026' / 'ตุลาคม 2569' (Buddhist era = Gregorian + 543 when `buddhist_era`)."""
    if lang == "th":
        year = month.year + 543 if buddhist_era else month.year
        if short:
            return f"{TH_MONTHS_SHORT[month.month - 1]} {year % 100:02d}"
        return f"{TH_MONTHS[month.month - 1]} {year}"
    name = EN_MONTHS[month.month - 1]
    return f"{name[:3]} {month.year % 100:02d}" if short else f"{name} {month.year}"


def fmt_date(day: pd.Timestamp, lang: Lang = "en", *, buddhist_era: bool = True) -> str:
    """'31 October 2026' / '31 ตุลาคม 2569'."""
    return f"{day.day} {fmt_month(day.to_period('M'), lang, buddhist_era=buddhist_era)}"


def fmt_multiple(value, *, signed: bool = False) -> str:
    """A multiple (pipeline coverage against quota) as everywhere in the reports: "1.2×".

    >>> fmt_multiple(1.169), fmt_multiple(0.6, signed=True), fmt_multiple(None)
    ('1.2×', '+0.6×', '–')
    """
    if _missing(value):
        return "–"
    return f"{_fixed(value, 1, signed)}×"


def fmt_value(key: str, value, lang: Lang = "en", currency: str = "THB") -> str:
    """Format a KPI value by its unit."""
    unit = KPIS[key].unit
    if unit == "currency":
        return fmt_currency(value, currency, lang)
    if unit == "currency_per_day":
        text = fmt_currency(value, currency, lang)
        return text if text == "–" else text + ("/วัน" if lang == "th" else "/day")
    if unit == "ratio":
        return fmt_percent(value, lang)
    if unit == "multiple":
        return fmt_multiple(value)
    if unit == "count":
        return fmt_number(value, lang)
    return fmt_number(value, lang, digits=2 if unit == "number" else 1)
