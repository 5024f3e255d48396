"""What the report notebooks show: one function per result (a heading, a table, a figure or a
sentence built from numbers), so a notebook cell is a single call.

Headings are produced here, from `i18n.TEXT`, rather than typed into markdown cells: the same
notebook renders Thai and English reports, and a markdown cell cannot switch language.
Text from the data is HTML-escaped before it reaches a report.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure

from analysis import __version__, plots
from analysis.i18n import (
    Lang,
    fmt_currency,
    fmt_date,
    fmt_month,
    fmt_percent,
    fmt_value,
    kpi_label,
    t,
)
from analysis.io import Dataset, load_dataset
from analysis.kpis import KPIS, kpi_table
from analysis.months import parse_month
from analysis.params import PARAMS_DIR, NotebookParams, default_data_dir, load_team_params
from analysis.paths import PROJECT_ROOT

__all__ = [
    "ReportContext",
    "open_report",
    "title",
    "heading",
    "kpi_overview",
    "summary",
    "revenue_trend",
    "rep_table",
    "rep_attainment",
    "about",
]

TREND_MONTHS = 12


@dataclass
class ReportContext:
    """Everything a report notebook shows, computed once when the notebook opens the report."""

    params: NotebookParams
    ds: Dataset
    month: pd.Period
    lang: Lang
    scope_name: str
    manager_name: str | None
    region: str | None
    buddhist_era: bool
    team_kpis: pd.DataFrame  # the scope's KPI rows for the trend window, by month
    rep_kpis: pd.DataFrame  # the scope's reps in `month`, with rep_name
    extra: dict = field(default_factory=dict)

    @property
    def month_label(self) -> str:
        return fmt_month(self.month, self.lang, buddhist_era=self.buddhist_era)

    def kpi(self, key: str, offset: int = 0):
        row = self.team_kpis[self.team_kpis["month"].eq(self.month - offset)]
        return None if row.empty else row.iloc[0][key]


def open_report(
    team: str | None = None,
    month: str | None = None,
    data_dir: str | None = None,
    lang: Lang = "th",
) -> ReportContext:
    """Validate the notebook parameters, load and validate the dataset, compute the scope's KPIs."""
    params = NotebookParams(team=team, month=month, data_dir=data_dir, lang=lang)
    ds = load_dataset(Path(params.data_dir) if params.data_dir else default_data_dir())
    latest = ds.latest_complete_month
    the_month = parse_month(params.month) if params.month else latest
    if the_month > latest:
        raise ValueError(
            f"month: {the_month} is not complete in the data (as of {ds.as_of.date()}); "
            f"the latest complete month is {latest}"
        )
    months = pd.period_range(the_month - (TREND_MONTHS - 1), the_month, freq="M")
    buddhist_era = True
    if params.team is None:
        scope = kpi_table(ds, months, level="company")
        name, manager, region = t("company", params.lang), None, None
        reps = ds["reps"]
    else:
        teams = ds["teams"].set_index("team_id")
        if params.team not in teams.index:
            raise ValueError(
                f"team: {params.team!r} is not in teams.team_id (valid: {', '.join(teams.index)})"
            )
        scope = kpi_table(ds, months, level="team")
        scope = scope[scope["scope_id"].eq(params.team)]
        row = teams.loc[params.team]
        name, manager, region = row["team_name"], row["manager_name"], row["region"]
        if (PARAMS_DIR / f"{params.team}.yaml").is_file():
            team_params = load_team_params(params.team)
            name = team_params.display_name or name
            buddhist_era = team_params.buddhist_era
        reps = ds["reps"][ds["reps"]["team_id"].eq(params.team)]
    rep_rows = kpi_table(ds, [the_month], level="rep")
    rep_rows = rep_rows[rep_rows["scope_id"].isin(reps["rep_id"])].merge(
        reps[["rep_id", "rep_name"]], left_on="scope_id", right_on="rep_id"
    )
    return ReportContext(
        params=params,
        ds=ds,
        month=the_month,
        lang=params.lang,
        scope_name=name,
        manager_name=manager,
        region=region,
        buddhist_era=buddhist_era,
        team_kpis=scope.reset_index(drop=True),
        rep_kpis=rep_rows.reset_index(drop=True),
    )


def _e(text) -> str:
    return html.escape(str(text))


def title(ctx: ReportContext) -> Markdown:
    """Report title with scope and month, and who and what it covers."""
    lines = [f"# {t('report_title', ctx.lang)}: {_e(ctx.scope_name)}", "", f"**{ctx.month_label}**"]
    facts = []
    if ctx.manager_name:
        facts.append(f"{t('manager', ctx.lang)}: {_e(ctx.manager_name)}")
    if ctx.region:
        facts.append(f"{t('region', ctx.lang)}: {_e(ctx.region)}")
    facts.append(
        f"{t('data_as_of', ctx.lang)} {fmt_date(ctx.ds.as_of, ctx.lang, buddhist_era=ctx.buddhist_era)}"
    )
    lines += ["", " · ".join(facts)]
    return Markdown("\n".join(lines))


def heading(key: str, ctx: ReportContext) -> Markdown:
    """A section heading in the report's language."""
    return Markdown(f"## {t(key, ctx.lang)}")


def _table(frame: pd.DataFrame, css_class: str) -> HTML:
    return HTML(
        frame.to_html(
            index=False, escape=True, border=0, classes=["report-table", css_class], na_rep="–"
        )
    )


