"""Figures for the reports: `plot_*(data, *, lang, ax=None) -> Figure`; they never show or save.

Labels come from `i18n`; the Thai-capable fonts are registered on import of this module.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, FuncFormatter, PercentFormatter

from analysis.funnel.estimators import weighted_median
from analysis.i18n import (
    Lang,
    fmt_month,
    fmt_multiple,
    fmt_number,
    fmt_percent,
    kpi_label,
    shorten,
    t,
)
from analysis.metrics.registry import KPIS
from analysis.reports import fonts

__all__ = [
    "PALETTE",
    "MODEL_COLORS",
    "plot_revenue_vs_quota",
    "plot_kpi_trend",
    "plot_rep_attainment",
    "plot_forecast",
    "plot_backtest_errors",
    "plot_forecast_components",
    "plot_forest",
    "plot_team_small_multiples",
    "plot_waterfall",
    "waterfall_steps",
    "MoneyAxis",
    "setup_style",
    "alt_text",
]

PALETTE = {
    "primary": "#1f5fa8",
    "quota": "#d9822b",
    "good": "#2e8540",
    "bad": "#c0392b",
    "muted": "#8c96a0",
    "text": "#1f2933",
}


MODEL_COLORS = {
    "ets": "#d95f02",
    "theta": "#e7298a",
    "arima": "#66a61e",
    "prophet": "#1f5fa8",
    "pipeline": "#2e8540",
    "combined": "#a6761d",
    "blend": "#6a3d9a",
    "seasonal_naive": "#8c96a0",
    "trailing_mean": "#c0a060",
}


def setup_style() -> None:
    """Seaborn's clean style with the Thai-capable fonts (idempotent)."""
    sns.set_theme(style="whitegrid", context="notebook")
    fonts.use_in_matplotlib.cache_clear()
    fonts.use_in_matplotlib()  # after set_theme, which resets font.family
    plt.rcParams["figure.dpi"] = 144  # crisp in HTML (scaled by CSS) and in the A4 PDF
    # names come from the data: "$5,000 and $10" is text, never mathtext (which garbles it or,
    # for a bad expression, fails the chart)
    plt.rcParams["text.parse_math"] = False


setup_style()


# data strings in charts are labels: names longer than this are cut (`i18n.shorten`; the tables
# beside the charts give them in full), so no name can widen a figure
LABEL_CHARS = 32
# a bar per rep or per group up to this many; past it, the lowest and highest half each
MAX_BARS = 40
# a small panel per team up to this many; past it, the lowest and highest half each
MAX_PANELS = 12
# no figure is taller than its width times this, however many rows the data has: the PDF page's
# text area (A4 less the margins of templates/report.typ.j2, 174 x 255 mm) less a heading kept
# with it. Taller, a figure drawn at the page's width ran off the foot of the page (the company's
# 60-rep chart lost its lowest reps and its axis).
MAX_ASPECT = 1.35
MAX_HEIGHT = 8 * MAX_ASPECT  # inches, for the 8-inch-wide figures


# a tick label that is a point of a scale ("0.0M", "−20%", "1,200", "1.5×"), not a name
_AXIS_NUMBER = re.compile(r"[−+-]?[\d.,]+\s*[%MK×]?")


def alt_text(fig: Figure) -> str:
    """What `fig` shows, in its own words (its titles, axis labels and legend entries, in the
    report's language), for the HTML image's alternative text: a screen reader and a search
    read the chart's subject instead of "No description has been provided for this image"."""
    parts = [fig._suptitle.get_text()] if fig._suptitle is not None else []
    for ax in fig.axes:
        if not ax.get_visible():
            continue
        bits = [ax.get_title(loc) for loc in ("left", "center", "right")]
        bits += [ax.get_xlabel(), ax.get_ylabel()]
        legend = ax.get_legend()
        if legend is not None:
            bits.append(", ".join(text.get_text() for text in legend.get_texts()))
        if not any(bits):  # a chart labelled on its bars or ticks (the funnel, the waterfall)
            ticks = [tick.get_text() for tick in ax.get_xticklabels() + ax.get_yticklabels()]
            words = [x for x in ticks if x and not _AXIS_NUMBER.fullmatch(x)]  # names, not scales
            bits.append(", ".join([*words, *(x.get_text() for x in ax.texts)]))
        parts.append(" — ".join(b for b in bits if b))
    for legend in fig.legends:
        parts.append(", ".join(text.get_text() for text in legend.get_texts()))
    return shorten("; ".join(dict.fromkeys(p for p in parts if p)), 300)


