"""Revenue forecasts per team and for the company.

The flow: `prepare(ds, month)` gathers the inputs once per dataset and month (`inputs`); each
model of `models` and `statistical` forecasts a scope's monthly won revenue; `forecast_scope`
scores them on one rolling-origin backtest (`backtest`), and the backtest decides how they are
combined and blended and which forecast leads (`combine`); the quarter's quota outlook and the reps'
forecast categories come last (`outlook`).
"""

from analysis.forecast.backtest import (
    ForecastResult,
    SeriesForecast,
    forecast_scope,
    forecast_series,
)
from analysis.forecast.combine import (
    BASELINES,
    COMPONENTS,
    MARGIN,
    STATISTICAL,
    TOP,
    blend,
    blend_weights,
    calibrate,
    close_baseline,
    combine,
    headline,
    rank,
)
from analysis.forecast.inputs import ForecastData, prepare
from analysis.forecast.models import (
    MODELS,
    ForecastOptions,
    accuracy,
    pipeline_forecast,
    prophet_forecast,
    seasonal_naive,
    thai_working_days,
    trailing_mean,
)
from analysis.forecast.outlook import CATEGORY_ORDER, category_rollup, quarter_of
from analysis.forecast.statistical import arima_forecast, ets_forecast, theta_forecast

__all__ = [
    "MODELS",
    "STATISTICAL",
    "BASELINES",
    "TOP",
    "MARGIN",
    "COMPONENTS",
    "CATEGORY_ORDER",
    "ForecastOptions",
    "ForecastData",
    "ForecastResult",
    "prepare",
    "forecast_scope",
    "SeriesForecast",
    "forecast_series",
    "category_rollup",
    "quarter_of",
    "seasonal_naive",
    "trailing_mean",
    "prophet_forecast",
    "pipeline_forecast",
    "ets_forecast",
    "theta_forecast",
    "arima_forecast",
    "rank",
    "combine",
    "calibrate",
    "blend",
    "blend_weights",
    "headline",
    "close_baseline",
    "accuracy",
    "thai_working_days",
]