def kpi_overview(ctx: ReportContext) -> HTML:
    """The headline KPIs: this month, last month and the change."""
    rows = []
    for key in KPIS:
        now, before = ctx.kpi(key), ctx.kpi(key, 1)
        rows.append(
            {
                t("kpi", ctx.lang): kpi_label(key, ctx.lang),
                t("this_month", ctx.lang): fmt_value(key, now, ctx.lang, ctx.ds.currency),
                t("last_month", ctx.lang): fmt_value(key, before, ctx.lang, ctx.ds.currency),
                t("change", ctx.lang): _change(key, now, before, ctx.lang),
            }
        )
    return _table(pd.DataFrame(rows), "kpi-table")


def _change(key: str, now, before, lang: Lang) -> str:
    """Relative change; percentage points for ratios; '–' when either side is missing or 0."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return "–"
    if KPIS[key].unit == "ratio":
        return f"{(now - before) * 100:+.1f} pp"
    return "–" if before == 0 else fmt_percent(now / before - 1, lang, signed=True)


def summary(ctx: ReportContext) -> Markdown:
    """One paragraph, every number computed: revenue vs quota, change, deals, reps at quota."""
    lang, cur = ctx.lang, ctx.ds.currency
    revenue, quota = ctx.kpi("revenue"), ctx.kpi("quota")
    parts = []
    if quota is not None and pd.notna(quota):
        parts.append(
            t(
                "summary_revenue",
                lang,
                team=_e(ctx.scope_name),
                revenue=fmt_currency(revenue, cur),
                month=ctx.month_label,
                attainment=fmt_percent(ctx.kpi("quota_attainment")),
                quota=fmt_currency(quota, cur),
            )
        )
    else:
        parts.append(
            t(
                "summary_no_quota",
                lang,
                team=_e(ctx.scope_name),
                revenue=fmt_currency(revenue, cur),
                month=ctx.month_label,
            )
        )
    before = ctx.kpi("revenue", 1)
    if before is not None and pd.notna(before) and before > 0:
        change = revenue / before - 1
        parts[-1] += t(
            "summary_change",
            lang,
            direction=t("up" if change >= 0 else "down", lang),
            change=fmt_percent(abs(change)),
        )
    parts.append(
        t(
            "summary_deals",
            lang,
            won=ctx.kpi("deals_won"),
            lost=ctx.kpi("deals_lost"),
            win_rate=fmt_percent(ctx.kpi("win_rate")),
        )
    )
    with_quota = ctx.rep_kpis.dropna(subset=["quota_attainment"])
    if len(with_quota):
        parts.append(
            t(
                "summary_reps",
                lang,
                at_quota=int((with_quota["quota_attainment"] >= 1).sum()),
                n_reps=len(with_quota),
            )
        )
    sep = " " if lang == "th" else ". "
    return Markdown(sep.join(parts) + ("" if lang == "th" else "."))


def _done(fig: Figure) -> Figure:
    plt.close(fig)  # displayed once, by the cell's value, not again by the inline backend
    return fig


def revenue_trend(ctx: ReportContext) -> Figure:
    """Won revenue against quota over the last 12 months."""
    return _done(
        plots.plot_revenue_vs_quota(
            ctx.team_kpis[["month", "revenue", "quota"]],
            lang=ctx.lang,
            buddhist_era=ctx.buddhist_era,
        )
    )


def rep_table(ctx: ReportContext) -> HTML:
    """Each rep's revenue, quota, attainment, deals and win rate this month."""
    lang, cur = ctx.lang, ctx.ds.currency
    data = ctx.rep_kpis.sort_values("revenue", ascending=False)
    frame = pd.DataFrame(
        {
            t("rep", lang): data["rep_name"],
            kpi_label("revenue", lang): [fmt_currency(v, cur) for v in data["revenue"]],
            kpi_label("quota", lang): [fmt_currency(v, cur) for v in data["quota"]],
            kpi_label("quota_attainment", lang): [fmt_percent(v) for v in data["quota_attainment"]],
            kpi_label("deals_won", lang): data["deals_won"],
            kpi_label("win_rate", lang): [fmt_percent(v) for v in data["win_rate"]],
        }
    )
    return _table(frame, "rep-table")


def rep_attainment(ctx: ReportContext) -> Figure:
    """Quota attainment per rep this month."""
    return _done(
        plots.plot_rep_attainment(ctx.rep_kpis[["rep_name", "quota_attainment"]], lang=ctx.lang)
    )


def _display_path(path: Path) -> str:
    """The dataset path relative to the project when inside it (no machine paths in reports)."""
    resolved = Path(path).resolve()
    try:
        return str(resolved.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(resolved)


def about(ctx: ReportContext) -> Markdown:
    """Which data, parameters and package version made this report."""
    p = ctx.params
    shown = {
        "team": p.team or "company",
        "month": str(ctx.month),
        "lang": p.lang,
        "data_dir": p.data_dir or "(sample)",
    }
    lines = [
        f"- {t('dataset', ctx.lang)}: {_e(ctx.ds.name)}",
        f"- {t('content_hash', ctx.lang)}: `{ctx.ds.content_hash[:16]}`",
        f"- {t('package_version', ctx.lang)}: `analysis {__version__}`",
        f"- {t('parameters', ctx.lang)}: " + ", ".join(f"{k}=`{_e(v)}`" for k, v in shown.items()),
    ]
    return Markdown("\n".join(lines))
