"""Revenue forecasts per team and for the company.

The flow: `prepare(ds, month)` gathers the inputs once per dataset and month (`inputs`); each
model of `models` forecasts a scope's monthly won revenue; `forecast_scope` scores them on one
rolling-origin backtest and blends them (`backtest`); the quarter's quota outlook and the reps'
forecast categories come last (`outlook`).
"""

from analysis.forecast.backtest import ForecastResult, forecast_scope
from analysis.forecast.inputs import ForecastData, prepare
from analysis.forecast.models import (
    COMPONENTS,
    MODELS,
    ForecastOptions,
    accuracy,
    blend_weights,
    pipeline_forecast,
    prophet_forecast,
    seasonal_naive,
    thai_working_days,
    trailing_mean,
)
from analysis.forecast.outlook import CATEGORY_ORDER, category_rollup, quarter_of

__all__ = [
    "MODELS",
    "COMPONENTS",
    "CATEGORY_ORDER",
    "ForecastOptions",
    "ForecastData",
    "ForecastResult",
    "prepare",
    "forecast_scope",
    "category_rollup",
    "quarter_of",
    "seasonal_naive",
    "trailing_mean",
    "prophet_forecast",
    "pipeline_forecast",
    "blend_weights",
    "accuracy",
    "thai_working_days",
]
