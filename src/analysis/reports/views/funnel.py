"""What `notebooks/pipeline_conversion.ipynb` shows: one call per cell, every number from `funnel`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure

from analysis import funnel
from analysis.i18n import (
    Lang,
    fmt_code,
    fmt_currency,
    fmt_month,
    fmt_multiple,
    fmt_number,
    fmt_p,
    fmt_percent,
    fmt_value,
    t,
)
from analysis.reports import capabilities, plots
from analysis.reports.capabilities import shows
from analysis.reports.context import (
    ReportContext,
    company_cut,
    finished,
    html_table,
    open_report,
    with_note,
)
from analysis.reports.text import md_text

__all__ = [
    "FunnelContext",
    "open_funnel",
    "title",
    "heading",
    "note",
    "data_note",
    "funnel_chart",
    "stage_flow",
    "step_table",
    "flow_table",
    "cohort_table",
    "waterfall_chart",
    "waterfall_text",
    "slippage_table",
    "rep_win_rates",
    "rep_test",
    "win_rates_title",
    "win_rates_by",
    "time_in_stage",
    "cycle_chart",
    "survival_chart",
    "lead_funnel",
    "lead_deciles",
    "pipeline_health",
]


@dataclass
class FunnelContext:
    report: ReportContext
    fd: funnel.FunnelData

    @property
    def lang(self) -> Lang:
        return self.report.lang

    # each result is shown by a figure and a table: compute it once per notebook run
    @cached_property
    def steps(self) -> pd.DataFrame:
        return funnel.step_conversion(self.fd)

    @cached_property
    def cohorts(self) -> pd.DataFrame:
        return funnel.cohort_conversion(self.fd)

    @cached_property
    def waterfall(self) -> dict:
        return funnel.waterfall(self.fd)


def open_funnel(
    team: str | None = None,
    month: str | None = None,
    data_dir: str | None = None,
    lang: Lang = "th",
) -> FunnelContext:
    """Validate the parameters, load the dataset and cut it at the end of the month for the team."""
    report = open_report(team=team, month=month, data_dir=data_dir, lang=lang)
    return FunnelContext(report, funnel.prepare(report.ds, report.month, report.team))


def title(ctx: FunnelContext) -> Markdown:
    r = ctx.report
    return Markdown(
        f"# {t('funnel_title', ctx.lang)}: {md_text(r.scope_name)}\n\n**{r.month_label}**"
    )


def heading(key: str, ctx: FunnelContext) -> Markdown | None:
    """A section heading; nothing when the dataset lacks what the section needs (the report's
    data note says so once)."""
    if not shows(key, ctx.report.ds):
        return None
    return Markdown(f"## {t(key, ctx.lang)}")


def note(key: str, ctx: FunnelContext) -> Markdown | None:
    if not shows(key, ctx.report.ds):
        return None
    return Markdown(t(key, ctx.lang))


def data_note(ctx: FunnelContext) -> Markdown | None:
    """What this dataset cannot show (`capabilities.data_note`; a report keeps the first)."""
    text = capabilities.data_note(ctx.report.ds, ctx.lang, buddhist_era=ctx.report.buddhist_era)
    return Markdown(text) if text else None


def _lacks(key: str, ctx: FunnelContext) -> bool:
    return not shows(key, ctx.report.ds)


def _stage(s: str, lang: Lang) -> str:
    return t(f"stage_{s}", lang)


def _ci(low, high) -> str:
    return "–" if pd.isna(low) else f"{fmt_percent(low, digits=0)}–{fmt_percent(high, digits=0)}"


def _rate_columns(lang: Lang, n: pd.Series, rates: pd.DataFrame) -> dict:
    """n, rate and its 95% interval as display columns (rates: rate, ci_low, ci_high)."""
    return {
        t("n", lang): n,
        t("rate", lang): [fmt_percent(v) for v in rates["rate"]],
        t("interval", lang): [
            _ci(a, b) for a, b in zip(rates["ci_low"], rates["ci_high"], strict=True)
        ],
    }


def funnel_chart(ctx: FunnelContext) -> Figure | Markdown | None:
    """Deals created in the last 12 months and how many reached each stage."""
    if _lacks("funnel", ctx):
        return None
    cohorts = ctx.cohorts
    reached = cohorts.groupby("stage", sort=False)["reached"].sum().reset_index()
    if reached.empty or not reached["reached"].sum():  # a new team, or one with no deals
        return Markdown(t("no_deals_created", ctx.lang))
    return finished(plots.plot_funnel(reached, lang=ctx.lang))


def _no_history(ctx: FunnelContext) -> Markdown | None:
    """The note shown instead of a section that needs stage_history, when the data has none."""
    if not ctx.fd.has_deals:  # a new team, or one without deals: nothing to have a history of
        return Markdown(t("no_deals_created", ctx.lang))
    if not ctx.fd.has_history:
        return Markdown(t("no_stage_history", ctx.lang))
    return None


def stage_flow(ctx: FunnelContext) -> Figure | Markdown | None:
    if _lacks("flow", ctx):
        return None
    if (note := _no_history(ctx)) is not None:
        return note
    return finished(plots.plot_stage_flow(ctx.steps, lang=ctx.lang))


def step_table(ctx: FunnelContext) -> HTML | None:
    if _lacks("step_table", ctx):
        return None
    s, lang = ctx.steps, ctx.lang
    frame = pd.DataFrame(
        {
            t("step", lang): [
                f"{_stage(a, lang)} → {_stage(b, lang)}"
                for a, b in zip(s["from_stage"], s["to_stage"], strict=True)
            ],
            **_rate_columns(lang, s["resolved"], s),
        }
    )
    return html_table(frame, "step-table")


def flow_table(ctx: FunnelContext) -> HTML | Markdown | None:
    if _lacks("flow_table", ctx):
        return None
    if (note := _no_history(ctx)) is not None:
        return note
    f, lang = funnel.flow_conversion(ctx.fd), ctx.lang
    frame = pd.DataFrame(
        {
            t("step", lang): [_stage(s, lang) for s in f["stage"]],
            **_rate_columns(lang, f["exits"], f),
        }
    )
    return html_table(frame, "flow-table")


def cohort_table(ctx: FunnelContext) -> HTML | None:
    """Share of each creation cohort that reached each stage, with the cohort's age and open share."""
    if _lacks("cohorts", ctx):
        return None
    c, lang = ctx.cohorts, ctx.lang
    wide = c.pivot(index=["cohort", "age_months", "still_open"], columns="stage", values="rate")
    wide = wide[[s for s in ctx.fd.stage_index if s in wide.columns]].reset_index()
    frame = pd.DataFrame(
        {
            t("month", lang): [
                fmt_month(m, lang, buddhist_era=ctx.report.buddhist_era, short=True)
                for m in wide["cohort"]
            ],
            t("cohort_age", lang): wide["age_months"],
            t("still_open", lang): [fmt_percent(v, digits=0) for v in wide["still_open"]],
        }
    )
    for s in ctx.fd.stage_index:
        if s in wide:
            frame[_stage(s, lang)] = [fmt_percent(v, digits=0) for v in wide[s]]
    return html_table(frame, "cohort-table")


