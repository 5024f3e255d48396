"""Revenue forecasting: models on known series, metrics and weights by hand, no leakage."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import forecast as F
from analysis.cli import main
from analysis.data.dataset import load_dataset
from analysis.data.synth import SynthConfig, write_sample
from analysis.data.write import write_dataset
from analysis.months import next_month_start

# 30 months, two teams: enough history for a 12-fold backtest with 18 months before the first fold
FORECAST_CONFIG = SynthConfig(n_teams=2, reps_per_team=4, months=30, scale=0.6)
FAST = F.ForecastOptions(samples=300, folds=6)

pytestmark = pytest.mark.xdist_group("forecast")


@pytest.fixture(scope="module")
def forecast_ds(tmp_path_factory):
    return load_dataset(write_sample(tmp_path_factory.mktemp("fc") / "data", FORECAST_CONFIG))


def _series(values, start="2022-01") -> pd.Series:
    return pd.Series(
        np.asarray(values, dtype="float64"),
        index=pd.period_range(start, periods=len(values), freq="M"),
    )


def _rewrite(ds, tables, path):
    """`tables` written as a dataset with `ds`'s dataset.yaml (same as_of), loaded back."""
    meta = yaml.safe_load((ds.path / "dataset.yaml").read_text(encoding="utf-8"))
    return load_dataset(write_dataset(tables, path, meta=meta, fmt="parquet"))


# --- models on known series ---------------------------------------------------------------------


def test_prophet_recovers_known_trend_and_seasonality():
    t = np.arange(48)
    rng = np.random.default_rng(1)
    truth = lambda k: 1000 + 20 * k + 200 * np.sin(2 * np.pi * k / 12)  # noqa: E731
    y = _series(truth(t) + rng.normal(0, 10, len(t)))
    fitted: list = []
    additive = F.ForecastOptions(samples=200, prophet_log_scale=False)
    fc, samples = F.prophet_forecast(y, 6, additive, model_out=fitted)
    expected = truth(np.arange(48, 54))
    assert np.allclose(fc["yhat"], expected, rtol=0.05), (fc["yhat"].tolist(), expected)
    assert (fc["yhat_lower"] <= fc["yhat"]).all() and (fc["yhat"] <= fc["yhat_upper"]).all()
    assert samples.shape == (6, 200)
    _, components = fitted
    slope = np.polyfit(t, components["trend"].to_numpy(), 1)[0]
    assert slope == pytest.approx(20, rel=0.15)
    amplitude = (components["yearly"].max() - components["yearly"].min()) / 2
    assert amplitude == pytest.approx(200, rel=0.15)


