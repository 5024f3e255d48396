"""The report notebooks' context: one call opens a report (validated parameters, the dataset,
the scope's KPIs for the trend window) and every view reads what it shows from it. Also the few
helpers every view uses to show data as text, tables and figures.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML
from matplotlib.figure import Figure

from analysis.data.dataset import Dataset, load_dataset
from analysis.i18n import Lang, fmt_month, fmt_number, t
from analysis.metrics.kpis import kpi_table, scope_reps
from analysis.metrics.scorecards import RAG_COLORS, league_table, rag_class
from analysis.reports import plots
from analysis.reports.params import (
    PARAMS_DIR,
    NotebookParams,
    default_data_dir,
    load_targets,
    load_team_params,
    targets_provisional,
)
from analysis.reports.text import CELL_CHARS, cell_html, escape

__all__ = [
    "TREND_MONTHS",
    "HEADLINE",
    "ReportContext",
    "open_report",
    "html_table",
    "keep_together",
    "KEEP_ROWS",
    "COMPANY_REP_ROWS",
    "company_cut",
    "with_note",
    "finished",
]

TREND_MONTHS = 12

# the headline KPI table of every report, in order; page 1's risk rules read the same KPIs
HEADLINE = [
    "revenue",
    "revenue_growth_mom",
    "quota_attainment",
    "win_rate",
    "avg_deal_size",
    "open_pipeline_amount",
    "pipeline_coverage",
    "pipeline_velocity",
    "avg_sales_cycle_days",
    "net_revenue_retention",
    "customer_churn_rate",
    "account_coverage_rate",
    "csat_avg",
    "training_completion_rate",
]


@dataclass
class ReportContext:
    """Everything a report notebook shows, computed once when the notebook opens the report."""

    params: NotebookParams
    ds: Dataset
    month: pd.Period
    lang: Lang
    team: str | None
    scope_name: str
    manager_name: str | None
    region: str | None
    buddhist_era: bool
    targets: dict[str, float]
    team_kpis: pd.DataFrame  # the scope's KPI rows for the trend window, by month
    targets_provisional: bool = False  # derived from the data at import, not set by anyone

    @cached_property
    def league(self) -> pd.DataFrame:
        """The scope's league table, computed once for the table and the chart that show it."""
        return league_table(self.ds, self.month, self.team)

    @property
    def month_label(self) -> str:
        return fmt_month(self.month, self.lang, buddhist_era=self.buddhist_era)

    def kpi(self, key: str, offset: int = 0):
        row = self.team_kpis[self.team_kpis["month"].eq(self.month - offset)]
        value = None if row.empty else row.iloc[0][key]
        return None if value is None or pd.isna(value) else value


def open_report(
    team: str | None = None,
    month: str | None = None,
    data_dir: str | None = None,
    lang: Lang = "th",
) -> ReportContext:
    """Validate the notebook parameters, load and validate the dataset, compute the scope's KPIs."""
    params = NotebookParams(team=team, month=month, data_dir=data_dir, lang=lang)
    ds = load_dataset(Path(params.data_dir) if params.data_dir else default_data_dir())
    the_month = ds.resolve_month(params.month)
    months = pd.period_range(the_month - (TREND_MONTHS - 1), the_month, freq="M")
    buddhist_era, targets = True, load_targets(params.team)
    if params.team is None:
        scope = kpi_table(ds, months, level="company")
        name, manager, region = t("company", params.lang), None, None
    else:
        scope_reps(ds, params.team)  # validates the id against the dataset's teams
        teams = ds["teams"].set_index("team_id")
        scope = kpi_table(ds, months, level="team")
        scope = scope[scope["scope_id"].eq(params.team)]
        row = teams.loc[params.team]
        name, manager, region = row["team_name"], row["manager_name"], row["region"]
        if (PARAMS_DIR / f"{params.team}.yaml").is_file():
            team_params = load_team_params(params.team)
            name = team_params.display_name or name
            buddhist_era = team_params.buddhist_era
    return ReportContext(
        params=params,
        ds=ds,
        month=the_month,
        lang=params.lang,
        team=params.team,
        scope_name=name,
        manager_name=manager,
        region=region,
        buddhist_era=buddhist_era,
        targets=dict(targets),
        team_kpis=scope.reset_index(drop=True),
        targets_provisional=targets_provisional(params.team),
    )


