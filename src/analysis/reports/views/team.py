"""What the report notebooks show: one function per result (a heading, a table, a figure or a
sentence built from numbers), so a notebook cell is a single call.

Headings are produced here, from `i18n.TEXT`, rather than typed into markdown cells: the same
notebook renders Thai and English reports, and a markdown cell cannot switch language.
Text from the data is HTML-escaped before it reaches a report.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure

from analysis import __version__
from analysis.i18n import (
    Lang,
    fmt_currency,
    fmt_date,
    fmt_multiple,
    fmt_number,
    fmt_percent,
    fmt_points,
    fmt_value,
    kpi_label,
    t,
)
from analysis.metrics.kpis import KPIS, missing_kpis
from analysis.metrics.registry import FAMILIES
from analysis.metrics.scorecards import (
    RAG_RULE,
    attainment_distribution,
    coaching_view,
    rag_status,
)
from analysis.paths import PROJECT_ROOT
from analysis.reports import capabilities, plots
from analysis.reports.capabilities import shows
from analysis.reports.context import (
    HEADLINE,
    ReportContext,
    company_cut,
    finished,
    html_table,
    open_report,
    with_note,
)
from analysis.reports.params import (
    PARAMS_DIR,
    load_forecast_params,
)
from analysis.reports.text import escape, md_text
from analysis.reports.views import company as company_views
from analysis.reports.views import review as review_views
from analysis.reports.views.review import biggest_deals, concentration, loss_reasons
from analysis.review import falling_indicators

__all__ = [
    "ReportContext",
    "open_report",
    "title",
    "heading",
    "kpi_overview",
    "brief",
    "teams",
    "loss_reasons",
    "biggest_deals",
    "concentration",
    "revenue_trend",
    "league",
    "rep_attainment",
    "coaching",
    "all_kpis",
    "status_rule",
    "data_note",
    "text",
    "about",
    "HEADLINE",
]


def title(ctx: ReportContext) -> Markdown:
    """Report title with scope and month, and who and what it covers."""
    lines = [
        f"# {t('report_title', ctx.lang)}: {md_text(ctx.scope_name)}",
        "",
        f"**{ctx.month_label}**",
    ]
    facts = []
    if ctx.manager_name:
        facts.append(f"{t('manager', ctx.lang)}: {md_text(ctx.manager_name)}")
    if ctx.region:
        facts.append(f"{t('region', ctx.lang)}: {md_text(ctx.region)}")
    facts.append(
        f"{t('data_as_of', ctx.lang)} {fmt_date(ctx.ds.as_of, ctx.lang, buddhist_era=ctx.buddhist_era)}"
    )
    lines += ["", " · ".join(facts)]
    return Markdown("\n".join(lines))


# headings that name quotas, and what they say when the dataset has none
WITHOUT_QUOTAS = {
    "trend": "trend_no_quota",
    "league": "league_no_quota",
    "teams_worst_first": "teams_worst_first_no_quota",
}


def heading(
    key: str, ctx: ReportContext, level: int = 2, company_only: bool = False
) -> Markdown | None:
    """A section heading in the report's language; nothing in a team's report when
    `company_only`, or when the dataset lacks what the section needs (the report's data note
    says so once)."""
    if company_only and ctx.team is not None or not shows(key, ctx.ds):
        return None
    if not ctx.ds.has("quotas"):
        key = WITHOUT_QUOTAS.get(key, key)
    return Markdown(f"{'#' * level} {t(key, ctx.lang)}")


def data_note(ctx: ReportContext) -> Markdown | None:
    """Under the headline KPIs: that the targets are provisional (derived at import, not set by
    anyone) while they are, and what this dataset cannot show and which table would add it, once
    per report (`capabilities.data_note`); nothing when neither applies."""
    parts = [f"**{t('targets_provisional', ctx.lang)}**"] if ctx.targets_provisional else []
    text = capabilities.data_note(ctx.ds, ctx.lang, buddhist_era=ctx.buddhist_era)
    parts += [text] if text else []
    return Markdown("\n\n".join(parts)) if parts else None


def _drop_empty(frame: pd.DataFrame, keep: int = 2) -> pd.DataFrame:
    """`frame` without the columns (after the first `keep`) in which every cell is "–": a column
    the data cannot fill (no quotas, no accounts) says nothing."""
    empty = [c for c in frame.columns[keep:] if frame[c].astype(str).eq("–").all()]
    return frame.drop(columns=empty) if len(frame) else frame


def text(key: str, ctx: ReportContext) -> Markdown:
    """A sentence from the translation table, in the report's language."""
    return Markdown(t(key, ctx.lang))