def test_prophet_on_the_log_scale_recovers_a_multiplicative_series():
    """Growth of 2% a month with a season of +-20% of the level: on the log scale both are
    linear, and the components come back in revenue (the season in proportion to the level)."""
    t = np.arange(48)
    rng = np.random.default_rng(2)
    truth = lambda k: 1000 * 1.02**k * (1 + 0.2 * np.sin(2 * np.pi * k / 12))  # noqa: E731
    y = _series(truth(t) * np.exp(rng.normal(0, 0.01, len(t))))
    fitted: list = []
    fc, samples = F.prophet_forecast(y, 6, F.ForecastOptions(samples=200), model_out=fitted)
    assert np.allclose(fc["yhat"], truth(np.arange(48, 54)), rtol=0.05)
    assert (samples > 0).all()
    _, components = fitted
    growth = np.polyfit(t, np.log(components["trend"].to_numpy()), 1)[0]
    assert growth == pytest.approx(np.log(1.02), rel=0.15)
    # the season's swing grows with the level: its last year about 1.02^36 times its first
    swing = components["yearly"].abs().groupby(t // 12).max().to_numpy()
    assert swing[-1] / swing[0] == pytest.approx(1.02**36, rel=0.2)


def test_prophet_never_returns_the_floor_for_a_falling_positive_series():
    """Issue 16: a series whose trend turned negative was floored at 0 for all 18 months. Revenue
    falling by a third of its start over two and a half years, still positive, goes on falling
    towards zero without reaching it (the linear model crossed zero and was clipped flat)."""
    t = np.arange(30)
    rng = np.random.default_rng(3)
    y = _series(np.maximum(900 - 30 * t + rng.normal(0, 15, len(t)), 20))
    fc, _ = F.prophet_forecast(y, 18, F.ForecastOptions(samples=200))
    assert (fc["yhat"] > 0).all() and (fc["yhat_lower"] > 0).all(), fc["yhat"].tolist()
    # still falling (not a flat line), a year on below where it starts
    assert fc["yhat"].iloc[12:].max() < fc["yhat"].iloc[:6].min() < y.iloc[-6:].mean()


def test_blend_by_hand():
    """The blend per horizon: the weighted mean of the components' forecasts and band edges; no
    band where a weighted component has none; a component weighted 0 is left out, and a horizon
    whose every weight is 0 has no blend."""
    months = pd.period_range("2026-11", periods=3, freq="M")
    forecasts = pd.DataFrame(
        {
            "model": ["combined", "pipeline"] * 3 + ["ets"],
            "month": [m for m in months for _ in range(2)] + [months[0]],
            "h": [1, 1, 2, 2, 3, 3, 1],
            "yhat": [100.0, 200.0, 110.0, 210.0, 120.0, 220.0, 999.0],
            "yhat_lower": [80.0, 150.0, 90.0, np.nan, 100.0, 170.0, 0.0],
            "yhat_upper": [120.0, 260.0, 130.0, np.nan, 140.0, 270.0, 0.0],
        }
    )
    weights = pd.DataFrame(
        {
            "h": [1, 1, 2, 2, 3, 3],
            "model": ["combined", "pipeline"] * 3,
            "weight": [0.25, 0.75, 0.5, 0.5, 0.0, 0.0],
        }
    )
    b = F.blend(forecasts, weights)
    assert b["h"].tolist() == [1, 2] and b["month"].tolist() == list(months[:2])
    assert b["yhat"].tolist() == [0.25 * 100 + 0.75 * 200, 0.5 * 110 + 0.5 * 210]
    assert b["yhat_lower"].iloc[0] == 0.25 * 80 + 0.75 * 150
    assert b["yhat_upper"].iloc[0] == 0.25 * 120 + 0.75 * 260
    assert b[["yhat_lower", "yhat_upper"]].iloc[1].isna().all()  # the pipeline had no band
    # weight 0 for the pipeline at h = 2: the combination alone, with its band
    alone = F.blend(forecasts, weights.assign(weight=[0.25, 0.75, 1.0, 0.0, 0.0, 0.0]))
    assert alone.iloc[1][["yhat", "yhat_lower", "yhat_upper"]].tolist() == [110.0, 90.0, 130.0]
    assert F.blend(forecasts, weights.assign(weight=0.0)).empty


def test_prophet_draws_its_sample_paths_only_when_asked():
    """A backtest cutoff needs Prophet's forecast and band, not its 1,000 predictive sample
    paths (only the final forecast's quota outlook sums them): without them, the same forecast."""
    y = _series(1000 + 10 * np.arange(30) + np.random.default_rng(1).normal(0, 20, 30))
    options = F.ForecastOptions(samples=200)
    with_paths, paths = F.prophet_forecast(y, 6, options)
    without, none = F.prophet_forecast(y, 6, options, samples=False)
    assert paths.shape == (6, 200) and none is None
    pd.testing.assert_frame_equal(with_paths, without, check_exact=True)


def test_ets_recovers_a_damped_trend():
    """A level of 100 whose monthly growth of 20 dies away by 15% a month: ETS picks a damped
    form and its forecasts follow the flattening curve, not a straight line."""
    rng = np.random.default_rng(4)
    phi, level, trend, values = 0.85, 100.0, 20.0, []
    for _ in range(40):
        trend *= phi
        level += trend
        values.append(level + rng.normal(0, 0.3))
    y = _series(values)
    fit = F.statistical.ets_fit(y)
    assert fit.model.damped_trend and fit.model.trend == "add"
    truth = [level + sum(trend * phi**j for j in range(1, k + 1)) for k in range(1, 7)]
    fc = F.ets_forecast(y, 6)
    assert np.allclose(fc["yhat"], truth, rtol=0.01), (fc["yhat"].tolist(), truth)
    assert (fc["yhat_lower"] < fc["yhat"]).all() and (fc["yhat"] < fc["yhat_upper"]).all()


def test_theta_and_arima_recover_a_trend_with_a_proportional_season():
    """Growth of 5 a month with a season of +-15% of the level: both adjust for the season
    (found by the test both share), forecast the trend and put it back."""
    t = np.arange(48)
    rng = np.random.default_rng(5)
    truth = lambda k: (500 + 5 * k) * (1 + 0.15 * np.sin(2 * np.pi * k / 12))  # noqa: E731
    y = _series(truth(t) + rng.normal(0, 3, len(t)))
    indices, kind = F.statistical.seasonal_indices(y)
    assert kind == "mul" and indices.max() == pytest.approx(1.15, abs=0.02)
    expected = truth(np.arange(48, 54))
    for model in (F.theta_forecast, F.arima_forecast):
        fc = model(y, 6)
        assert np.allclose(fc["yhat"], expected, rtol=0.03), (model.__name__, fc["yhat"].tolist())
        assert (fc["yhat_lower"] < fc["yhat"]).all() and (fc["yhat"] < fc["yhat_upper"]).all()
    # no season in noise around a level: nothing to adjust
    assert F.statistical.seasonal_indices(_series(500 + rng.normal(0, 5, 48))) is None


def test_arima_recovers_an_autoregressive_series():
    """y - 100 = 0.7 (y[-1] - 100) + e, cut where it stands well away from 100: the forecast
    decays back towards 100 as 0.7^h."""
    rng = np.random.default_rng(8)
    v = [100.0]
    for _ in range(200):
        v.append(100 + 0.7 * (v[-1] - 100) + rng.normal(0, 1))
    end = max(k for k in range(60, len(v)) if abs(v[k] - 100) > 2.5) + 1
    y = _series(v[:end])
    assert F.statistical.seasonal_indices(y) is None  # nothing seasonal to adjust here
    fc = F.arima_forecast(y, 4)
    expected = [100 + (v[end - 1] - 100) * 0.7**h for h in range(1, 5)]
    assert np.allclose(fc["yhat"], expected, atol=0.6), (fc["yhat"].tolist(), expected)


# --- combination, by hand ----------------------------------------------------------------------


def test_rank_combine_and_calibrate_by_hand():
    errors = pd.DataFrame(
        {
            "model": ["ets", "ets", "theta", "theta", "arima", "arima", "prophet", "prophet"],
            "actual": [100.0] * 8,
            "yhat": [90.0, 104.0, 98.0, 101.0, 80.0, 130.0, 95.0, 106.0],
        }
    )
    # mean absolute errors: ets 7, theta 1.5, arima 25, prophet 5.5
    order = F.rank(errors, ["ets", "theta", "arima", "prophet"])
    assert order == ["theta", "prophet", "ets", "arima"]
    month = pd.Period("2026-11", "M")
    forecasts = pd.DataFrame(
        {
            "model": ["ets", "theta", "arima", "prophet"],
            "month": month,
            "h": 1,
            "yhat": [110.0, 100.0, 300.0, 104.0],
            "yhat_lower": [90.0, 80.0, 200.0, 94.0],
            "yhat_upper": [130.0, 120.0, 400.0, 114.0],
        }
    )
    c = F.combine(forecasts, order[:2])
    # mean of theta's 100 and prophet's 104; band edges averaged: (80 + 94) / 2, (120 + 114) / 2
    assert c["yhat"].tolist() == [102.0]
    assert c["yhat_lower"].iloc[0] == pytest.approx(87.0)
    assert c["yhat_upper"].iloc[0] == pytest.approx(117.0)
    # three members: their mean, not their median (104) -- issue 16, round 3
    assert F.combine(forecasts, order[:3])["yhat"].iloc[0] == pytest.approx((100 + 104 + 110) / 3)
    # earlier errors of the combination against their half-widths (10 each): ratios 0.1 .. 1.0
    # and 2.0; the band is scaled by their 80th percentile
    past = pd.DataFrame(
        {
            "actual": [100.0 + k for k in [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20]],
            "yhat": 100.0,
            "yhat_lower": 90.0,
            "yhat_upper": 110.0,
        }
    )
    ratios = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20]) / 10
    scale = np.quantile(ratios, 0.8)
    out, s = F.calibrate(c, past)
    assert s == pytest.approx(scale)
    assert out["yhat_lower"].iloc[0] == pytest.approx(102 - scale * (102 - 87))
    assert out["yhat_upper"].iloc[0] == pytest.approx(102 + scale * (117 - 102))
    assert F.calibrate(c, past.iloc[:9])[1] == 1.0  # under ten earlier errors: left as it is
    # earlier bands that were already scaled (here by 2: half-widths 20) are measured at the
    # members' own width (10), as the new band is: the same s
    wider = past.assign(yhat_lower=80.0, yhat_upper=120.0)
    assert F.calibrate(c, wider, pd.Series(2.0, index=wider.index))[1] == pytest.approx(scale)
    assert F.calibrate(c, wider)[1] == pytest.approx(scale / 2)