# legends sit above the plot, never on the data (a legend inside once covered the tallest bar)
_ABOVE = {"loc": "lower left", "bbox_to_anchor": (0, 1.0), "frameon": False, "borderaxespad": 0.2}


def _bounded(figsize: tuple[float, float]) -> tuple[float, float]:
    return figsize[0], min(figsize[1], figsize[0] * MAX_ASPECT)


def _axes(ax, figsize=(8, 3.6)):
    if ax is None:
        fig, ax = plt.subplots(figsize=_bounded(figsize), layout="constrained")
    else:
        fig = ax.figure
    return fig, ax


def _extremes(data: pd.DataFrame, lang: Lang) -> tuple[pd.DataFrame, str]:
    """`data` (sorted) cut to its MAX_BARS / 2 lowest and highest rows when longer, and the words
    saying so ("" when nothing was cut)."""
    if len(data) <= MAX_BARS:
        return data, ""
    half = MAX_BARS // 2
    note = t("chart_extremes", lang, n=half, total=len(data))
    return pd.concat([data.head(half), data.tail(half)]), f" ({note})"


def _scale(top: float) -> tuple[float, str]:
    """Millions, thousands or units, by the largest magnitude shown."""
    return (1e6, "M") if top >= 1e6 else (1e3, "K") if top >= 1e3 else (1.0, "")


def _short_amount(x, _pos=None) -> str:
    """One amount as a short label (a bar's value): 1.2M, 339K, 850."""
    unit, suffix = _scale(abs(x))
    return f"{x / unit:,.{1 if unit == 1e6 else 0}f}{suffix}"


class MoneyAxis(Formatter):
    """Axis labels for amounts: in millions, thousands or units by the largest tick, with the
    fewest decimals that tell every tick apart (0.05M steps read 0.00M, 0.05M, 0.10M ... where
    one decimal gave 0.1M, 0.1M, 0.1M). matplotlib hands the ticks to `set_locs` first."""

    def __init__(self):
        self.unit, self.suffix, self.decimals = 1e6, "M", 1

    def set_locs(self, locs):
        super().set_locs(locs)
        shown = [v for v in locs if np.isfinite(v)]
        self.unit, self.suffix = _scale(max((abs(v) for v in shown), default=0.0))
        for decimals in range(4):
            labels = [f"{v / self.unit:,.{decimals}f}" for v in shown]
            if len(set(labels)) == len(labels):
                break
        self.decimals = decimals

    def __call__(self, x, pos=None) -> str:
        if x == 0:
            return "0"
        return f"{x / self.unit:,.{self.decimals}f}{self.suffix}"


def plot_revenue_vs_quota(
    trend: pd.DataFrame, *, lang: Lang = "en", buddhist_era: bool = True, ax=None
) -> Figure:
    """Monthly won revenue (bars) against quota (line). `trend`: month (Period), revenue, quota."""
    fig, ax = _axes(ax)
    x = np.arange(len(trend))
    ax.bar(x, trend["revenue"], color=PALETTE["primary"], label=t("revenue", lang), width=0.7)
    if trend["quota"].notna().any():
        ax.plot(x, trend["quota"], color=PALETTE["quota"], marker="o", lw=2, label=t("quota", lang))
    ax.set_xticks(
        x,
        [fmt_month(m, lang, buddhist_era=buddhist_era, short=True) for m in trend["month"]],
        rotation=0,
        fontsize=8,
    )
    ax.yaxis.set_major_formatter(MoneyAxis())
    ax.set_ylabel(t("revenue", lang))  # the tick labels carry the unit (K, M)
    ax.legend(**_ABOVE, ncols=2)
    ax.grid(axis="x", visible=False)
    sns.despine(ax=ax)
    return fig


