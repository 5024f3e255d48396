"""What `notebooks/company_comparison.ipynb` shows (the company report only): every team side by
side for the month, and each team's revenue against quota as small multiples."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure

from analysis.i18n import fmt_value, kpi_label, t
from analysis.metrics.kpis import KPIS, kpi_table
from analysis.metrics.scorecards import RAG_COLORS, rag_class, rag_status
from analysis.reports import plots
from analysis.reports.context import TREND_MONTHS, ReportContext, finished, open_report
from analysis.reports.text import cell_html, escape

__all__ = ["COMPARISON_KPIS", "open_company", "title", "heading", "team_table", "small_multiples"]

COMPARISON_KPIS = [
    "revenue",
    "quota_attainment",
    "win_rate",
    "avg_deal_size",
    "pipeline_coverage",
    "avg_sales_cycle_days",
    "net_revenue_retention",
    "training_completion_rate",
]


def open_company(
    team: str | None = None,
    month: str | None = None,
    data_dir: str | None = None,
    lang: str = "th",
) -> ReportContext:
    """The company's report context; the comparison is the company report's alone."""
    if team is not None:
        raise ValueError(
            f"team: the team comparison belongs to the company report (team None), not {team!r}"
        )
    return open_report(team=None, month=month, data_dir=data_dir, lang=lang)


def title(ctx: ReportContext) -> Markdown:
    return Markdown(f"# {t('cmp_title', ctx.lang)}\n\n**{ctx.month_label}**")


def heading(key: str, ctx: ReportContext) -> Markdown:
    return Markdown(f"## {t(key, ctx.lang)}")


def _team_kpis(ctx: ReportContext, months) -> pd.DataFrame:
    k = kpi_table(ctx.ds, months, level="team")
    names = ctx.ds["teams"].set_index("team_id")["team_name"]
    return k.assign(team_name=k["scope_id"].map(names))


def team_table(ctx: ReportContext) -> HTML:
    """One row per team, the month's headline KPIs with the company targets' status colours."""
    k = _team_kpis(ctx, [ctx.month]).sort_values("revenue", ascending=False)
    lang, cur = ctx.lang, ctx.ds.currency
    head = [t("team", lang), *[kpi_label(key, lang) for key in COMPARISON_KPIS]]
    rows = []
    for _, r in k.iterrows():
        cells = [f"<td>{cell_html(r['team_name'])}</td>"]  # long names cut, whole in a tooltip
        for key in COMPARISON_KPIS:
            status = rag_status(r[key], ctx.targets.get(key), KPIS[key].higher_is_better)
            style = (
                f' class="{rag_class(status)}" style="background-color: {RAG_COLORS[status]}"'
                if status
                else ""
            )
            cells.append(f"<td{style}>{escape(fmt_value(key, r[key], lang, cur))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    table = (
        '<table class="report-table team-comparison"><thead><tr>'
        + "".join(f"<th>{escape(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    return HTML(table)


def small_multiples(ctx: ReportContext) -> Figure:
    """Each team's won revenue against quota over the last 12 months, one small panel per team."""
    months = pd.period_range(ctx.month - (TREND_MONTHS - 1), ctx.month, freq="M")
    k = _team_kpis(ctx, months)
    return finished(
        plots.plot_team_small_multiples(
            k[["team_name", "month", "revenue", "quota"]],
            lang=ctx.lang,
            buddhist_era=ctx.buddhist_era,
        )
    )