def waterfall_chart(ctx: FunnelContext) -> Figure:
    return finished(plots.plot_waterfall(ctx.waterfall, lang=ctx.lang))


def waterfall_text(ctx: FunnelContext) -> Markdown:
    """The waterfall's equation in numbers (each term named as in the chart), what the records
    leave unexplained, and what snapshots add (or would add)."""
    w, lang, cur = ctx.waterfall, ctx.lang, ctx.report.ds.currency
    terms = ""
    for key, sign in plots.waterfall_steps(w)[1:-1]:
        value = sign * w[key]
        op = "−" if value < 0 else "+"
        terms += f" {op} {t(f'wf_{key}', lang).lower()} {fmt_currency(abs(value), cur)}"
    text = t(
        "waterfall_balance",
        lang,
        start=fmt_currency(w["open_start"], cur),
        terms=terms,
        end=fmt_currency(w["open_end"], cur),
    )
    if w["n_unexplained"]:
        text += "\n\n" + t(
            "waterfall_unexplained",
            lang,
            value=fmt_currency(w["unexplained"], cur),
            n=w["n_unexplained"],
        )
    if w["has_snapshots"]:
        text += "\n\n" + t(
            "waterfall_timing",
            lang,
            slipped=fmt_currency(w["slipped"], cur),
            n_slipped=w["n_slipped"],
            pulled_in=fmt_currency(w["pulled_in"], cur),
            n_pulled_in=w["n_pulled_in"],
        )
    if capabilities.final_only(ctx.report.ds):
        text += "\n\n" + t("as_known_now", lang)
    return Markdown(text)


def _rep_names(ctx: FunnelContext) -> pd.Series:
    return ctx.report.ds["reps"].set_index("rep_id")["rep_name"]


def slippage_table(ctx: FunnelContext) -> HTML | Markdown | None:
    if _lacks("slippage", ctx):
        return None
    s, lang = funnel.slippage(ctx.fd), ctx.lang
    if s.empty:
        return Markdown(t("no_slippage", lang))
    # the company's: the reps who pushed the most deals (by rate, one deal of one made the top)
    most = s.sort_values(["deals_pushed", "push_rate"], ascending=False, kind="stable")
    cut, note = company_cut(ctx.report, most, "slippage_cut", ends=False)
    s = cut if note else s
    frame = pd.DataFrame(
        {
            t("rep", lang): s["rep_id"].map(_rep_names(ctx)),
            t("n", lang): s["open_deals"],
            t("slip_deals", lang): s["deals_pushed"],
            t("slip_rate", lang): [fmt_percent(v, digits=0) for v in s["push_rate"]],
            t("slip_days", lang): [fmt_number(v, digits=0) for v in s["avg_push_days"]],
        }
    )
    return with_note(html_table(frame, "slippage-table"), note)