def _change(key: str, now, before, lang: Lang) -> str:
    """Relative change; percentage points for ratios; '–' when either side is missing or 0."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return "–"
    if KPIS[key].unit == "ratio":
        return fmt_points(now - before)
    if KPIS[key].unit == "multiple":
        return fmt_multiple(now - before, signed=True)
    return "–" if before == 0 else fmt_percent(now / before - 1, lang, signed=True)


def _status_label(status, lang: Lang) -> str:
    return t(f"status_{status}", lang) if status else "–"


def _kpi_rows(
    ctx: ReportContext, keys: list[str], with_family: bool = False
) -> tuple[pd.DataFrame, list]:
    rows, statuses = [], []
    cur = ctx.ds.currency
    # a lead indicator without a target that page 1's rule finds falling (10% or more worse than
    # its mean of the 3 months before) is marked, not left as "–"
    falling = {r.key for r in falling_indicators(ctx.team_kpis, ctx.month)}
    for key in keys:
        now, before = ctx.kpi(key), ctx.kpi(key, 1)
        target = ctx.targets.get(key)
        status = rag_status(now, target, KPIS[key].higher_is_better)
        label = _status_label(status, ctx.lang)
        if status is None and key in falling:
            status, label = "amber", t("status_falling", ctx.lang)
        row = {}
        if with_family:
            en, th = FAMILIES[KPIS[key].family]
            row[t("family", ctx.lang)] = th if ctx.lang == "th" else en
        row.update(
            {
                t("kpi", ctx.lang): kpi_label(key, ctx.lang),
                t("this_month", ctx.lang): fmt_value(key, now, ctx.lang, cur),
                t("last_month", ctx.lang): fmt_value(key, before, ctx.lang, cur),
                t("change", ctx.lang): _change(key, now, before, ctx.lang),
                t("target", ctx.lang): fmt_value(key, target, ctx.lang, cur)
                if target is not None
                else "–",
                t("status", ctx.lang): label,
            }
        )
        rows.append(row)
        statuses.append(status)
    return pd.DataFrame(rows), statuses


def _shown_kpis(ctx: ReportContext, keys) -> list[str]:
    """`keys` without the KPIs whose tables the dataset lacks (the data note counts them)."""
    absent = missing_kpis(ctx.ds)
    return [k for k in keys if k not in absent]


def kpi_overview(ctx: ReportContext) -> HTML:
    """The headline KPIs: this month, last month, change, target and red/amber/green status."""
    frame, statuses = _kpi_rows(ctx, _shown_kpis(ctx, HEADLINE))
    return html_table(frame, "kpi-table", t("status", ctx.lang), statuses)


def all_kpis(ctx: ReportContext) -> HTML:
    """Every KPI of the role the dataset can give, grouped by family."""
    frame, statuses = _kpi_rows(ctx, _shown_kpis(ctx, KPIS), with_family=True)
    return html_table(frame, "all-kpis", t("status", ctx.lang), statuses)


def status_rule(ctx: ReportContext) -> Markdown:
    """How the red/amber/green status is decided, and where the targets come from."""
    return Markdown(t("status_rule", ctx.lang, rule=RAG_RULE))


def brief(ctx: ReportContext) -> Markdown:
    """Page 1: the month against target, the quarter outlook, the largest risks and the actions
    the rules give for them (`views.review.brief`, docs/brief.md)."""
    return review_views.brief(ctx, _summary_text(ctx))


def teams(ctx: ReportContext) -> HTML | Markdown:
    """The company report only (empty for a team): every team, lowest attainment first."""
    if ctx.team is not None:
        return Markdown("")
    return company_views.team_table(ctx)


def _summary_text(ctx: ReportContext) -> str:
    """The month in one paragraph, every number computed: revenue vs quota, change, deals, reps
    at quota, the off-target KPIs and (company) the off-target teams."""
    lang, cur = ctx.lang, ctx.ds.currency
    revenue, quota = ctx.kpi("revenue") or 0.0, ctx.kpi("quota")
    if quota is not None:
        parts = [
            t(
                "summary_revenue",
                lang,
                team=md_text(ctx.scope_name),
                revenue=fmt_currency(revenue, cur),
                month=ctx.month_label,
                attainment=fmt_percent(ctx.kpi("quota_attainment")),
                quota=fmt_currency(quota, cur),
            )
        ]
    else:
        parts = [
            t(
                "summary_no_quota",
                lang,
                team=md_text(ctx.scope_name),
                revenue=fmt_currency(revenue, cur),
                month=ctx.month_label,
            )
        ]
    before = ctx.kpi("revenue", 1)
    if before:
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
    dist = attainment_distribution(ctx.ds, ctx.month, ctx.team)
    if dist["n_reps"]:
        parts.append(
            t("summary_reps", lang, at_quota=dist["n_at_or_above_quota"], n_reps=dist["n_reps"])
        )
    off = [
        kpi_label(k, lang)
        for k in HEADLINE
        if rag_status(ctx.kpi(k), ctx.targets.get(k), KPIS[k].higher_is_better) == "red"
    ]
    if off:
        parts.append(t("summary_at_risk", lang, kpis=", ".join(off)))
    if ctx.team is None:
        behind = company_views.off_target_teams(ctx)
        named = ", ".join(f"{md_text(n)} ({fmt_percent(v)})" for n, v in behind[:TEAMS_NAMED])
        if len(behind) > TEAMS_NAMED:  # the table after the brief lists every team
            total = len(ctx.ds["teams"])
            parts.append(t("teams_off_target_many", lang, n=len(behind), total=total, teams=named))
        elif behind:
            parts.append(t("teams_off_target", lang, teams=named))
    sep = " " if lang == "th" else ". "
    return sep.join(parts) + ("" if lang == "th" else ".")


# page 1 names at most this many off-target teams, lowest first: the 300-team benchmark company's
# brief named 200 in one paragraph
TEAMS_NAMED = 5


def revenue_trend(ctx: ReportContext) -> Figure:
    """Won revenue against quota over the last 12 months."""
    return finished(
        plots.plot_revenue_vs_quota(
            ctx.team_kpis[["month", "revenue", "quota"]],
            lang=ctx.lang,
            buddhist_era=ctx.buddhist_era,
        )
    )


def league(ctx: ReportContext) -> HTML:
    """The team's reps ranked by quota attainment, with last month's rank and the team median
    (the company's: the first and last `context.COMPANY_REP_ROWS` / 2 of the ranking)."""
    lang, cur = ctx.lang, ctx.ds.currency
    table = ctx.league
    if not ctx.ds.has("quotas"):  # no attainment to rank by: largest revenue first
        table = table.sort_values(["revenue", "rep_name"], ascending=[False, True], kind="stable")
    # the company's: the ends of the ranking, not reps without a rank (no quota this month)
    ranked = table[table["rank"].notna()] if ctx.ds.has("quotas") else table
    cut, note = company_cut(ctx, ranked, "league_cut", ends=True)
    table = cut if note else table

    def move(v) -> str:
        return "–" if pd.isna(v) else ("=" if v == 0 else fmt_number(v, signed=True))

    columns = {
        t("rank", lang): [fmt_number(v) for v in table["rank"]],
        t("rep", lang): table["rep_name"],
    }
    if ctx.team is None:  # the company's ranking: which team each rep is in
        names = ctx.ds["teams"].set_index("team_id")["team_name"]
        columns[t("team", lang)] = table["team_id"].map(names)
    frame = pd.DataFrame(
        {
            **columns,
            kpi_label("revenue", lang): [fmt_currency(v, cur) for v in table["revenue"]],
            kpi_label("quota_attainment", lang): [
                fmt_percent(v) for v in table["quota_attainment"]
            ],
            t("vs_team_median", lang): [
                fmt_points(v, 0) for v in table["attainment_vs_team_median"]
            ],
            t("rank_change", lang): [move(v) for v in table["rank_change"]],
            kpi_label("deals_won", lang): table["deals_won"],
            kpi_label("win_rate", lang): [fmt_percent(v) for v in table["win_rate"]],
        }
    )
    if not ctx.ds.has("quotas"):  # ranked by attainment: without quotas there is no ranking
        frame = frame.drop(columns=[t("rank", lang), t("rank_change", lang)])
    return with_note(html_table(_drop_empty(frame), "league-table"), note)


def rep_attainment(ctx: ReportContext) -> Figure | None:
    """Quota attainment per rep this month (nothing without quotas)."""
    if not shows("rep_chart", ctx.ds):
        return None
    table = ctx.league
    return finished(
        plots.plot_rep_attainment(table[["rep_name", "quota_attainment"]], lang=ctx.lang)
    )


def coaching(ctx: ReportContext) -> HTML:
    """Per rep: the velocity lever that lags the team most, with small-sample caution, ramp and
    coverage (the company's: the `context.COMPANY_REP_ROWS` reps furthest below their tenure's
    typical attainment, those with enough closed deals to coach from first)."""
    lang = ctx.lang
    view = coaching_view(ctx.ds, ctx.month, ctx.team)
    # reps with too few closed deals to coach from (`small_sample`: most are new hires at 0%)
    # come after those with enough
    by_need = view.sort_values(
        ["small_sample", "ramp_adjusted_attainment", "rep_name"], kind="stable"
    )
    cut, note = company_cut(ctx, by_need, "coaching_cut", ends=False)
    if note:  # the company's reps most in need, listed by name as a team's are
        view = cut.sort_values("rep_name", kind="stable")

    def lever(row) -> str:
        if pd.isna(row["weakest_lever"]):
            return "–"
        ratio = row[f"{row['weakest_lever']}_vs_team"]
        text = f"{kpi_label(row['weakest_lever'], lang)} ({fmt_percent(ratio, digits=0)} {t('of_team_median', lang)})"
        return text + (
            f" — {t('small_sample', lang, n=int(row['closed_deals']))}"
            if row["small_sample"]
            else ""
        )

    frame = pd.DataFrame(
        {
            t("rep", lang): view["rep_name"],
            t("weakest_lever", lang): [lever(r) for _, r in view.iterrows()],
            t("tenure_months", lang): view["tenure"],
            t("ramp_adjusted", lang): [
                fmt_percent(v, digits=0) for v in view["ramp_adjusted_attainment"]
            ],
            t("required_coverage", lang): [fmt_multiple(v) for v in view["required_coverage"]],
            kpi_label("pipeline_coverage", lang): [
                fmt_multiple(v) for v in view["pipeline_coverage"]
            ],
        }
    )
    return with_note(html_table(_drop_empty(frame), "coaching-table"), note)


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
        "data_dir": _display_path(ctx.ds.path),
    }
    lines = [
        f"- {t('dataset', ctx.lang)}: {md_text(ctx.ds.name)}",
        f"- {t('content_hash', ctx.lang)}: `{ctx.ds.content_hash[:16]}`",
        f"- {t('package_version', ctx.lang)}: `analysis {__version__}`",
        f"- {t('parameters', ctx.lang)}: "
        + ", ".join(f"{k}=`{escape(v)}`" for k, v in shown.items()),
    ]
    own = p.team is not None and (PARAMS_DIR / f"{p.team}.yaml").is_file()
    source = f"params/{p.team}.yaml" if own else "params/_defaults.yaml"
    targets = ", ".join(f"{k}=`{v:g}`" for k, v in sorted(ctx.targets.items())) or "–"
    lines.append(f"- {t('targets_used', ctx.lang)} ({md_text(source, limit=None)}): {targets}")
    forecast = load_forecast_params(p.team).model_dump()
    lines.append(
        f"- {t('forecast_settings', ctx.lang)}: "
        + ", ".join(f"{k}=`{escape(v)}`" for k, v in forecast.items())
    )
    return Markdown("\n".join(lines))