def plot_kpi_trend(
    kpis: pd.DataFrame, key: str, *, lang: Lang = "en", buddhist_era: bool = True, ax=None
) -> Figure:
    """One KPI over the months, a line per scope. `kpis`: name (or scope_id), month (Period) and
    the KPI column `key`, as `analysis.kpis` returns them."""
    fig, ax = _axes(ax)
    label = "name" if "name" in kpis else "scope_id"
    months = sorted(kpis["month"].unique())
    x = {m: i for i, m in enumerate(months)}
    for name, rows in kpis.groupby(label, sort=True):
        rows = rows.sort_values("month")
        ax.plot([x[m] for m in rows["month"]], rows[key].astype(float), marker="o", label=name)
    ax.set_xticks(
        range(len(months)),
        [fmt_month(m, lang, buddhist_era=buddhist_era, short=True) for m in months],
        fontsize=8,
    )
    unit = KPIS[key].unit
    if unit == "ratio":
        ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    elif unit == "multiple":
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: fmt_multiple(v)))
    ax.set_ylabel(kpi_label(key, lang))
    if kpis[label].nunique() > 1:
        ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.grid(axis="x", visible=False)
    sns.despine(ax=ax)
    return fig


def plot_rep_attainment(reps: pd.DataFrame, *, lang: Lang = "en", ax=None) -> Figure:
    """Quota attainment per rep, sorted, with the 100% line. `reps`: rep_name, quota_attainment."""
    data = reps.dropna(subset=["quota_attainment"]).sort_values("quota_attainment")
    data, cut = _extremes(data, lang)
    fig, ax = _axes(ax, figsize=(8, 0.35 * max(len(data), 3) + 1.0))
    colors = [PALETTE["good"] if v >= 1 else PALETTE["primary"] for v in data["quota_attainment"]]
    y = np.arange(len(data))  # by position: two reps of one name are two bars
    ax.barh(y, data["quota_attainment"], color=colors)
    ax.set_yticks(y, [shorten(n, LABEL_CHARS) for n in data["rep_name"]])
    ax.set_ylim(-0.6, max(len(data), 1) - 0.4)
    ax.axvline(1.0, color=PALETTE["quota"], lw=1.5, ls="--")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(t("rep_chart", lang) + cut)
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)
    sns.despine(ax=ax)
    return fig


def _stage_labels(stages, lang: Lang) -> list[str]:
    return [t(f"stage_{s}", lang) for s in stages]


def plot_funnel(steps: pd.DataFrame, *, lang: Lang = "en", ax=None) -> Figure:
    """Deals reaching each stage (cohort view). `steps`: stage, reached (from cohort_conversion summed).

    Each label sits inside its bar in white, or right of the bar in dark text when the bar is
    too narrow to hold it."""
    if ax is None:
        # no layout engine: with the axes off there is nothing for constrained layout to
        # arrange (it warns that the axes collapsed); the axes fill the figure instead
        fig, ax = plt.subplots(figsize=(8, 3.4))
        fig.subplots_adjust(left=0.01, right=0.99, top=0.98, bottom=0.02)
    else:
        fig = ax.figure
    y = np.arange(len(steps))[::-1]
    width = steps["reached"].to_numpy(dtype=float)
    left = (width.max() - width) / 2
    bars = ax.barh(y, width, left=left, color=PALETTE["primary"], height=0.7)
    ax.set_xlim(0, width.max() * 1.35 if width.max() > 0 else 1)
    ax.set_axis_off()
    renderer = fig.canvas.get_renderer()
    outside = False  # measured with the room on the right, so a label that fits still fits after
    for bar, yi, w, lo, s in zip(bars, y, width, left, steps["stage"], strict=True):
        share = w / width[0] if width[0] else np.nan
        label = ax.text(
            lo + w / 2,
            yi,
            f"{t(f'stage_{s}', lang)}  {fmt_number(w)} ({fmt_percent(share, digits=0)})",
            ha="center",
            va="center",
            color="white",
            fontsize=9,
        )
        if label.get_window_extent(renderer).width > bar.get_window_extent(renderer).width * 0.95:
            label.set(x=lo + w + width.max() * 0.01, ha="left", color=PALETTE["text"])
            outside = True
    if not outside:  # every label fits in its bar: no room needed on the right, centre it
        ax.set_xlim(0, width.max() if width.max() > 0 else 1)
    return fig