def rep_win_rates(ctx: FunnelContext) -> Figure:
    rates = funnel.win_rates(ctx.fd, "rep")
    rates["group"] = rates["group"].map(_rep_names(ctx))
    return finished(plots.plot_rate_intervals(rates, lang=ctx.lang))


def rep_test(ctx: FunnelContext) -> Markdown:
    row, lang = funnel.rep_win_rate_test(ctx.fd).iloc[0], ctx.lang
    if row["test"] == "none":
        return Markdown(row["note"])
    verdict = t("rep_test_yes" if row["p"] < 0.05 else "rep_test_no", lang)
    return Markdown(
        t(
            "rep_test",
            lang,
            test=row["test"],
            p=fmt_p(row["p"], named=True),
            n=row["n"],
            reps=row["reps"],
            verdict=verdict,
        )
    )


def win_rates_title(by: str, ctx: FunnelContext) -> Markdown | None:
    """The title of one win-rate table ("Win rate by product (12 months)"): every table titled."""
    if _lacks(f"win_rates_{by}", ctx):
        return None
    return Markdown(f"### {t('win_by_dim', ctx.lang, dim=t(f'dim_{by}', ctx.lang))}")


def win_rates_by(by: str, ctx: FunnelContext) -> HTML | None:
    if _lacks(f"win_rates_{by}", ctx):
        return None
    rates, lang = funnel.win_rates(ctx.fd, by), ctx.lang
    kind = "stage" if by == "stage_reached" else by
    groups = [fmt_code(kind, g, lang) for g in rates["group"]]  # products stay as named
    frame = pd.DataFrame(
        {
            t(f"dim_{by}", lang).capitalize(): groups,
            **_rate_columns(lang, rates["closed"], rates),
        }
    )
    return html_table(frame, f"win-by-{by}")


def time_in_stage(ctx: FunnelContext) -> HTML | Markdown | None:
    if _lacks("time_in_stage", ctx):
        return None
    if (note := _no_history(ctx)) is not None:
        return note
    s, lang = funnel.time_in_stage(ctx.fd), ctx.lang
    frame = pd.DataFrame(
        {
            t("step", lang): [_stage(x, lang) for x in s["stage"]],
            t("n", lang): s["n"],
            t("median", lang): [fmt_number(v, digits=1) for v in s["median_days"]],
            "P80": [fmt_number(v, digits=1) for v in s["p80_days"]],
        }
    )
    return html_table(frame, "stage-time")


def cycle_chart(ctx: FunnelContext) -> Figure:
    return finished(plots.plot_cycle_lengths(funnel.cycle_lengths(ctx.fd), lang=ctx.lang))


def survival_chart(ctx: FunnelContext) -> Figure | Markdown:
    curve = funnel.time_to_close(ctx.fd)
    if curve.empty or not curve["at_risk"].max():  # no deals to follow
        return Markdown(t("no_deals_created", ctx.lang))
    return finished(plots.plot_survival(curve, lang=ctx.lang))


def lead_funnel(ctx: FunnelContext) -> HTML | Markdown | None:
    if _lacks("leads", ctx):
        return None
    lf, lang = funnel.lead_funnel(ctx.fd), ctx.lang
    if lf.empty:
        return Markdown(t("missing_table", lang, what=t("what_leads", lang)))
    frame = pd.DataFrame(
        {
            t("step", lang): [fmt_code("lead_step", step, lang) for step in lf["step"]],
            **_rate_columns(lang, lf["n"], lf),
            t("median", lang): [fmt_number(v, digits=1) for v in lf["median_days"]],
        }
    )
    return html_table(frame, "lead-funnel")


def lead_deciles(ctx: FunnelContext) -> Figure | Markdown | None:
    if _lacks("lead_deciles", ctx):
        return None
    d = funnel.lead_score_deciles(ctx.fd)
    if d.empty:
        return Markdown(t("missing_table", ctx.lang, what=t("what_lead_scores", ctx.lang)))
    d = d.assign(
        group=[
            f"D{int(x)} ({fmt_number(lo)}–{fmt_number(hi)})"
            for x, lo, hi in zip(d["decile"], d["score_min"], d["score_max"], strict=True)
        ],
        closed=d["leads"],
    )
    return finished(plots.plot_rate_intervals(d, lang=ctx.lang))


def pipeline_health(ctx: FunnelContext) -> Markdown:
    h, lang = funnel.pipeline_health(ctx.fd), ctx.lang

    return Markdown(
        t(
            "health_text" if ctx.report.ds.has("quotas") else "health_text_no_quota",
            lang,
            coverage=fmt_multiple(h["pipeline_coverage"]),
            win_rate=fmt_percent(h["win_rate"]),
            required=fmt_multiple(h["required_coverage"]),
            velocity=fmt_value(
                "pipeline_velocity", h["pipeline_velocity"], lang, ctx.report.ds.currency
            ),
        )
    )