def test_a_calibrated_band_covers_80_percent_by_simulation():
    """A model whose 80% band is half as wide as its errors need covers about 47%; scaled on
    300 earlier errors, the band covers 80% of new ones."""
    rng = np.random.default_rng(7)
    z = 1.2815515655446004  # the 90th percentile of the standard normal
    half = z * 1.0  # the model's band assumes sd 1; its errors have sd 2

    def rows(n):
        return pd.DataFrame(
            {
                "actual": 100 + rng.normal(0, 2, n),
                "yhat": 100.0,
                "yhat_lower": 100 - half,
                "yhat_upper": 100 + half,
            }
        )

    past, new = rows(300), rows(20_000)
    inside = lambda f: (new["actual"] >= f["yhat_lower"]) & (new["actual"] <= f["yhat_upper"])  # noqa: E731
    assert inside(new).mean() == pytest.approx(0.47, abs=0.02)
    frame = new[["yhat", "yhat_lower", "yhat_upper"]].assign(month=0, h=1)
    calibrated, s = F.calibrate(frame, past)
    assert s == pytest.approx(2.0, rel=0.15)
    assert inside(calibrated).mean() == pytest.approx(0.80, abs=0.03)


def test_seasonal_naive_and_trailing_mean_by_hand():
    y = _series(np.arange(1, 25))  # 1..24
    sn = F.seasonal_naive(y, 14)
    # month 25 repeats month 13 (value 13), month 37 repeats month 25 -> again 13
    assert sn["yhat"].tolist() == [*range(13, 25), 13.0, 14.0]
    # in-sample seasonal errors are all 12: the 80% band is [point + 12, point + 12]
    assert (sn["yhat_lower"] == sn["yhat"] + 12).all()
    tm = F.trailing_mean(y, 2, window=4)
    assert tm["yhat"].tolist() == [22.5, 22.5]  # (21 + 22 + 23 + 24) / 4
    assert tm["month"].astype(str).tolist() == ["2024-01", "2024-02"]
    with pytest.raises(ValueError, match="needs 12 months"):
        F.seasonal_naive(_series([1.0] * 11), 3)


def test_thai_working_days_count_songkran():
    days = F.thai_working_days(pd.period_range("2026-04", "2026-05", freq="M"))
    # April 2026: 22 weekdays; Chakri Day (Mon 6) and Songkran (Mon 13 - Wed 15) are holidays
    assert days[0] == 22 - 4
    assert 18 <= days[1] <= 21  # May: Labour Day, Coronation Day, Visakha Bucha (by the calendar)


# --- metrics and weights by hand ----------------------------------------------------------------


def test_accuracy_metrics_by_hand():
    errors = pd.DataFrame(
        {
            "model": ["m"] * 4,
            "h": [1, 1, 2, 2],
            "actual": [100.0, 0.0, 200.0, 50.0],
            "yhat": [110.0, 0.0, 150.0, 60.0],
            "yhat_lower": [90.0, 1.0, 160.0, np.nan],
            "yhat_upper": [120.0, 2.0, 240.0, np.nan],
        }
    )
    m = F.accuracy(errors, scale=20.0).set_index("h")
    # h=1: APE only where actual != 0 -> 10/100; sMAPE 2*10/210 and 0 (0 vs 0)
    assert m.loc[1, "mape"] == pytest.approx(0.1)
    assert m.loc[1, "smape"] == pytest.approx((20 / 210 + 0) / 2)
    assert m.loc[1, "mase"] == pytest.approx((10 + 0) / 2 / 20)
    assert m.loc[1, "coverage_80"] == pytest.approx(0.5)  # 100 in [90,120]; 0 not in [1,2]
    # all horizons: MAPE over 10/100, 50/200, 10/50
    assert m.loc[0, "mape"] == pytest.approx((0.1 + 0.25 + 0.2) / 3)
    assert m.loc[0, "mase"] == pytest.approx((10 + 0 + 50 + 10) / 4 / 20)
    assert m.loc[0, "coverage_80"] == pytest.approx(2 / 3)  # 3 rows with a band, 200 inside
    assert m.loc[0, "n"] == 4


def test_blend_weights_are_inverse_mse_by_horizon():
    errors = pd.DataFrame(
        {
            "model": ["combined", "combined", "pipeline", "pipeline", "combined"],
            "h": [1, 1, 1, 1, 2],
            "actual": [10.0, 10.0, 10.0, 10.0, 10.0],
            "yhat": [11.0, 9.0, 12.0, 8.0, 13.0],
        }
    )
    w = F.blend_weights(errors, 3).set_index(["h", "model"])["weight"]
    # h=1: MSE combined 1, pipeline 4 -> 1/1 : 1/4 = 0.8 : 0.2
    assert w[(1, "combined")] == pytest.approx(0.8)
    assert w[(1, "pipeline")] == pytest.approx(0.2)
    # h=2 lacks pipeline errors: pooled MSE combined (1+1+9)/3, pipeline 4
    inv_p, inv_q = 3 / 11, 1 / 4
    assert w[(2, "combined")] == pytest.approx(inv_p / (inv_p + inv_q))
    assert F.blend_weights(errors.iloc[:0], 1)["weight"].tolist() == [0.5, 0.5]