def plot_stage_flow(steps: pd.DataFrame, *, lang: Lang = "en", ax=None) -> Figure:
    """Alluvial-style flow: at each stage, deals moving on (blue band) and lost there (red).
    `steps`: from_stage, resolved, passed (step_conversion)."""
    fig, ax = _axes(ax, figsize=(8, 3.6))
    n0 = float(steps["resolved"].iloc[0]) or 1.0
    top = 1.0
    for i, row in enumerate(steps.itertuples()):
        rate = row.passed / row.resolved if row.resolved else 0.0
        nxt = top * rate
        x0, x1 = i, i + 1
        ax.fill_between(
            [x0, x1],
            [0.5 - top / 2, 0.5 - nxt / 2],
            [0.5 + top / 2, 0.5 + nxt / 2],
            color=PALETTE["primary"],
            alpha=0.8,
            lw=0,
        )
        lost = top - nxt
        ax.fill_between(
            [x0, x0 + 0.6],
            [0.5 - top / 2, -0.25 - lost / 2],
            [0.5 - top / 2 + lost, -0.25 + lost / 2],
            color=PALETTE["bad"],
            alpha=0.45,
            lw=0,
        )
        ax.text(
            x0 + 0.5,
            0.5,
            fmt_percent(rate, digits=0),
            ha="center",
            va="center",
            color="white",
            fontsize=9,
        )
        top = nxt
    stages = [*steps["from_stage"], steps["to_stage"].iloc[-1]]
    ax.set_xticks(range(len(stages)), _stage_labels(stages, lang), fontsize=8)
    ax.set_yticks([])
    ax.set_ylim(-0.6, 1.05)
    ax.text(0.3, -0.5, t("lost_at_stage", lang), color=PALETTE["bad"], fontsize=8)
    ax.set_title(f"{t('cohort_of', lang)} {fmt_number(n0)}", fontsize=9, loc="left")
    sns.despine(ax=ax, left=True)
    return fig


def waterfall_steps(w: dict) -> list[tuple[str, int]]:
    """The waterfall's terms in order, each with its sign (+1 adds to the pipeline, -1 takes
    away): start, created, reopened, increased and decreased (with snapshots), won, lost,
    unexplained, end. One list for the chart and the sentence."""
    steps = [("open_start", 1), ("created", 1)]
    if w.get("reopened") is not None:  # known only from a stage history
        steps += [("reopened", 1)]
    if w.get("increased") is not None:
        steps += [("increased", 1), ("decreased", -1)]
    return steps + [("won", -1), ("lost", -1), ("unexplained", 1), ("open_end", 1)]


def plot_waterfall(w: dict, *, lang: Lang = "en", ax=None) -> Figure:
    """Pipeline movement in the month: start, + created, + reopened, + increased, - decreased,
    - won, - lost, +/- unexplained (`funnel.waterfall`), end."""
    fig, ax = _axes(ax, figsize=(8, 3.6))
    keys = waterfall_steps(w)
    steps = [
        (key, sign * w[key], "total" if key in ("open_start", "open_end") else "move")
        for key, sign in keys
    ]
    level = 0.0
    for i, (_key, value, kind) in enumerate(steps):
        if kind == "total":
            bottom, height, color = 0.0, value, PALETTE["muted"]
            level = value
        else:
            bottom = level if value >= 0 else level + value
            height, color = abs(value), PALETTE["good"] if value >= 0 else PALETTE["bad"]
            level += value
        ax.bar(i, height, bottom=bottom, color=color, width=0.65)
        ax.text(
            i,
            bottom + height,
            _short_amount(value).replace("-", "−"),
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_xticks(range(len(steps)), [t(f"wf_{k}", lang) for k, _, _ in steps], fontsize=7.5)
    ax.yaxis.set_major_formatter(MoneyAxis())
    ax.grid(axis="x", visible=False)
    sns.despine(ax=ax)
    return fig


def plot_rate_intervals(
    rates: pd.DataFrame, *, lang: Lang = "en", label: str = "group", ax=None
) -> Figure:
    """Rates with Wilson intervals as horizontal error bars. `rates`: group, rate, ci_low, ci_high, closed."""
    data, cut = _extremes(rates.dropna(subset=["rate"]).sort_values("rate"), lang)
    fig, ax = _axes(ax, figsize=(8, 0.32 * max(len(data), 3) + 1.0))
    y = np.arange(len(data))
    ax.errorbar(
        data["rate"],
        y,
        xerr=[data["rate"] - data["ci_low"], data["ci_high"] - data["rate"]],
        fmt="o",
        color=PALETTE["primary"],
        ecolor=PALETTE["muted"],
        capsize=3,
    )
    names = [shorten(g, LABEL_CHARS) for g in data[label]]
    ax.set_yticks(
        y, [f"{g} (n={n})" for g, n in zip(names, data["closed"], strict=True)], fontsize=8
    )
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, 1)
    ax.set_xlabel(t("win_rate_ci", lang) + cut)
    sns.despine(ax=ax)
    return fig


