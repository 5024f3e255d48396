"""What `notebooks/company_comparison.ipynb` shows (the company report only): every team side by
side for the month, and each team's revenue against quota as small multiples."""

from __future__ import annotations

import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure

from analysis import forecast
from analysis.i18n import fmt_chance, fmt_value, kpi_label, t
from analysis.metrics.kpis import KPIS, kpi_table, missing_kpis
from analysis.metrics.scorecards import rag_cell_attributes, rag_status
from analysis.reports import plots
from analysis.reports.context import (
    TREND_MONTHS,
    ReportContext,
    finished,
    keep_together,
    open_report,
)
from analysis.reports.params import ParamsError, load_forecast_params
from analysis.reports.text import cell_html, escape
from analysis.reports.views.forecast import shared_forecast

__all__ = [
    "COMPARISON_KPIS",
    "open_company",
    "title",
    "heading",
    "team_table",
    "off_target_teams",
    "small_multiples",
]

QUARTER_CHANCE_MAX_TEAMS = 30  # beyond it, the quarter chance column would cost minutes

# the first one is the sort key; the quarter's chance is shown after it
COMPARISON_KPIS = [
    "quota_attainment",
    "revenue",
    "win_rate",
    "pipeline_coverage",
    "avg_deal_size",
    "avg_sales_cycle_days",
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
    if key == "cmp_section_multiples" and not ctx.ds.has("quotas"):
        key = "cmp_section_multiples_no_quota"
    return Markdown(f"## {t(key, ctx.lang)}")


def _team_kpis(ctx: ReportContext, months) -> pd.DataFrame:
    k = kpi_table(ctx.ds, months, level="team")
    names = ctx.ds["teams"].set_index("team_id")["team_name"]
    return k.assign(team_name=k["scope_id"].map(names))


def _team_month(ctx: ReportContext) -> pd.DataFrame:
    """The month's team rows, lowest quota attainment first (teams without a quota last);
    lowest won revenue first when the dataset has no quotas."""
    k = _team_kpis(ctx, [ctx.month])
    first = "quota_attainment" if ctx.ds.has("quotas") else "revenue"
    return k.sort_values([first, "team_name"], na_position="last", kind="stable")


def off_target_teams(ctx: ReportContext) -> list[tuple[str, float]]:
    """Teams whose quota attainment is red against the company target, lowest first, as
    (team name, attainment)."""
    k, target = _team_month(ctx), ctx.targets.get("quota_attainment")
    red = k[[rag_status(v, target, True) == "red" for v in k["quota_attainment"]]]
    return list(zip(red["team_name"], red["quota_attainment"].astype(float), strict=True))


def _quarter_chances(ctx: ReportContext, teams: list[str]) -> dict[str, float | None] | None:
    """Each team's chance of making the quarter's quota, from the same forecast the team's own
    report shows; None (the column left out) for more than QUARTER_CHANCE_MAX_TEAMS teams."""
    if len(teams) > QUARTER_CHANCE_MAX_TEAMS:
        return None
    data = shared_forecast(ctx).data
    out = {}
    for team in teams:
        try:  # the team's own forecast settings, as its report uses them
            options = load_forecast_params(team).options(None)
        except ParamsError:  # its params file is broken: its own report fails and says why
            out[team] = None
            continue
        result = forecast.forecast_scope(data, team, options)
        out[team] = (result.quota or {}).get("probability")
    return out


def team_table(ctx: ReportContext) -> HTML:
    """One row per team, lowest quota attainment first: the month's headline KPIs with the
    company targets' status colours, and each team's chance of making the quarter."""
    k = _team_month(ctx)
    lang, cur = ctx.lang, ctx.ds.currency
    quotas = ctx.ds.has("quotas")
    chances = _quarter_chances(ctx, k["scope_id"].tolist()) if quotas else None
    absent = missing_kpis(ctx.ds)  # no column the data cannot fill (the data note says why)
    keys = [key for key in COMPARISON_KPIS if key not in absent]
    head = [t("team", lang), kpi_label(keys[0], lang)]
    if chances is not None:
        head.append(t("quarter_chance", lang))
    head += [kpi_label(key, lang) for key in keys[1:]]
    rows = []
    for _, r in k.iterrows():
        cells = [f"<td>{cell_html(r['team_name'])}</td>"]  # long names cut, whole in a tooltip
        for i, key in enumerate(keys):
            status = rag_status(r[key], ctx.targets.get(key), KPIS[key].higher_is_better)
            style = rag_cell_attributes(status)
            cells.append(f"<td{style}>{escape(fmt_value(key, r[key], lang, cur))}</td>")
            if i == 0 and chances is not None:
                p = chances.get(r["scope_id"])
                cells.append(f"<td>{escape(fmt_chance(p))}</td>")
        rows.append(f"<tr>{''.join(cells)}</tr>")
    table = (
        f'<table class="report-table team-comparison"{keep_together(len(k))}><thead><tr>'
        + "".join(f"<th>{escape(h)}</th>" for h in head)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )
    return HTML(table)


def small_multiples(ctx: ReportContext) -> Figure:
    """Each team's won revenue against quota over the last 12 months, one small panel per team;
    past `plots.MAX_PANELS` teams, the lowest and highest of the table's order (the month's
    attainment) only."""
    months = pd.period_range(ctx.month - (TREND_MONTHS - 1), ctx.month, freq="M")
    k = _team_kpis(ctx, months)
    return finished(
        plots.plot_team_small_multiples(
            k[["team_name", "month", "revenue", "quota"]],
            lang=ctx.lang,
            buddhist_era=ctx.buddhist_era,
            ranked=_ranked_teams(ctx),
        )
    )


def _ranked_teams(ctx: ReportContext) -> list[str]:
    """The teams' names in the table's order (`_team_month`), those without a value to rank by
    (no quota) left out: they are neither the lowest nor the highest."""
    k = _team_month(ctx)
    return k.dropna(subset=["quota_attainment" if ctx.ds.has("quotas") else "revenue"])[
        "team_name"
    ].tolist()