def html_table(
    frame: pd.DataFrame, css_class: str, status_col: str | None = None, statuses: list | None = None
) -> HTML:
    """An escaped HTML table; when given, status cells are tinted red/amber/green."""
    styler = frame.style.hide(axis="index").format(escape="html", na_rep="–")
    long = [
        c
        for c in frame.columns
        if frame[c].map(lambda v: isinstance(v, str) and len(v) > CELL_CHARS).any()
    ]
    if long:  # cut, with the full text as the cell's tooltip
        styler = styler.format(cell_html, subset=long, na_rep="–")
    styler = styler.set_uuid(css_class).set_table_attributes(
        f'class="report-table {css_class}"{keep_together(len(frame))}'
    )
    if status_col is not None and statuses is not None:
        colors = [f"background-color: {RAG_COLORS[s]}" if s in RAG_COLORS else "" for s in statuses]
        styler = styler.apply(lambda _col: colors, subset=[status_col])
        classes = pd.DataFrame("", index=frame.index, columns=frame.columns)
        classes[status_col] = [rag_class(s) for s in statuses]
        styler = styler.set_td_classes(classes)
    return HTML(styler.to_html())


KEEP_ROWS = 15  # a table this short is never split across PDF pages

# the company report lists at most this many reps in a table (its league, coaching and slippage
# tables): the 300-team benchmark company's 4,170 reps made 330 of its 369 pages; a team's
# report lists all its reps
COMPANY_REP_ROWS = 40


def company_cut(
    report: ReportContext, table: pd.DataFrame, key: str, *, ends: bool
) -> tuple[pd.DataFrame, str]:
    """`table` (a row per rep, in its order) and the words saying what was left out (text `key`,
    with n and total): for the company past COMPANY_REP_ROWS reps, its first and last halves
    (`ends`) or its first COMPANY_REP_ROWS rows; else the whole table and ""."""
    if report.team is not None or len(table) <= COMPANY_REP_ROWS:
        return table, ""
    n = COMPANY_REP_ROWS // 2 if ends else COMPANY_REP_ROWS
    kept = pd.concat([table.head(n), table.tail(n)]) if ends else table.head(n)
    return kept, t(key, report.lang, n=fmt_number(n), total=fmt_number(len(table)))


def with_note(table: HTML, note: str) -> HTML:
    """`table` with `note` as a paragraph after it (nothing when the note is empty)."""
    return HTML(f"{table.data}\n<p>{escape(note)}</p>") if note else table


def keep_together(rows: int) -> str:
    """The attribute that keeps a short table on one PDF page ('' for a long one, which flows
    across pages with its header repeated): pandoc's Typst writer makes it the figure's kind,
    which the page template does not let break (templates/report.typ.j2)."""
    return ' data-typst:figure:kind="&quot;keep&quot;"' if rows <= KEEP_ROWS else ""


def finished(fig: Figure) -> Figure:
    """`fig`, closed: a cell returning it displays it once, with its alternative text."""
    plt.close(fig)  # displayed once, by the cell's value, not again by the inline backend
    _describe_figures()
    return fig


def _describe_figures() -> None:
    """In a kernel, make every figure's PNG output carry `plots.alt_text` in its metadata
    (`{"image/png": {"alt": ...}}`), which the renderer puts on the HTML image. Idempotent;
    outside IPython, nothing."""
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return
    formatter = shell.display_formatter.formatters["image/png"]
    try:
        draw = formatter.lookup_by_type(Figure)
    except KeyError:
        return
    if getattr(draw, "describes", False):
        return

    def png(fig: Figure):
        data = draw(fig)
        return None if data is None else (data, {"alt": plots.alt_text(fig)})

    png.describes = True
    formatter.for_type(Figure, png)