def test_pipeline_forecast_by_hand():
    # cutoff 2026-03 (c); one calibration origin (c - 1 = 2026-02) for h = 1
    c = pd.Period("2026-03", "M")
    o = (c - 1).ordinal
    rows = [(f"N{i}", "negotiation", 1, 100.0) for i in range(6)]  # 6 deals, 600 open
    rows += [("P0", "prospecting", 1, 100.0), ("P1", "prospecting", 1, 100.0)]
    pipe = pd.DataFrame(rows, columns=["opportunity_id", "stage", "due", "amount"]).assign(origin=o)
    now = pd.DataFrame(
        [("X0", "negotiation", 1, 300.0), ("X1", "negotiation", 1, 300.0)]
        + [("X2", "prospecting", 1, 100.0)],
        columns=["opportunity_id", "stage", "due", "amount"],
    ).assign(origin=c.ordinal)
    pipe = pd.concat([pipe, now], ignore_index=True)
    won = pd.DataFrame(
        {
            "opportunity_id": ["N0", "N1", "N2", "NEW"],
            "created": [o - 1, o - 1, o - 1, c.ordinal],
            "closed": [c.ordinal] * 4,
            "amount": [100.0, 120.0, 100.0, 50.0],  # N1 was re-scoped up before it was won
        }
    )
    actual = _series([500.0, 600.0, 370.0], start="2026-01")
    fc = F.pipeline_forecast(pipe, won, actual, c, 1, calibration_months=1)
    # negotiation/due 1: 6 deals, 320 won of 600 open; prospecting has 2 (< 5) deals: it backs
    # off to all pipeline, 320 of 800; deals created after the origin added 50 in month c
    expected = 600 * 320 / 600 + 100 * 320 / 800 + 50
    assert fc["yhat"].iloc[0] == pytest.approx(expected)
    assert str(fc["month"].iloc[0]) == "2026-04"


# --- end to end on generated data ---------------------------------------------------------------


@pytest.fixture(scope="module")
def company(forecast_ds):
    month = forecast_ds.latest_complete_month
    data = F.prepare(forecast_ds, month)
    return data, F.forecast_scope(data, None, FAST)


def test_forecast_result_shape(forecast_ds, company):
    data, r = company
    assert r.prophet_status == "ok" and r.notes == []
    assert set(r.forecast["model"]) == set(F.MODELS)
    assert (r.forecast.groupby("model").size() == FAST.horizon).all()
    assert r.cutoffs == [str(data.month - k) for k in range(FAST.folds, 0, -1)]
    assert (r.backtest["month"] <= data.month).all()
    assert (r.backtest["month"] > r.backtest["cutoff"]).all()
    overall = r.metrics[r.metrics["h"].eq(0)].set_index("model")
    assert set(overall.index) == set(F.MODELS)
    assert overall["coverage_80"].between(0, 1).all()
    # the company's history is the KPI engine's revenue, on the data as it was at the month's end
    from analysis.metrics.asof import as_of
    from analysis.metrics.kpis import kpi_table
    from analysis.months import next_month_start

    cut = as_of(forecast_ds, next_month_start(data.month))
    k = kpi_table(cut, [data.month], level="company")
    assert r.history["revenue"].iloc[-1] == pytest.approx(k["revenue"].iloc[0])
    team_sum = sum(
        F.forecast_scope(data, t, replace(FAST, folds=3)).history["revenue"].iloc[-1]
        for t in data.ds["teams"]["team_id"]
    )
    assert team_sum == pytest.approx(r.history["revenue"].iloc[-1])


def test_blend_weights_come_from_backtest_errors_only(company):
    _, r = company
    bt = r.backtest
    # final weights: inverse MSE over all folds, recomputed here by hand for h = 1
    mse = {
        m: float(((g["actual"] - g["yhat"]) ** 2).mean())
        for m, g in bt[bt["h"].eq(1) & bt["model"].isin(F.COMPONENTS)].groupby("model")
    }
    w_comb = (1 / mse["combined"]) / (1 / mse["combined"] + 1 / mse["pipeline"])
    final = r.weights.set_index(["h", "model"])["weight"]
    assert final[(1, "combined")] == pytest.approx(w_comb)
    # the blend in fold c uses only errors whose month was observed by c
    c = sorted(bt["cutoff"].unique())[-1]
    seen = bt[(bt["month"] <= c) & bt["h"].eq(1) & bt["model"].isin(F.COMPONENTS)]
    mse_c = {m: float(((g["actual"] - g["yhat"]) ** 2).mean()) for m, g in seen.groupby("model")}
    wp = (1 / mse_c["combined"]) / (1 / mse_c["combined"] + 1 / mse_c["pipeline"])
    at = bt[bt["cutoff"].eq(c) & bt["h"].eq(1)].set_index("model")["yhat"]
    assert at["blend"] == pytest.approx(wp * at["combined"] + (1 - wp) * at["pipeline"])
    # and the final blend applies the final weights
    f = r.forecast[r.forecast["h"].eq(1)].set_index("model")["yhat"]
    assert f["blend"] == pytest.approx(w_comb * f["combined"] + (1 - w_comb) * f["pipeline"])


def test_the_combination_at_each_cutoff_uses_only_errors_seen_by_then(company):
    """At a fold, the combination's members are the two statistical models with the lowest
    mean absolute error over the backtest months already passed, and it is their mean."""
    _, r = company
    bt = r.backtest
    for c in sorted(bt["cutoff"].unique())[-3:]:
        seen = bt[(bt["month"] <= c) & bt["model"].isin(F.STATISTICAL)]
        mae = (seen["actual"] - seen["yhat"]).abs().groupby(seen["model"]).mean()
        members = list(mae.sort_values().index[:2])
        at = bt[bt["cutoff"].eq(c)].pivot(index="h", columns="model", values="yhat")
        expected = at[members].mean(axis=1)
        assert np.allclose(at["combined"], expected), c
    # the final combination: ranked on every fold
    stats = bt[bt["model"].isin(F.STATISTICAL)]
    mae = (stats["actual"] - stats["yhat"]).abs().groupby(stats["model"]).mean()
    assert r.members == list(mae.sort_values().index[:2])


def test_backtest_fold_equals_the_forecast_made_at_its_cutoff(forecast_ds, company):
    """A fold sees only what was known at its cutoff: every model's forecasts equal a live run
    then. (The combination and the blend at a fold are decided on the errors of this run's
    earlier folds, which a live run at that cutoff, with folds further back, does not share;
    test_the_combination_at_each_cutoff_uses_only_errors_seen_by_then checks them.)"""
    data, r = company
    cutoff = data.month - 3
    live = F.forecast_scope(F.prepare(forecast_ds, cutoff), None, FAST).forecast
    fold = r.backtest[r.backtest["cutoff"].eq(cutoff)]
    for model in [m for m in F.MODELS if m not in F.COMPONENTS[:1] + ("blend",)]:
        a = fold[fold["model"].eq(model)].set_index("h")["yhat"]
        b = live[live["model"].eq(model)].set_index("h")["yhat"].reindex(a.index)
        assert np.allclose(a.to_numpy(), b.to_numpy(), rtol=1e-6), model