def plot_cycle_lengths(cycles: pd.DataFrame, *, lang: Lang = "en", ax=None) -> Figure:
    """Distribution of sales-cycle days for won and lost deals. `cycles`: outcome, days and
    deals (how many deals had that cycle; one each without the column)."""
    fig, ax = _axes(ax, figsize=(8, 3.2))
    if "deals" not in cycles:
        cycles = cycles.assign(deals=1)
    cycles = cycles[cycles["days"].notna() & (cycles["deals"] > 0)]
    # weekly bins shared by won and lost, at least one (a handful of deals closed within days
    # of each other would give seaborn's binwidth zero bins)
    every = cycles["days"]
    low = 7 * np.floor(every.min() / 7) if len(every) else 0.0
    high = 7 * np.floor(every.max() / 7) + 7 if len(every) else 7.0
    edges = np.arange(low, high + 1e-9, 7.0)
    for outcome, color in (("won", PALETTE["good"]), ("lost", PALETTE["bad"])):
        mine = cycles[cycles["outcome"].eq(outcome)]
        if len(mine):
            n = int(mine["deals"].sum())
            median = weighted_median(mine["days"], mine["deals"])
            sns.histplot(
                data=mine.astype({"days": "float64", "deals": "float64"}),
                x="days",
                weights="deals",
                ax=ax,
                color=color,
                alpha=0.45,
                bins=list(edges),  # a list: seaborn 0.13 compares an array with "auto"
                stat="density",
                label=f"{t(outcome, lang)} (n={n}, {t('median', lang)} {fmt_number(median)})",
            )
    ax.set_xlabel(t("cycle_days", lang))
    ax.set_ylabel("")
    ax.legend(**_ABOVE, ncols=2)
    sns.despine(ax=ax)
    return fig


def plot_survival(curve: pd.DataFrame, *, lang: Lang = "en", ax=None) -> Figure:
    """Kaplan-Meier step curve: share of deals still open after t days."""
    fig, ax = _axes(ax, figsize=(8, 3.2))
    ax.step(curve["t"], curve["survival"], where="post", color=PALETTE["primary"])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(t("days_since_created", lang))
    ax.set_ylabel(t("still_open", lang))
    sns.despine(ax=ax)
    return fig


def _month_ticks(ax, months, lang: Lang, buddhist_era: bool, every: int = 1) -> None:
    x = np.arange(len(months))
    labels = [
        fmt_month(m, lang, buddhist_era=buddhist_era, short=True) if i % every == 0 else ""
        for i, m in enumerate(months)
    ]
    ax.set_xticks(x, labels, rotation=0, fontsize=8)


