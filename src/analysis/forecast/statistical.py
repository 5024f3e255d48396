"""The standard automatic forecasters, on a monthly revenue history like every model of `models`:
each takes `y` (a Series indexed by monthly Periods) and returns a frame of month, h, yhat,
yhat_lower, yhat_upper (an 80% interval), floored at zero (revenue is never negative).

- ets: exponential smoothing state space models (Hyndman et al. 2002, 2008), statsmodels'
  `ETSModel`. Error additive or multiplicative, trend none, additive or damped additive,
  seasonality none, additive or multiplicative (multiplicative parts only for a series that is
  positive throughout, additive error with multiplicative seasonality excluded as unstable, as
  in R's `forecast::ets`), the form chosen by the AICc. Seasonal forms need two full years.
  The initial states come from the heuristic of Hyndman et al. (2008, sec. 2.6.1) rather than
  being estimated with the smoothing parameters: in the exploration before the real-series
  benchmark was fixed (docs/forecasting.md) that was both more accurate and seven times faster.
- theta: the Theta method (Assimakopoulos & Nikolopoulos 2000; Hyndman & Billah 2003), statsmodels'
  `ThetaModel`: the series is seasonally adjusted by a classical decomposition when a test finds
  yearly seasonality (two full years needed), then simple exponential smoothing with drift.
- arima: ARIMA with its orders chosen automatically (Hyndman & Khandakar 2008: unit-root tests
  for the differencing, then a stepwise search by AICc), pmdarima's `auto_arima`, on the
  seasonally adjusted series where there is yearly seasonality (as R's `forecast::stlm`).
  Seasonal ARIMA terms were tried: they made each fit five to ten times slower (twelve more
  states in the Kalman filter), too slow to backtest every team within the report's budget.

Why these libraries: statsforecast (the fast AutoETS/AutoARIMA) pins pandas < 3, so it cannot sit
beside this project's pandas 3. statsmodels was already a dependency; pmdarima is the maintained
Python port of `forecast::auto.arima` and fits with statsmodels underneath.

Each fit runs with one BLAS thread: the optimisers call many small matrix routines, and when two
report kernels run at once, threaded BLAS made the same fits four to five times slower.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager

import numpy as np
import pandas as pd

from analysis.forecast import models

__all__ = ["ets_forecast", "theta_forecast", "arima_forecast", "seasonal_indices", "ETS_FORMS"]

_ALPHA = 1 - models.INTERVAL  # 80% intervals, as every model's
SEASON = 12
ETS_FORMS = tuple(
    (error, trend, damped, seasonal)
    for error in ("add", "mul")
    for trend, damped in ((None, False), ("add", False), ("add", True))
    for seasonal in (None, "add", "mul")
    if not (error == "add" and seasonal == "mul")
)


@contextmanager
def _quiet_single_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _frame(y: pd.Series, yhat, lower, upper) -> pd.DataFrame:
    """`models._frame` for the months after `y`, floored at zero."""
    return models._frame(
        models._future(y, len(yhat)),
        *(np.maximum(np.asarray(v, "float64"), 0.0) for v in (yhat, lower, upper)),
    )


def _dated(y: pd.Series) -> pd.Series:
    """statsmodels wants a dated index with a frequency (its ETS predictions fail on arrays)."""
    return pd.Series(
        y.to_numpy(dtype="float64"),
        index=pd.date_range(y.index[0].start_time, periods=len(y), freq="MS"),
    )


def ets_forms(y: pd.Series) -> list[tuple]:
    """The ETS forms that may be fitted to `y` (see the module doc)."""
    positive = bool((y > 0).all())
    seasonal_ok = len(y) >= 2 * SEASON
    return [
        f
        for f in ETS_FORMS
        if (positive or (f[0] == "add" and f[3] != "mul")) and (seasonal_ok or f[3] is None)
    ]


def ets_fit(y: pd.Series):
    """The ETS model with the lowest AICc among `ets_forms(y)` (statsmodels results)."""
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    data, best = _dated(y), None
    with _quiet_single_thread():
        for error, trend, damped, seasonal in ets_forms(y):
            try:
                fit = ETSModel(
                    data,
                    error=error,
                    trend=trend,
                    damped_trend=damped,
                    seasonal=seasonal,
                    seasonal_periods=SEASON if seasonal else None,
                    initialization_method="heuristic",
                ).fit(disp=False)
            except (ValueError, np.linalg.LinAlgError):
                continue
            if np.isfinite(fit.aicc) and (best is None or fit.aicc < best.aicc):
                best = fit
    if best is None:
        raise ValueError(f"no ETS form could be fitted to {len(y)} months")
    return best


def ets_forecast(y: pd.Series, horizon: int, seed: int = 0) -> pd.DataFrame:
    """Automatic ETS (the form with the lowest AICc) and its 80% prediction interval (analytic for
    additive forms, from 1,000 simulated paths otherwise).

    >>> y = pd.Series([10.0 + 2 * k for k in range(18)],
    ...               index=pd.period_range("2025-01", periods=18, freq="M"))
    >>> ets_forecast(y, 2)["yhat"].round(1).tolist()
    [46.0, 48.0]
    """
    fit = ets_fit(y)
    with _quiet_single_thread():
        pred = fit.get_prediction(
            start=len(y), end=len(y) + horizon - 1, rng=np.random.default_rng(seed)
        ).summary_frame(alpha=_ALPHA)
    return _frame(y, pred["mean"], pred["pi_lower"], pred["pi_upper"])


def theta_forecast(y: pd.Series, horizon: int) -> pd.DataFrame:
    """The Theta method with its 80% interval; seasonally adjusted where a test finds yearly
    seasonality (multiplicatively for a positive series, else additively)."""
    from statsmodels.tsa.forecasting.theta import ThetaModel

    seasonal = len(y) >= 2 * SEASON
    with _quiet_single_thread():
        fit = ThetaModel(
            _dated(y),
            period=SEASON if seasonal else 1,
            deseasonalize=seasonal,
            method="auto" if bool((y > 0).all()) else "additive",
        ).fit()
        point = fit.forecast(horizon)
        band = fit.prediction_intervals(horizon, alpha=_ALPHA)
    return _frame(y, point, band["lower"], band["upper"])


def seasonal_indices(y: pd.Series) -> tuple[np.ndarray, str] | None:
    """Yearly seasonal indices of `y` by a classical decomposition (multiplicative for a positive
    series, else additive), or None when there are under two years or the test Theta uses finds
    no yearly seasonality (n r_12^2 / sum r_k^2, k < 12, above the 10% point of chi2(1)).
    Returns (the 12 indices from the first month of `y` on, "mul" or "add")."""
    from statsmodels.tsa.seasonal import seasonal_decompose
    from statsmodels.tsa.stattools import acf

    v = y.to_numpy(dtype="float64")
    if len(v) < 2 * SEASON or np.ptp(v) == 0:
        return None
    rho = acf(v, nlags=SEASON, fft=True)
    if len(v) * rho[-1] ** 2 / np.sum(rho[:-1] ** 2) <= 2.705543454095404:
        return None
    kind = "mul" if bool((v > 0).all()) else "add"
    seasonal = seasonal_decompose(v, model=kind, period=SEASON).seasonal[:SEASON]
    if kind == "mul" and seasonal.min() <= 0:
        return None
    return np.asarray(seasonal), kind


def arima_forecast(y: pd.Series, horizon: int) -> pd.DataFrame:
    """Automatic ARIMA with its 80% interval, on the seasonally adjusted series where `y` has
    yearly seasonality (`seasonal_indices`), reseasonalised after (as R's `forecast::stlm` with
    ARIMA). Orders up to (2, d, 2), d by KPSS tests, chosen stepwise by AICc."""
    import pmdarima

    season = seasonal_indices(y)
    v = y.to_numpy(dtype="float64")
    n = len(v)
    if season is not None:
        indices, kind = season
        pos = np.arange(n) % SEASON
        v = v / indices[pos] if kind == "mul" else v - indices[pos]
    with _quiet_single_thread():
        fit = pmdarima.auto_arima(
            v,
            seasonal=False,
            information_criterion="aicc",
            stepwise=True,
            max_p=2,
            max_q=2,
            suppress_warnings=True,
            error_action="ignore",
        )
        point, band = fit.predict(horizon, return_conf_int=True, alpha=_ALPHA)
    lower, upper = band[:, 0], band[:, 1]
    if season is not None:
        ahead = indices[np.arange(n, n + horizon) % SEASON]
        if kind == "mul":
            point, lower, upper = point * ahead, lower * ahead, upper * ahead
        else:
            point, lower, upper = point + ahead, lower + ahead, upper + ahead
    return _frame(y, point, lower, upper)