def test_changing_data_after_the_month_changes_nothing(forecast_ds, tmp_path):
    month = forecast_ds.latest_complete_month - 4
    after = next_month_start(month)
    t = {k: v.copy() for k, v in forecast_ds.tables.items()}
    o = t["opportunities"]
    later = o["closed_at"] > after
    # outcomes after the month flip, amounts change, and a new deal appears
    o.loc[later, "stage"] = np.where(
        o.loc[later, "stage"].eq("closed_won"), "closed_lost", "closed_won"
    )
    o.loc[later, "loss_reason"] = np.where(o.loc[later, "stage"].eq("closed_lost"), "price", None)
    created_later = o["created_at"] > after
    o.loc[created_later, "amount"] *= 3
    s = t["opportunity_snapshots"]
    s.loc[s["snapshot_date"] > after, "amount"] *= 5
    h = t["stage_history"]
    flip = h["entered_at"] > after
    h.loc[flip & h["stage"].isin(["closed_won", "closed_lost"]), "stage"] = h.loc[
        flip & h["stage"].isin(["closed_won", "closed_lost"]), "stage"
    ].map({"closed_won": "closed_lost", "closed_lost": "closed_won"})
    changed = _rewrite(forecast_ds, t, tmp_path / "changed")
    a = F.forecast_scope(F.prepare(forecast_ds, month), None, FAST)
    b = F.forecast_scope(F.prepare(changed, month), None, FAST)
    pd.testing.assert_frame_equal(a.forecast, b.forecast)
    pd.testing.assert_frame_equal(a.backtest, b.backtest)


def test_quota_outlook(company):
    data, r = company
    q = r.quota
    quarter = (data.month + 1).asfreq("Q")
    assert q["quarter"] == str(quarter)
    months = pd.period_range(quarter.asfreq("M", "start"), quarter.asfreq("M", "end"), freq="M")
    rev = data.revenue[data.revenue["scope_id"].eq("company")].set_index("month")
    assert q["quota"] == pytest.approx(rev["quota"].reindex(months).sum())
    booked = rev["revenue"].reindex([m for m in months if m <= data.month]).fillna(0).sum()
    assert q["booked"] == pytest.approx(booked)
    assert 0 <= q["probability"] <= 1
    assert q["remaining_months"] == [str(m) for m in months if m > data.month]


def test_quota_probability_follows_the_headline_and_its_band_by_hand():
    """The paths are re-centred on the headline model's forecast and scaled to its 80% band, so
    the probability agrees with what the table beside it shows. One remaining month, paths
    uniform on 0..1000 (10th-90th percentile range 800) and a headline of 600 with a band of
    400..800 (width 400): the paths become 600 + (x - 500) / 2; with 100 booked against a quota
    of 750, P(100 + path >= 750) = P(x >= 600) = 0.4."""
    from analysis.forecast.outlook import quota_outlook

    month = pd.Period("2026-11", "M")  # the quarter's last month, December, remains
    rev = pd.DataFrame(
        {
            "month": pd.period_range("2026-10", "2026-12", freq="M"),
            "revenue": [0.0, 100.0, np.nan],
            "quota": [250.0, 250.0, 250.0],
        }
    )
    fc = pd.DataFrame(
        {
            "model": ["blend", "seasonal_naive"],
            "month": month + 1,
            "h": 1,
            "yhat": [900.0, 600.0],
            "yhat_lower": [800.0, 400.0],
            "yhat_upper": [1000.0, 800.0],
        }
    )
    samples = np.linspace(0, 1000, 100_001)[None, :]
    q = quota_outlook(rev, month, fc, samples, "seasonal_naive")
    assert q["model"] == "seasonal_naive" and q["forecast_remaining"] == 600.0
    assert q["probability"] == pytest.approx(0.4, abs=1e-3)
    assert quota_outlook(rev, month, fc, samples)["probability"] == pytest.approx(1.0)


def test_short_history_is_marked_or_withheld(tmp_path):
    short = load_dataset(write_sample(tmp_path / "s", replace(FORECAST_CONFIG, months=18)))
    data = F.prepare(short, short.latest_complete_month)
    r = F.forecast_scope(data, "bangkok", FAST)
    assert r.prophet_status == "low_confidence" and "prophet_low_confidence" in r.notes
    assert r.components is not None and r.components["yearly"].isna().all()  # no seasonality fit
    data = F.prepare(short, short.latest_complete_month - 10)
    r = F.forecast_scope(data, "bangkok", FAST)
    assert len(r.history) < FAST.min_months_prophet
    assert r.prophet_status == "withheld" and "prophet_withheld" in r.notes
    assert "prophet" not in set(r.forecast["model"])
    assert "backtest_short" in r.notes
    assert r.forecast[r.forecast["model"].eq("blend")]["yhat"].notna().all()
    # numbers, not objects: pandas 3 made the frame object-typed (an empty combination was
    # concatenated), and the report's chart failed to draw it
    for column in ("h", "yhat", "yhat_lower", "yhat_upper"):
        assert pd.api.types.is_numeric_dtype(r.forecast[column]), column
    import matplotlib.pyplot as plt

    from analysis.reports import plots

    plt.close(plots.plot_forecast(r.history, r.forecast, models=("blend",)))


def test_zero_revenue_months_and_a_team_without_revenue(forecast_ds, tmp_path):
    t = {k: v.copy() for k, v in forecast_ds.tables.items()}
    o, reps = t["opportunities"], t["reps"]
    team_reps = set(reps.loc[reps["team_id"].eq("chiang-mai"), "rep_id"])
    bkk = set(reps.loc[reps["team_id"].eq("bangkok"), "rep_id"])
    month = forecast_ds.latest_complete_month
    # bangkok wins nothing in three recent months; chiang-mai never wins anything
    zero = o["closed_at"].dt.to_period("M").isin([month - 2, month - 5, month - 7])
    lose = o["stage"].eq("closed_won") & (
        (o["rep_id"].isin(bkk) & zero) | o["rep_id"].isin(team_reps)
    )
    o.loc[lose, "stage"] = "closed_lost"
    o.loc[lose, "loss_reason"] = "price"
    h = t["stage_history"]
    h.loc[
        h["opportunity_id"].isin(o.loc[lose, "opportunity_id"]) & h["stage"].eq("closed_won"),
        "stage",
    ] = "closed_lost"
    data = F.prepare(_rewrite(forecast_ds, t, tmp_path / "z"), month)
    r = F.forecast_scope(data, "bangkok", FAST)
    assert (r.history["revenue"] == 0).sum() >= 3
    m = r.metrics.dropna(subset=["smape"])
    assert np.isfinite(m["smape"]).all() and np.isfinite(m["mape"].dropna()).all()
    none = F.forecast_scope(data, "chiang-mai", FAST)
    assert none.notes == ["no_revenue"] and none.forecast.empty