def plot_forecast(
    history: pd.DataFrame,
    forecast: pd.DataFrame,
    *,
    models: tuple[str, ...] = ("blend", "prophet"),
    lang: Lang = "en",
    buddhist_era: bool = True,
    ax=None,
) -> Figure:
    """History (bars), each model's forecast (line) with its 80% band, and the quota (line).

    `history`: month, revenue, quota (the quota may run into the forecast months);
    `forecast`: model, month, yhat, yhat_lower, yhat_upper.
    """
    fig, ax = _axes(ax, figsize=(8, 3.8))
    months = sorted(set(history["month"]) | set(forecast["month"]))
    pos = {m: i for i, m in enumerate(months)}
    past = history.dropna(subset=["revenue"])
    ax.bar(
        [pos[m] for m in past["month"]],
        past["revenue"],
        color=PALETTE["muted"],
        alpha=0.6,
        width=0.7,
        label=t("actual", lang),
    )
    for model in models:
        f = forecast[forecast["model"].eq(model)]
        if f.empty:
            continue
        x = [pos[m] for m in f["month"]]
        color = MODEL_COLORS[model]
        ax.plot(x, f["yhat"], color=color, marker="o", ms=3, lw=2, label=t(f"model_{model}", lang))
        if f["yhat_lower"].notna().all():
            ax.fill_between(x, f["yhat_lower"], f["yhat_upper"], color=color, alpha=0.15, lw=0)
    quota = history.dropna(subset=["quota"])
    quota = quota[quota["month"].isin(pos)]
    if not quota.empty:
        ax.plot(
            [pos[m] for m in quota["month"]],
            quota["quota"],
            color=PALETTE["quota"],
            ls="--",
            lw=1.5,
            label=t("quota", lang),
        )
    _month_ticks(ax, months, lang, buddhist_era, every=2 if len(months) > 14 else 1)
    ax.yaxis.set_major_formatter(MoneyAxis())
    ax.set_ylabel(t("revenue", lang))  # the tick labels carry the unit (K, M)
    # above the axes: tall months would hide behind a legend inside them
    ax.legend(**_ABOVE, ncols=4, fontsize=8)
    ax.set_ylim(bottom=0)
    ax.grid(axis="x", visible=False)
    sns.despine(ax=ax)
    return fig


def plot_backtest_errors(metrics: pd.DataFrame, *, lang: Lang = "en", ax=None) -> Figure:
    """Backtest MASE by forecast horizon, one line per model (below 1 beats a seasonal naive
    forecast made in-sample). `metrics`: model, h (>= 1), mase."""
    fig, ax = _axes(ax, figsize=(8, 3.2))
    m = metrics[metrics["h"] > 0]
    for model, g in m.groupby("model", sort=False):
        ax.plot(
            g["h"],
            g["mase"],
            marker="o",
            lw=2.4 if model in ("blend", "combined") else 1.4,
            ls="-" if model in ("blend", "combined", "prophet", "pipeline") else "--",
            color=MODEL_COLORS.get(model, PALETTE["muted"]),
            label=t(f"model_{model}", lang),
        )
    ax.axhline(1.0, color=PALETTE["muted"], lw=0.8)
    ax.set_xlabel(t("horizon_months", lang))
    ax.set_ylabel("MASE")
    ax.set_xticks(sorted(m["h"].unique()))
    ax.set_ylim(bottom=0)
    ax.legend(**_ABOVE, fontsize=8, ncols=3)
    sns.despine(ax=ax)
    return fig


def plot_forecast_components(
    components: pd.DataFrame, *, lang: Lang = "en", buddhist_era: bool = True
) -> Figure:
    """Prophet's trend over the history and its yearly seasonality by calendar month.

    `components`: month, trend, yearly (NaN when no seasonality was fitted).
    """
    has_yearly = components["yearly"].notna().any()
    fig, axes = plt.subplots(
        1, 2 if has_yearly else 1, figsize=(8, 3.0), layout="constrained", squeeze=False
    )
    ax = axes[0][0]
    ax.plot(np.arange(len(components)), components["trend"], color=MODEL_COLORS["prophet"], lw=2)
    _month_ticks(ax, list(components["month"]), lang, buddhist_era, every=6)
    ax.yaxis.set_major_formatter(MoneyAxis())
    ax.set_title(t("fc_trend", lang), fontsize=10)
    sns.despine(ax=ax)
    if has_yearly:
        ax = axes[0][1]
        by_month = components.groupby(components["month"].dt.month)["yearly"].mean()
        ax.bar(
            by_month.index,
            by_month.to_numpy(),
            color=[PALETTE["good"] if v >= 0 else PALETTE["bad"] for v in by_month],
        )
        names = [
            fmt_month(pd.Period(f"2026-{k:02d}", "M"), lang, short=True).split()[0]
            for k in by_month.index
        ]
        ax.set_xticks(by_month.index, names, fontsize=7)
        ax.yaxis.set_major_formatter(MoneyAxis())
        ax.axhline(0, color=PALETTE["muted"], lw=0.8)
        ax.set_title(t("yearly_seasonality", lang), fontsize=10)
        sns.despine(ax=ax)
    return fig


