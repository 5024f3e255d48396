"""Figures for the reports: `plot_*(data, *, lang, ax=None) -> Figure`; they never show or save.

Labels come from `i18n`; the Thai-capable fonts are registered on import of this module.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, PercentFormatter

from analysis import fonts
from analysis.i18n import Lang, fmt_month, t

__all__ = ["PALETTE", "plot_revenue_vs_quota", "plot_rep_attainment", "setup_style"]

PALETTE = {
    "primary": "#1f5fa8",
    "quota": "#d9822b",
    "good": "#2e8540",
    "bad": "#c0392b",
    "muted": "#8c96a0",
}


def setup_style() -> None:
    """Seaborn's clean style with the Thai-capable fonts (idempotent)."""
    sns.set_theme(style="whitegrid", context="notebook")
    fonts.use_in_matplotlib.cache_clear()
    fonts.use_in_matplotlib()  # after set_theme, which resets font.family
    plt.rcParams["figure.dpi"] = 144  # crisp in HTML (scaled by CSS) and in the A4 PDF


setup_style()


def _axes(ax, figsize=(8, 3.6)):
    if ax is None:
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    else:
        fig = ax.figure
    return fig, ax


def _millions(x, _pos=None) -> str:
    return f"{x / 1e6:,.1f}M"


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
    ax.yaxis.set_major_formatter(FuncFormatter(_millions))
    ax.set_ylabel(f"{t('revenue', lang)} (M)")
    ax.legend(loc="upper left", frameon=False, ncols=2)
    ax.grid(axis="x", visible=False)
    sns.despine(ax=ax)
    return fig


def plot_rep_attainment(reps: pd.DataFrame, *, lang: Lang = "en", ax=None) -> Figure:
    """Quota attainment per rep, sorted, with the 100% line. `reps`: rep_name, quota_attainment."""
    data = reps.dropna(subset=["quota_attainment"]).sort_values("quota_attainment")
    fig, ax = _axes(ax, figsize=(8, 0.35 * max(len(data), 3) + 1.0))
    colors = [PALETTE["good"] if v >= 1 else PALETTE["primary"] for v in data["quota_attainment"]]
    ax.barh(data["rep_name"], data["quota_attainment"], color=colors)
    ax.axvline(1.0, color=PALETTE["quota"], lw=1.5, ls="--")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(t("rep_chart", lang))
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)
    sns.despine(ax=ax)
    return fig