def test_category_rollup_by_hand(forecast_ds):
    month = forecast_ds.latest_complete_month - 1
    month -= (month.month - 1) % 3  # a quarter's first month: something won in it already
    data = F.prepare(forecast_ds, month)
    roll = F.category_rollup(data, None).set_index("category")
    end = next_month_start(month)  # the first instant after the month
    quarter_end = (month + 1).asfreq("Q").asfreq("M", "end").end_time
    o = forecast_ds["opportunities"]
    open_then = o[(o["created_at"] < end) & ~(o["closed_at"] < end)]
    snaps = forecast_ds["opportunity_snapshots"]
    last = (
        snaps[snaps["snapshot_date"] < end]
        .sort_values("snapshot_date")
        .groupby("opportunity_id")
        .last()
    )
    rows = open_then.set_index("opportunity_id").join(last, suffixes=("", "_snap"))
    due = rows["expected_close_date_snap"].fillna(rows["expected_close_date"])
    # the category recorded then; a deal with no snapshot yet keeps its current one
    category = rows["forecast_category_snap"].fillna(rows["forecast_category"])
    amount = rows["amount_snap"].fillna(rows["amount"])
    in_quarter = due <= quarter_end
    commit = amount[in_quarter & category.eq("commit")].sum()
    assert roll.loc["commit", "amount"] == pytest.approx(commit)
    assert roll.loc["commit", "deals"] == (in_quarter & category.eq("commit")).sum()
    won = o[o["stage"].eq("closed_won") & (o["closed_at"] < end)]
    q_start = (month + 1).asfreq("Q").asfreq("M", "start").start_time
    assert roll.loc["won", "amount"] == pytest.approx(
        won[won["closed_at"] >= q_start]["amount"].sum()
    )
    assert roll.loc["won", "amount"] > 0
    assert roll.loc["best_case", "cumulative"] == pytest.approx(
        roll.loc["won", "amount"] + commit + roll.loc["best_case", "amount"]
    )


def test_cli_forecast_json(capsys, forecast_ds):
    month = str(forecast_ds.latest_complete_month)
    code = main(
        [
            "forecast",
            "--data",
            str(forecast_ds.path),
            "--month",
            month,
            "--team",
            "bangkok",
            "--horizon",
            "2",
            "--json",
        ]
    )
    assert code == 0
    out = json.loads(capsys.readouterr().out)
    rows = out["forecast"]
    assert {r["model"] for r in rows} == set(F.MODELS)
    assert set(rows[0]) == {"model", "month", "h", "yhat", "yhat_lower", "yhat_upper"}
    models = out["backtest"]["models"]
    assert set(models) == set(F.MODELS)
    assert set(models["blend"]) == {"mape", "smape", "mase", "coverage_80", "n"}
    assert len(out["backtest"]["cutoffs"]) == 12
    assert main(["forecast", "--data", str(forecast_ds.path), "--month", "2099-01"]) == 2
    assert "not complete" in capsys.readouterr().err


@pytest.mark.parametrize("lang", ["th", "en"])
def test_every_view_renders_on_a_full_history(forecast_ds, lang, monkeypatch):
    """The notebook's cells, called directly (the nbval run covers the short-history path)."""
    from matplotlib.figure import Figure

    from analysis.reports.views import forecast as views

    monkeypatch.setenv("AEM_DATA_DIR", str(forecast_ds.path))
    ctx = views.open_forecast(team="bangkok", lang=lang, horizon=3)
    assert ctx.options.horizon == 3 and ctx.result.prophet_status == "ok"
    outputs = [
        views.title(ctx),
        views.summary(ctx),
        views.forecast_chart(ctx),
        views.forecast_table(ctx),
        views.quota_outlook(ctx),
        views.category_table(ctx),
        views.backtest_chart(ctx),
        views.backtest_table(ctx),
        views.backtest_verdict(ctx),
        views.tracking_table(ctx),
        views.components_chart(ctx),
        views.method(ctx),
    ]
    figures = [o for o in outputs if isinstance(o, Figure)]
    assert len(figures) == 3
    text = " ".join(o.data for o in outputs if not isinstance(o, Figure))
    q = ctx.result.quota
    from analysis.i18n import fmt_currency, fmt_percent

    assert fmt_percent(q["probability"], digits=0) in text
    assert fmt_currency(q["booked"]) in text
    assert ("ไตรมาส" in text) == (lang == "th")


def test_backtest_verdict_names_no_winner_when_every_model_ties():
    """All-zero backtest months make every model's error equal: no "best" model, no winner."""
    from types import SimpleNamespace

    from analysis.reports.views.forecast import backtest_verdict

    def ctx(mase):
        metrics = pd.DataFrame(
            {
                "model": ["prophet", "seasonal_naive", "trailing_mean", "blend"],
                "h": 0,
                "mase": mase,
                "smape": [0.0, 0.0, 0.0, 0.0],
            }
        )
        result = SimpleNamespace(
            metrics=metrics,
            cutoffs=["2025-10", "2025-11", "2025-12"],
            best_model=lambda: "prophet",
            notes=notes,
        )
        return SimpleNamespace(result=result, lang="en")

    notes = []
    tie = backtest_verdict(ctx([0.0, 0.0, 0.0, 0.0])).data
    assert "no model can be called better" in tie and "most accurate" not in tie
    ranked = backtest_verdict(ctx([0.5, 0.9, 0.8, 0.6])).data
    assert "most accurate model was Prophet" in ranked
    # issue 15: with too few backtest months, no model is called the most accurate (the
    # summary's note says the backtest was too short)
    notes = ["backtest_short"]
    assert backtest_verdict(ctx([0.5, 0.9, 0.8, 0.6])).data == ""