def plot_forest(results: pd.DataFrame, *, lang: Lang = "en") -> Figure:
    """Estimates with their 95% intervals, one panel per question (their units differ), a row per
    test; filled markers where the BH-adjusted p is below 0.05.

    `results`: question, label (row text), estimate, ci_low, ci_high, p_adjusted.
    """
    questions = list(dict.fromkeys(results["question"]))
    heights = [max(len(results[results["question"].eq(q)]), 1) for q in questions]
    fig, axes = plt.subplots(
        len(questions),
        1,
        figsize=_bounded((8, 0.24 * sum(heights) + 0.7 * len(questions) + 0.4)),
        gridspec_kw={"height_ratios": heights},
        layout="constrained",
        squeeze=False,
    )
    for ax, q in zip(axes[:, 0], questions, strict=True):
        d = results[results["question"].eq(q)].iloc[::-1]
        y = np.arange(len(d))
        strong = (d["p_adjusted"] < 0.05).to_numpy()
        ax.hlines(y, d["ci_low"], d["ci_high"], color=PALETTE["muted"], lw=1.5)
        ax.scatter(d["estimate"][strong], y[strong], color=PALETTE["primary"], zorder=3, s=22)
        ax.scatter(
            d["estimate"][~strong],
            y[~strong],
            facecolor="white",
            edgecolor=PALETTE["primary"],
            zorder=3,
            s=22,
        )
        ax.axvline(0, color=PALETTE["bad"], lw=0.8, ls="--")
        ax.set_yticks(y, [shorten(label, 2 * LABEL_CHARS) for label in d["label"]], fontsize=7)
        ax.set_title(t(f"q_{q}", lang), fontsize=9, loc="left")
        ax.tick_params(axis="x", labelsize=7)
        sns.despine(ax=ax)
    return fig


def plot_team_small_multiples(
    trend: pd.DataFrame,
    *,
    lang: Lang = "en",
    buddhist_era: bool = True,
    cols: int = 3,
    ranked: Sequence[str] | None = None,
) -> Figure:
    """Revenue (bars) against quota (line) per team, same y scale, by team name. `trend`:
    team_name, month, revenue, quota. With more than MAX_PANELS teams, only the MAX_PANELS / 2
    first and last of `ranked` (the names of the teams ranked, lowest attainment first; by name
    without it) are drawn, in that order, and the figure's title says so: 300 panels were a page of specks
    that took most of a minute to draw (the table beside the chart lists every team)."""
    teams = list(dict.fromkeys(trend.sort_values("team_name")["team_name"]))
    cut = ""
    if len(teams) > MAX_PANELS:
        drawn = set(teams)
        order = [n for n in dict.fromkeys(ranked) if n in drawn] if ranked else teams
        half = MAX_PANELS // 2
        cut = t("chart_extremes", lang, n=half, total=len(teams))
        teams = order[:half] + order[max(half, len(order) - half) :]
    rows = -(-len(teams) // cols)
    fig, axes = plt.subplots(
        rows,
        cols,
        figsize=_bounded((8, 2.1 * rows + 0.3)),
        sharey=True,
        layout="constrained",
        squeeze=False,
    )
    for ax, team in zip(axes.flat, teams, strict=False):
        d = trend[trend["team_name"].eq(team)].sort_values("month")
        x = np.arange(len(d))
        ax.bar(x, d["revenue"], color=PALETTE["primary"], width=0.7)
        if d["quota"].notna().any():
            ax.plot(x, d["quota"], color=PALETTE["quota"], lw=1.5)
        ticks = [0, len(d) - 1] if len(d) > 1 else [0]
        ax.set_xticks(
            ticks,
            [
                fmt_month(d["month"].iloc[i], lang, buddhist_era=buddhist_era, short=True)
                for i in ticks
            ],
            fontsize=7,
        )
        ax.yaxis.set_major_formatter(MoneyAxis())
        ax.tick_params(axis="y", labelsize=7)
        ax.set_title(shorten(team, LABEL_CHARS - 4), fontsize=9)
        ax.grid(axis="x", visible=False)
        sns.despine(ax=ax)
    for ax in list(axes.flat)[len(teams) :]:
        ax.set_visible(False)
    if cut:
        fig.suptitle(cut[:1].upper() + cut[1:], fontsize=9, x=0.0, ha="left")
    return fig
