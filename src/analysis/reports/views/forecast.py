"""What `notebooks/revenue_forecast.ipynb` shows: one call per cell, every number from `forecast`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure

from analysis import forecast
from analysis.i18n import (
    Lang,
    fmt_chance,
    fmt_currency,
    fmt_month,
    fmt_number,
    fmt_percent,
    fmt_quarter,
    t,
)
from analysis.reports import capabilities, plots
from analysis.reports.capabilities import shows
from analysis.reports.context import ReportContext, finished, html_table, open_report
from analysis.reports.params import ForecastNotebookParams, load_forecast_params
from analysis.reports.text import escape, md_text

__all__ = [
    "ForecastContext",
    "open_forecast",
    "shared_forecast",
    "title",
    "heading",
    "data_note",
    "summary",
    "headline_note",
    "forecast_chart",
    "forecast_table",
    "backtest_chart",
    "backtest_table",
    "backtest_verdict",
    "quota_outlook",
    "category_table",
    "tracking_table",
    "components_chart",
    "method",
]

HISTORY_MONTHS = 24  # months of history shown before the forecast


@dataclass
class ForecastContext:
    report: ReportContext
    data: forecast.ForecastData
    options: forecast.ForecastOptions

    @property
    def lang(self) -> Lang:
        return self.report.lang

    @property
    def currency(self) -> str:
        return self.report.ds.currency

    @cached_property
    def result(self) -> forecast.ForecastResult:
        return forecast.forecast_scope(self.data, self.report.team, self.options)

    @cached_property
    def rollup(self) -> pd.DataFrame | None:
        return forecast.category_rollup(self.data, self.report.team)

    def month(self, month: pd.Period) -> str:
        return fmt_month(month, self.lang, buddhist_era=self.report.buddhist_era)

    def money(self, value) -> str:
        return fmt_currency(value, self.currency)

    def estimate(self, value) -> str:
        """A forecast, to the nearest thousand: more digits would claim precision it lacks."""
        return fmt_currency(value if pd.isna(value) else round(value, -3), self.currency)


def open_forecast(
    team: str | None = None,
    month: str | None = None,
    data_dir: str | None = None,
    lang: Lang = "th",
    horizon: int | None = None,
) -> ForecastContext:
    """Validate the parameters, load the dataset, and prepare the forecast inputs at the month."""
    params = ForecastNotebookParams(
        team=team, month=month, data_dir=data_dir, lang=lang, horizon=horizon
    )
    report = open_report(team=team, month=month, data_dir=data_dir, lang=lang)
    return shared_forecast(report, params.horizon)


_SHARED: dict[tuple, ForecastContext] = {}


def shared_forecast(report: ReportContext, horizon: int | None = None) -> ForecastContext:
    """The forecast of a report's scope and month, made once per kernel: page 1's brief reads
    the quarter outlook from the same result the forecast section shows (same data, same
    options, same numbers), and the backtest runs once."""
    options = load_forecast_params(report.team).options(horizon)
    key = (report.ds.content_hash, report.team, str(report.month), report.lang, repr(options))
    if key not in _SHARED:
        _SHARED.clear()  # one scope per kernel: keep the memory of one forecast only
        _SHARED[key] = ForecastContext(
            report, forecast.prepare(report.ds, report.month, report.team), options
        )
    return _SHARED[key]


def title(ctx: ForecastContext) -> Markdown:
    r = ctx.report
    return Markdown(
        f"# {t('forecast_title', ctx.lang)}: {md_text(r.scope_name)}\n\n"
        f"**{t('forecast_from', ctx.lang, month=r.month_label)}**"
    )


def heading(key: str, ctx: ForecastContext, level: int = 2) -> Markdown | None:
    """A section heading; nothing when the dataset lacks what the section needs."""
    ds = ctx.report.ds
    if not shows(key, ds):
        return None
    if key == "fc_section_forecast" and not ds.has("quotas"):
        key = "fc_section_forecast_no_quota"
    return Markdown(f"{'#' * level} {t(key, ctx.lang)}")


def data_note(ctx: ForecastContext) -> Markdown | None:
    """What this dataset cannot show (`capabilities.data_note`; a report keeps the first)."""
    text = capabilities.data_note(ctx.report.ds, ctx.lang, buddhist_era=ctx.report.buddhist_era)
    return Markdown(text) if text else None


def _optimistic(model: str, ctx: ForecastContext) -> bool:
    """Whether `model`'s backtest saw values known only as they are now: the pipeline model (and
    the blend that uses it) values each cutoff's open deals at today's amounts and expected close
    dates when the dataset has no snapshots."""
    return model in ("pipeline", "blend") and bool(capabilities.final_only(ctx.report.ds))


def _short(ctx: ForecastContext) -> bool:
    """Too few backtest cutoffs to say which model is more accurate."""
    return "backtest_short" in ctx.result.notes


def _model(name: str, lang: Lang) -> str:
    return t(f"model_{name}", lang)


def _overall(ctx: ForecastContext) -> pd.DataFrame:
    m = ctx.result.metrics
    return m[m["h"].eq(0)].set_index("model")


def summary(ctx: ForecastContext) -> Markdown:
    """The forecast in one paragraph: next month (the headline model's), what that number is, the
    quarter's outlook, how far to trust it."""
    r, lang = ctx.result, ctx.lang
    if "no_revenue" in r.notes:
        return Markdown(t("fc_no_revenue", lang))
    lead = r.forecast[r.forecast["model"].eq(r.headline)].set_index("h")
    parts = []
    if 1 in lead.index:
        row = lead.loc[1]
        band = (
            t(
                "fc_band",
                lang,
                low=ctx.estimate(row["yhat_lower"]),
                high=ctx.estimate(row["yhat_upper"]),
            )
            if pd.notna(row["yhat_lower"])
            else ""
        )
        parts.append(
            t(
                "fc_next_month",
                lang,
                month=ctx.month(row["month"]),
                value=ctx.estimate(row["yhat"]),
                band=band,
            )
        )
        parts.append(headline_note(ctx))
    q = r.quota
    if q.get("probability") is not None:
        parts.append(
            t(
                "fc_quota_sentence",
                lang,
                quarter=_quarter(q["quarter"], ctx),
                probability=fmt_chance(q["probability"]),
                quota=ctx.money(q["quota"]),
            )
        )
    parts.append(backtest_verdict(ctx).data)
    parts += [t(f"fc_note_{n}", lang) for n in r.notes]
    return Markdown(" ".join(p for p in parts if p))


def _names(models, lang: Lang) -> str:
    names = [_model(m, lang) for m in models]
    if len(names) < 2:
        return "".join(names)
    joiner = {"th": " และ ", "en": " and "}[lang]
    return ", ".join(names[:-1]) + joiner + names[-1]


def headline_note(ctx: ForecastContext) -> str:
    """What the headline number is: which models made it, why it is a baseline when one clearly
    beat the blend in the backtest, and which baseline did better by too little to lead
    (`combine.headline`, `combine.close_baseline`)."""
    r, lang, o = ctx.result, ctx.lang, _overall(ctx)
    if r.headline in forecast.BASELINES:
        return t(
            "fc_headline_baseline",
            lang,
            model=_model(r.headline, lang),
            mase=fmt_number(o.loc[r.headline, "mase"], digits=2),
            blend_mase=fmt_number(o.loc["blend", "mase"], digits=2),
            margin=fmt_percent(forecast.MARGIN, digits=0),
        )
    if not r.members:
        text = t("fc_headline_pipeline", lang)
    else:
        available = [m for m in forecast.STATISTICAL if m in set(r.forecast["model"])]
        text = t(
            "fc_headline_blend",
            lang,
            members=_names(r.members, lang),
            k=len(r.members),
            n=len(available),
        )
    close = forecast.close_baseline(r.metrics, r.headline, short=_short(ctx))
    if close is not None:
        text += " " + t(
            "fc_headline_close",
            lang,
            model=_model(close, lang),
            mase=fmt_number(o.loc[close, "mase"], digits=2),
            blend_mase=fmt_number(o.loc[r.headline, "mase"], digits=2),
            margin=fmt_percent(forecast.MARGIN, digits=0),
        )
    return text


def _quarter(quarter: str, ctx: ForecastContext) -> str:
    return fmt_quarter(quarter, ctx.lang, buddhist_era=ctx.report.buddhist_era)


def forecast_chart(ctx: ForecastContext) -> Figure:
    """The last 24 months, the headline forecast and Prophet with their 80% bands, and the
    quota."""
    r = ctx.result
    rev = ctx.data.revenue
    scope = rev[rev["scope_id"].eq(r.scope)]
    last = ctx.data.month + ctx.options.horizon
    history = scope[(scope["month"] > ctx.data.month - HISTORY_MONTHS) & (scope["month"] <= last)][
        ["month", "revenue", "quota"]
    ]
    return finished(
        plots.plot_forecast(
            history,
            r.forecast,
            models=tuple(dict.fromkeys((r.headline, "prophet"))),
            lang=ctx.lang,
            buddhist_era=ctx.report.buddhist_era,
        )
    )


def forecast_table(ctx: ForecastContext) -> HTML:
    """Each model's forecast by month (a row per model, the headline's first, a column per month),
    and the headline forecast's 80% interval."""
    r, lang = ctx.result, ctx.lang
    f = r.forecast
    if f.empty:
        return HTML(f"<p>{t('fc_no_revenue', lang)}</p>")
    wide = f.pivot(index="model", columns="month", values="yhat")
    # months some model forecasts but another does not (too short a history) show "–"
    order = [r.headline, *[m for m in forecast.MODELS if m in wide.index and m != r.headline]]
    order = [m for m in order if m in wide.index]
    lead = f[f["model"].eq(r.headline)].set_index("month").reindex(wide.columns)
    rows = [
        [_model(m, lang) + (" ★" if m == r.headline else "")]
        + [ctx.estimate(v) for v in wide.loc[m]]
        for m in order
    ]
    rows.append(
        [t("headline_interval", lang, model=_model(r.headline, lang))]
        + [
            "–"
            if pd.isna(lead.loc[m, "yhat_lower"])
            else f"{ctx.estimate(lead.loc[m, 'yhat_lower'])} – "
            f"{ctx.estimate(lead.loc[m, 'yhat_upper'])}"
            for m in wide.columns
        ]
    )
    frame = pd.DataFrame(rows, columns=[t("model", lang), *[ctx.month(m) for m in wide.columns]])
    table = html_table(frame, "forecast-table")
    notes = [t("fc_table_headline", lang)]
    if wide.loc[order].isna().any().any():  # the reader is told why a month has no forecast
        notes.append(t("fc_table_gaps", lang, min_prophet=ctx.options.min_months_prophet))
    return HTML(table.data + "".join(f"\n<p>{escape(n)}</p>" for n in notes))


def backtest_chart(ctx: ForecastContext) -> Figure | Markdown:
    m = ctx.result.metrics
    if m.empty:
        return Markdown(t("fc_note_backtest_short", ctx.lang))
    return finished(plots.plot_backtest_errors(m, lang=ctx.lang))


def backtest_table(ctx: ForecastContext) -> HTML:
    """Each model's backtest error over every fold and horizon."""
    o, lang = _overall(ctx), ctx.lang
    order = [m for m in forecast.MODELS if m in o.index]
    marked = [m for m in order if _optimistic(m, ctx)]
    frame = pd.DataFrame(
        {
            t("model", lang): [_model(m, lang) + (" †" if m in marked else "") for m in order],
            "MAPE": [fmt_percent(o.loc[m, "mape"]) for m in order],
            "sMAPE": [fmt_percent(o.loc[m, "smape"]) for m in order],
            "MASE": [fmt_number(o.loc[m, "mase"], digits=2) for m in order],
            t("coverage_80", lang): [fmt_percent(o.loc[m, "coverage_80"], digits=0) for m in order],
            t("n", lang): [int(o.loc[m, "n"]) for m in order],
        }
    )
    table = html_table(frame, "backtest-table")
    if marked:  # the mark explained under the table it marks
        return HTML(f"{table.data}\n<p>† {escape(t('fc_optimistic_note', lang))}</p>")
    return table


def backtest_verdict(ctx: ForecastContext) -> Markdown:
    """Says plainly whether Prophet (and the blend) beat the baselines in the backtest."""
    o, lang, r = _overall(ctx), ctx.lang, ctx.result
    if o.empty or _short(ctx):  # the summary's notes say the backtest was too short
        return Markdown("")
    folds = len(r.cutoffs)
    errors = o["mase"].dropna()
    if errors.empty or errors.max() - errors.min() < 1e-9:
        # every model equally (in)accurate, typically because the backtest months had no revenue:
        # naming a "best" model or a winner would be noise
        return Markdown(t("fc_backtest_no_signal", lang, folds=folds))
    baselines = [m for m in ("seasonal_naive", "trailing_mean") if m in o.index]
    best_base = min(baselines, key=lambda m: o.loc[m, "mase"]) if baselines else None
    best = r.best_model()
    parts = [
        t(
            "fc_best_model",
            lang,
            model=_model(best, lang)
            + (f" ({t('fc_optimistic', lang)})" if _optimistic(best, ctx) else ""),
            mase=fmt_number(o.loc[best, "mase"], digits=2),
            folds=folds,
        )
    ]
    parts.append(_prophet_rank(o, lang))
    for model in ("prophet", "blend"):
        if model not in o.index or best_base is None:
            continue
        beats = o.loc[model, "mase"] < o.loc[best_base, "mase"]
        if not beats and model == r.headline:
            # beaten by less than the margin: `headline_note` already names that baseline with
            # both errors and why it does not lead; no "treat with care" under the headline
            continue
        parts.append(
            t(
                "fc_beats" if beats else "fc_not_beats",
                lang,
                model=_model(model, lang),
                baseline=_model(best_base, lang),
                error=fmt_percent(o.loc[model, "smape"], digits=0),
                base_error=fmt_percent(o.loc[best_base, "smape"], digits=0),
            )
        )
    return Markdown(" ".join(parts))


def _prophet_rank(o: pd.DataFrame, lang: Lang) -> str:
    """Whether Prophet beat the other statistical models in this backtest ('' without it)."""
    stats = [m for m in forecast.STATISTICAL if m in o.index and pd.notna(o.loc[m, "mase"])]
    if "prophet" not in stats or len(stats) < 2:
        return ""
    better = [m for m in stats if o.loc[m, "mase"] < o.loc["prophet", "mase"]]
    if better:
        return t("fc_prophet_beaten", lang, models=_names(better, lang))
    return t("fc_prophet_best", lang, models=_names(stats, lang))


def quota_outlook(ctx: ForecastContext) -> HTML | Markdown | None:
    if not shows("fc_section_quota", ctx.report.ds):
        return None
    q, lang = ctx.result.quota, ctx.lang
    if not q or q.get("quota") is None:
        return Markdown(t("fc_no_quota", lang))
    rows = [
        (t("quarter", lang), _quarter(q["quarter"], ctx)),
        (t("quota", lang), ctx.money(q["quota"])),
        # a quarter not started yet has nothing won: when it starts, not "฿0 won so far"
        (t("fc_booked", lang), ctx.money(q["booked"]))
        if q.get("started", True)
        else (t("fc_quarter_starts", lang), ctx.month(pd.Period(q["starts"], "M"))),
    ]
    if q.get("forecast_remaining") is not None:
        model = _model(q.get("model", "blend"), lang)
        rows.append(
            (t("fc_blend_remaining", lang, model=model), ctx.estimate(q["forecast_remaining"]))
        )
    how = ""
    if q.get("probability") is not None:
        rows.append((t("fc_probability", lang), fmt_chance(q["probability"])))
        how = t(
            "fc_probability_method",
            lang,
            samples=fmt_number(q["samples"]),
            model=_model(q.get("model", "blend"), lang),
        )
    elif not q["remaining_months"]:
        rows.append((t("fc_probability", lang), t("fc_quarter_closed", lang)))
    else:
        rows.append((t("fc_probability", lang), t("fc_no_probability", lang)))
    # a two-column table headed by the quarter, not a list: a short table is kept on one page
    # with its heading (a list split, leaving the heading and one bullet at a page's foot); how
    # the probability was simulated goes under it (a table cell is cut at CELL_CHARS)
    table = html_table(pd.DataFrame(rows[1:], columns=list(rows[0])), "quota-outlook")
    return HTML(f"{table.data}\n<p>{escape(how)}</p>") if how else table


def category_table(ctx: ForecastContext) -> HTML | Markdown:
    """The reps' own call for the quarter: won so far, then commit, best case, pipeline."""
    roll, lang = ctx.rollup, ctx.lang
    if roll is None:
        return Markdown(t("fc_no_categories", lang))
    frame = pd.DataFrame(
        {
            t("category", lang): [t(f"cat_{c}", lang) for c in roll["category"]],
            t("deals", lang): [fmt_number(v) for v in roll["deals"]],
            t("amount", lang): [ctx.money(v) for v in roll["amount"]],
            t("cumulative", lang): [ctx.money(v) for v in roll["cumulative"]],
        }
    )
    return html_table(frame, "category-table")


def tracking_table(ctx: ForecastContext) -> HTML | Markdown:
    """The forecasts made one month ahead over the last year against what happened."""
    bt, lang = ctx.result.backtest, ctx.lang
    models = list(dict.fromkeys((ctx.result.headline, "prophet")))
    one = bt[bt["h"].eq(1) & bt["model"].isin(models)]
    if one.empty:
        return Markdown(t("fc_note_backtest_short", lang))
    wide = one.pivot(index="month", columns="model", values="yhat")
    actual = one.groupby("month")["actual"].first()
    frame = pd.DataFrame({t("month", lang): [ctx.month(m) for m in wide.index]})
    frame[t("actual", lang)] = [ctx.money(v) for v in actual.reindex(wide.index)]
    for model in models:
        if model in wide.columns:
            frame[_model(model, lang)] = [ctx.estimate(v) for v in wide[model]]
            err = wide[model] / actual.reindex(wide.index).where(lambda s: s != 0) - 1
            frame[f"{t('error', lang)} ({_model(model, lang)})"] = [
                fmt_percent(v, signed=True, digits=0) for v in err
            ]
    return html_table(frame, "tracking-table")


def components_chart(ctx: ForecastContext) -> Figure | Markdown:
    c = ctx.result.components
    if c is None:
        return Markdown(t("fc_note_prophet_withheld", ctx.lang))
    return finished(
        plots.plot_forecast_components(c, lang=ctx.lang, buddhist_era=ctx.report.buddhist_era)
    )


def method(ctx: ForecastContext) -> Markdown:
    """How the forecasts were made, from what ran: the backtest's cutoffs (or that none ran),
    the models with this run's settings, and how the blend was weighted."""
    o, r, lang = ctx.options, ctx.result, ctx.lang
    folds = len(r.cutoffs)
    if folds:
        parts = [t("fc_method_backtest", lang, folds=folds, horizon=o.horizon)]
    else:
        months = int(ctx.data.revenue["scope_id"].eq(r.scope).sum())
        parts = [t("fc_method_no_backtest", lang, months=months, needs=o.min_train_months + 1)]
    parts.append(
        t(
            "fc_method_models",
            lang,
            fourier=o.yearly_fourier_order,
            min_months=o.min_months,
            min_prophet=o.min_months_prophet,
            trailing=o.trailing_months,
        )
    )
    if r.members:
        parts.append(
            t(
                "fc_method_combination",
                lang,
                k=forecast.TOP,
                members=_names(r.members, lang),
                scale=fmt_number(r.band_scale, digits=2),
            )
        )
    weights = r.weights[r.weights["h"].eq(1)].set_index("model")["weight"]
    if r.prophet_status == "withheld" or not r.members:
        parts.append(t("fc_method_blend_pipeline", lang))
    elif not folds or not len(weights):
        parts.append(t("fc_method_blend_equal", lang))
    else:
        w = ", ".join(f"{_model(m, lang)} {fmt_percent(v, digits=0)}" for m, v in weights.items())
        parts.append(t("fc_method_blend_weights", lang, weights=w))
    parts.append(t("fc_method_mase", lang))
    return Markdown(" ".join(parts))