def _summary_ctx(metrics, forecast, headline, members, lang="en"):
    """What the forecast summary reads, for a November 2026 forecast after a 12-month backtest
    whose most accurate model was the seasonal naive."""
    from types import SimpleNamespace

    month = pd.Period("2026-11", "M")
    result = SimpleNamespace(
        metrics=metrics,
        forecast=forecast,
        notes=[],
        quota={},
        headline=headline,
        members=members,
        cutoffs=[str(month - k) for k in range(12, 0, -1)],
        best_model=lambda: "seasonal_naive",
    )
    return SimpleNamespace(
        result=result,
        lang=lang,
        estimate=lambda v: f"฿{v:,.0f}",
        month=lambda m: "November 2026",
    )


def test_a_forecast_a_baseline_beat_never_leads():
    """Issue 16 (after 14): the company report led with the blend while its own text said the
    same-month-last-year baseline was more accurate. A forecast that a simpler model beat in the
    backtest no longer leads: the baseline's own forecast does, and the text says why."""

    from analysis.reports.views.forecast import summary

    metrics = pd.DataFrame(
        {
            "model": ["prophet", "seasonal_naive", "trailing_mean", "blend"],
            "h": 0,
            "mase": [1.1, 0.7, 0.85, 1.0],
            "smape": [0.1, 0.1, 0.1, 0.1],
        }
    )
    # the same month last year's 0.70 is 30% below the blend's 1.00: it leads
    assert F.headline(metrics) == "seasonal_naive"
    assert F.headline(metrics.assign(mase=[1.1, 1.05, 1.2, 1.0])) == "blend"  # none better
    assert F.headline(metrics, short=True) == "blend"  # too few cutoffs to tell
    month = pd.Period("2026-11", "M")
    forecast = pd.DataFrame(
        {
            "model": ["seasonal_naive", "trailing_mean", "blend"],
            "month": month,
            "h": 1,
            "yhat": [4_821_000.0, 5_000_000.0, 6_512_000.0],
            "yhat_lower": [4_000_000.0, 4_100_000.0, 5_000_000.0],
            "yhat_upper": [5_600_000.0, 5_900_000.0, 7_000_000.0],
        }
    )
    ctx = _summary_ctx(metrics, forecast, "seasonal_naive", ["ets", "theta", "prophet"])
    text = summary(ctx).data
    assert text.startswith(
        "Revenue in November 2026 is forecast at ฿4,821,000 (80% interval ฿4,000,000 – "
        "฿5,600,000). It is the Seasonal naive forecast: in the backtest it was clearly more "
        "accurate than the blend of the statistical models and the pipeline (MASE 0.70 against "
        "1.00, more than 20% lower)."
    ), text
    assert "6,512,000" not in text


def test_a_baseline_better_by_less_than_the_margin_is_named_not_followed():
    """Issue 16, round 3: a baseline leads only when its backtest MASE is more than 20% below
    the blend's (docs/forecasting.md: following it at any gap made real forecasts worse). When it
    was better by less, the blend leads and the text names the baseline with both errors; the
    summary names it once, and does not tell the reader to distrust the headline."""

    from analysis.reports.views.forecast import backtest_verdict, summary

    assert F.MARGIN == 0.2
    month = pd.Period("2026-11", "M")

    def metrics(naive, trailing):
        return pd.DataFrame(
            {
                "model": ["prophet", "seasonal_naive", "trailing_mean", "blend"],
                "h": 0,
                "mase": [1.1, naive, trailing, 1.0],
                "smape": [0.3, 0.2, 0.25, 0.21],
            }
        )

    # 20% below the blend's 1.00 is 0.80: 0.79 leads, 0.81 and 0.95 do not
    assert F.headline(metrics(0.79, 0.95)) == "seasonal_naive"
    assert F.close_baseline(metrics(0.79, 0.95)) is None  # it leads: not a near miss
    assert F.headline(metrics(0.81, 0.95)) == "blend"
    assert F.close_baseline(metrics(0.81, 0.95)) == "seasonal_naive"
    assert F.headline(metrics(0.95, 0.90)) == "blend"
    assert F.close_baseline(metrics(0.95, 0.90)) == "trailing_mean"  # the closer of the two
    assert F.close_baseline(metrics(1.05, 1.20)) is None  # the blend beat both
    assert F.close_baseline(metrics(0.81, 0.95), short=True) is None

    forecast = pd.DataFrame(
        {
            "model": ["ets", "theta", "seasonal_naive", "trailing_mean", "blend"],
            "month": month,
            "h": 1,
            "yhat": [6_000_000.0, 6_400_000.0, 4_821_000.0, 5_000_000.0, 6_512_000.0],
            "yhat_lower": [5_000_000.0, 5_100_000.0, 4_000_000.0, 4_100_000.0, 5_000_000.0],
            "yhat_upper": [7_000_000.0, 7_200_000.0, 5_600_000.0, 5_900_000.0, 7_000_000.0],
        }
    )
    ctx = _summary_ctx(metrics(0.9, 0.95), forecast, "blend", ["ets", "theta"])
    text = summary(ctx).data
    assert text.startswith(
        "Revenue in November 2026 is forecast at ฿6,512,000 (80% interval ฿5,000,000 – "
        "฿7,000,000). It is the mean of ETS and Theta (the 2 most accurate of the 2 statistical "
        "models in this backtest), blended with the pipeline model. The Seasonal naive forecast "
        "was slightly more accurate in the backtest (MASE 0.90 against 1.00), but a baseline "
        "leads only when its MASE is more than 20% lower"
    ), text
    verdict = backtest_verdict(ctx).data
    assert "treat its numbers with care" in verdict  # Prophet, not the headline, was beaten
    assert "Blend (combination + pipeline)" not in verdict, verdict
    assert text.count("Seasonal naive forecast was slightly more accurate") == 1
    th = summary(_summary_ctx(metrics(0.9, 0.95), forecast, "blend", ["ets", "theta"], "th")).data
    assert "MASE 0.90 เทียบ 1.00" in th and "20%" in th


def test_the_method_text_says_what_ran():
    """Issue 15: the method said "backtest over 12 cutoffs" and gave inverse-error weights
    (Prophet 0%, pipeline 100%) when no backtest ran and Prophet was withheld."""
    from types import SimpleNamespace

    from analysis.reports.params import load_forecast_params
    from analysis.reports.views.forecast import method

    options = load_forecast_params(None).options(None)

    def ctx(cutoffs, status, weights):
        result = SimpleNamespace(
            cutoffs=cutoffs,
            prophet_status=status,
            scope="company",
            members=[] if status == "withheld" else ["ets", "prophet"],
            band_scale=1.25,
            weights=pd.DataFrame(
                {"h": 1, "model": list(weights), "weight": list(weights.values())}
            ),
        )
        revenue = pd.DataFrame({"scope_id": ["company"] * 10})
        return SimpleNamespace(
            options=options, result=result, lang="en", data=SimpleNamespace(revenue=revenue)
        )

    none = method(ctx([], "withheld", {"combined": 0.0, "pipeline": 1.0})).data
    assert "No backtest ran: 10 months of revenue" in none
    assert "pipeline model alone" in none and "inverse" not in none and "cutoffs" not in none
    equal = method(ctx([], "low_confidence", {"combined": 0.5, "pipeline": 0.5})).data
    assert "equally" in equal and "inverse" not in equal
    ran = method(ctx(["2026-08", "2026-09"], "ok", {"combined": 0.19, "pipeline": 0.81})).data
    assert "backtest over 2 cutoffs" in ran and "Combination 19%, Pipeline 81%" in ran
    assert "mean of the 2 statistical models" in ran and "(now: ETS and Prophet)" in ran
    assert "scaled by 1.25" in ran and "combination" not in none


def test_a_month_a_model_cannot_forecast_is_explained():
    """Issue 15: the forecast table gave 3 of 6 months for a model with no reason for the
    others. A "–" in the table comes with the reason under it; a full table has no such note."""
    from types import SimpleNamespace

    from analysis.i18n import t
    from analysis.reports.params import load_forecast_params
    from analysis.reports.views.forecast import forecast_table

    options = load_forecast_params(None).options(None)
    months = pd.period_range("2026-11", periods=3, freq="M")

    def ctx(naive):
        rows = [
            {
                "model": m,
                "month": month,
                "h": h + 1,
                "yhat": y,
                "yhat_lower": 1.0,
                "yhat_upper": 9e6,
            }
            for m, ys in (("seasonal_naive", naive), ("blend", [5e6, 5e6, 5e6]))
            for h, (month, y) in enumerate(zip(months, ys, strict=True))
        ]
        return SimpleNamespace(
            result=SimpleNamespace(forecast=pd.DataFrame(rows), headline="blend"),
            lang="en",
            options=options,
            month=lambda m: str(m),
            estimate=lambda v: "–" if pd.isna(v) else f"{v:,.0f}",
        )

    note = t("fc_table_gaps", "en", min_prophet=options.min_months_prophet)
    assert note in forecast_table(ctx([4e6, np.nan, np.nan])).data
    assert note not in forecast_table(ctx([4e6, 4.5e6, 4.2e6])).data


def test_a_quarter_that_starts_next_month_has_nothing_won_and_says_when_it_starts():
    """At a quarter's last month the outlook is for the next quarter: none of its months has
    closed, so it is not started and nothing is booked; a month later it is under way."""
    from analysis.forecast.outlook import quota_outlook

    months = pd.period_range("2026-01", "2026-12", freq="M")
    rev = pd.DataFrame({"month": months, "revenue": 100.0, "quota": 120.0})
    fc = pd.DataFrame(columns=["model", "month", "h", "yhat", "yhat_lower", "yhat_upper"])
    ahead = quota_outlook(rev, pd.Period("2026-09", "M"), fc, None)
    assert (ahead["quarter"], ahead["starts"], ahead["started"]) == ("2026Q4", "2026-10", False)
    assert ahead["booked"] == 0.0 and ahead["quota"] == 360.0  # 3 months x 120
    assert ahead["remaining_months"] == ["2026-10", "2026-11", "2026-12"]
    under_way = quota_outlook(rev, pd.Period("2026-10", "M"), fc, None)
    assert (under_way["quarter"], under_way["started"]) == ("2026Q4", True)
    assert under_way["booked"] == 100.0  # October


@pytest.mark.parametrize("lang", ["th", "en"])
def test_the_quota_table_of_a_quarter_not_started_says_when_it_starts(forecast_ds, lang):
    from types import SimpleNamespace

    from analysis.i18n import fmt_currency, fmt_month, t
    from analysis.reports.views.forecast import quota_outlook

    q = {
        "quarter": "2026Q4",
        "starts": "2026-10",
        "started": False,
        "quota": 300.0,
        "booked": 0.0,
        "remaining_months": ["2026-10", "2026-11", "2026-12"],
        "forecast_remaining": None,
        "probability": None,
    }
    ctx = SimpleNamespace(
        report=SimpleNamespace(ds=forecast_ds, buddhist_era=True),
        result=SimpleNamespace(quota=q),
        lang=lang,
        money=lambda v: fmt_currency(v, "THB"),
        month=lambda m: fmt_month(m, lang),
    )
    html = quota_outlook(ctx).data
    assert t("fc_booked", lang) not in html
    assert t("fc_quarter_starts", lang) in html and fmt_month(pd.Period("2026-10"), lang) in html
    html = quota_outlook(
        SimpleNamespace(
            **{**vars(ctx), "result": SimpleNamespace(quota={**q, "started": True, "booked": 40.0})}
        )
    ).data
    assert t("fc_booked", lang) in html and fmt_currency(40.0, "THB") in html


def test_category_rollup_of_a_quarter_not_started_starts_at_commit(forecast_ds):
    """At a quarter's last month the reps' rollup is of the next quarter: no "won" row (nothing
    can be won in it yet), and the running total starts at commit."""
    month = forecast_ds.latest_complete_month - 1
    month -= month.month % 3  # the last month of the quarter before
    started = F.category_rollup(F.prepare(forecast_ds, month - 1), None)
    ahead = F.category_rollup(F.prepare(forecast_ds, month), None)
    assert started["category"].iloc[0] == "won"
    assert ahead["category"].tolist() == list(F.CATEGORY_ORDER)
    assert ahead.attrs["quarter"] == str((month + 1).asfreq("Q"))
    assert ahead["cumulative"].tolist() == pytest.approx(ahead["amount"].cumsum().tolist())
    assert ahead["cumulative"].iloc[0] == ahead["amount"].iloc[0]  # commit alone
