"""What `notebooks/skill_effects.ipynb` shows: one call per cell, every number from `effects`."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd
from IPython.display import HTML, Markdown
from matplotlib.figure import Figure

from analysis import effects
from analysis.i18n import Lang, fmt_number, fmt_p, t
from analysis.reports import capabilities, plots
from analysis.reports.capabilities import shows
from analysis.reports.context import ReportContext, finished, html_table, open_report
from analysis.reports.text import md_text

__all__ = [
    "EffectsContext",
    "open_effects",
    "title",
    "heading",
    "data_note",
    "summary",
    "forest_chart",
    "results_table",
    "pooled_note",
    "method",
]

_PERCENT_OUTCOMES = {"win_rate", "negotiation_win_rate", "quota_attainment"}


@dataclass
class EffectsContext:
    report: ReportContext
    data: effects.EffectsData

    @property
    def lang(self) -> Lang:
        return self.report.lang

    @cached_property
    def table(self) -> pd.DataFrame:
        return effects.effects_table(self.data, self.report.team)

    @cached_property
    def shown(self) -> pd.DataFrame:
        """The rows this report shows: a team's own tests (the company-wide ones it would pool
        are shown once, in the company report, and referenced here); every row for the company."""
        return self.table[~self.table["pooled"]] if len(self.table) else self.table


def open_effects(
    team: str | None = None,
    month: str | None = None,
    data_dir: str | None = None,
    lang: Lang = "th",
) -> EffectsContext:
    """Validate the parameters, load the dataset, and build the panels as of the month's end."""
    report = open_report(team=team, month=month, data_dir=data_dir, lang=lang)
    return EffectsContext(report, effects.prepare(report.ds, report.month))


# each question's section: what its rows need (`capabilities.NEEDS`)
SECTION = {
    "skill_outcome": "fx_section_skill_outcome",
    "skill_outcome_adjusted": "fx_section_skill_outcome",
    "training_skill": "fx_section_training_skill",
    "training_outcome": "fx_section_training_outcome",
    "pre_trend": "fx_section_pre_trend",
}


def _lacks(key: str, ctx: EffectsContext) -> bool:
    return not shows(key, ctx.report.ds)


def data_note(ctx: EffectsContext) -> Markdown | None:
    """What this dataset cannot show (`capabilities.data_note`; a report keeps the first)."""
    text = capabilities.data_note(ctx.report.ds, ctx.lang, buddhist_era=ctx.report.buddhist_era)
    return Markdown(text) if text else None


def title(ctx: EffectsContext) -> Markdown | None:
    """The part's title; nothing when the dataset has neither skill scores nor trainings (the
    whole part is left out, and the report's data note says so)."""
    if _lacks("fx_title", ctx):
        return None
    r = ctx.report
    return Markdown(
        f"# {t('effects_title', ctx.lang)}: {md_text(r.scope_name)}\n\n**{r.month_label}**"
    )


def heading(key: str, ctx: EffectsContext, level: int = 2) -> Markdown | None:
    if _lacks(key, ctx):
        return None
    return Markdown(f"{'#' * level} {t(key, ctx.lang)}")


def _value(row, value, lang: Lang) -> str:
    """An estimate in its unit: rho to 2 decimals, score points to 1, rates in points."""
    if pd.isna(value):
        return "–"
    if row["question"] == "skill_outcome":
        return fmt_number(value, digits=2)
    if row["question"] == "training_skill":
        return fmt_number(value, digits=1)
    if row["outcome"] in _PERCENT_OUTCOMES:  # a difference of rates: percentage points
        return fmt_number(value * 100, digits=1) + t("pp", lang)
    return fmt_number(value, digits=2)


def _subject(row, lang: Lang, text=str) -> str:
    """What a test is about; `text` renders the course id from the data (md_text in Markdown;
    as it is in charts and tables, which escape their own cells)."""
    skill = t(f"skill_{row['skill']}", lang) if isinstance(row["skill"], str) else "–"
    if isinstance(row["course_id"], str):
        return t("fx_subject_course", lang, course=text(row["course_id"]), skill=skill)
    return t("fx_subject_skill", lang, skill=skill)


# questions that estimate an association (a correlation; skill before and after training, with no
# group left untrained): worded as association, never as an effect
ASSOCIATION = {"skill_outcome", "skill_outcome_adjusted", "training_skill"}


def _associated(row) -> bool:
    """A finding (positive or negative) of a question that estimates an association."""
    return row["question"] in ASSOCIATION and row["verdict"] in ("positive", "negative")


def _verdict(row, lang: Lang) -> str:
    return t(f"v_{'assoc_' if _associated(row) else ''}{row['verdict']}", lang)


def _sentence(row, lang: Lang) -> str:
    v, kind = row["verdict"], "assoc" if _associated(row) else "sentence"
    return t(
        f"fx_{kind}_{v}",
        lang,
        subject=_subject(row, lang, md_text),
        what=t(f"outcome_{row['outcome']}", lang),
        estimate=_value(row, row["estimate"], lang),
        low=_value(row, row["ci_low"], lang),
        high=_value(row, row["ci_high"], lang),
        n=int(row["n"]),
    )


def summary(ctx: EffectsContext) -> Markdown | None:
    """The findings that hold up after the FDR adjustment, one sentence each."""
    if _lacks("fx_section_summary", ctx):
        return None
    table, lang = ctx.shown, ctx.lang
    if ctx.table.empty:
        return Markdown(t("fx_no_data", lang))
    # the headline questions; the tenure-adjusted regression (per 10 points) stays in its table
    headline = table["question"].isin(["skill_outcome", "training_skill", "training_outcome"])
    main = table[headline & table["verdict"].isin(["positive", "negative"])]
    if main.empty:
        return Markdown(t("fx_none", lang))
    return Markdown("\n".join(f"- {_sentence(r, lang)}" for _, r in main.iterrows()))


def _question_rows(question: str, ctx: EffectsContext) -> pd.DataFrame:
    return ctx.shown[ctx.shown["question"].eq(question)]


def _missing(question: str, ctx: EffectsContext) -> Markdown:
    """Why a question shows nothing: no data at all, or (a team) only company-wide rows."""
    if question == "skill_outcome_adjusted" and _question_rows("skill_outcome", ctx).empty:
        return Markdown("")  # the same question's first chart has said it
    pooled = ctx.table[ctx.table["question"].eq(question)] if len(ctx.table) else ctx.table
    return Markdown(t("fx_company_only" if len(pooled) else "fx_no_data", ctx.lang))


def _labels(rows: pd.DataFrame, lang: Lang) -> list[str]:
    """'Subject · outcome' for each row."""
    return [f"{_subject(r, lang)} · {t(f'outcome_{r.outcome}', lang)}" for _, r in rows.iterrows()]


def forest_chart(question: str, ctx: EffectsContext) -> Figure | Markdown | None:
    """One question's estimates with their 95% intervals (one figure per question, so each fits
    a page and sits beside its table)."""
    if _lacks(SECTION[question], ctx):
        return None
    rows = _question_rows(question, ctx)
    if rows.empty:
        return _missing(question, ctx)
    return finished(plots.plot_forest(rows.assign(label=_labels(rows, ctx.lang)), lang=ctx.lang))


def results_table(question: str, ctx: EffectsContext) -> HTML | Markdown | None:
    """One question's rows: what was compared, the estimate and interval, the test, p, adjusted
    p, n, the minimum detectable effect, and the verdict in one sentence."""
    if _lacks(SECTION[question], ctx):
        return None
    rows, lang = _question_rows(question, ctx), ctx.lang
    if rows.empty:  # the chart above says why (a question without its chart: pre_trend)
        return _missing(question, ctx) if question == "pre_trend" else Markdown("")
    frame = pd.DataFrame(
        {
            t("skill" if question.startswith("skill") else "course", lang): [
                _subject(r, lang) for _, r in rows.iterrows()
            ],
            t("outcome", lang): [t(f"outcome_{o}", lang) for o in rows["outcome"]],
            t("estimate", lang): [_value(r, r["estimate"], lang) for _, r in rows.iterrows()],
            t("interval", lang): [
                f"{_value(r, r['ci_low'], lang)} – {_value(r, r['ci_high'], lang)}"
                for _, r in rows.iterrows()
            ],
            "p": [fmt_p(v) for v in rows["p"]],
            t("p_adjusted", lang): [fmt_p(v) for v in rows["p_adjusted"]],
            t("n", lang): rows["n"].to_numpy(),
            t("mde", lang): [_value(r, r["mde"], lang) for _, r in rows.iterrows()],
            t("verdict", lang): [_verdict(r, lang) for _, r in rows.iterrows()],
        }
    )
    return html_table(frame, f"effects-{question.replace('_', '-')}")


def pooled_note(ctx: EffectsContext) -> Markdown | None:
    """A team's report: how many company-wide tests stand in for the team's (shown once, in the
    company report), and how many of them hold up; '' when none."""
    if _lacks("fx_section_summary", ctx):
        return None
    pooled = ctx.table[ctx.table["pooled"]] if len(ctx.table) else ctx.table
    if pooled.empty:
        return Markdown("")
    main = pooled[pooled["question"].ne("pre_trend")]
    k = int(main["verdict"].isin(["positive", "negative"]).sum())
    return Markdown(t("fx_company_reference", ctx.lang, n=len(main), k=k))


def method(ctx: EffectsContext) -> Markdown | None:
    """The methods, with this report's numbers; nothing when the part is left out, one
    sentence when no test could run."""
    if _lacks("fx_section_method", ctx):
        return None
    # the family this report's own rows were adjusted in (a team's own tests; the company's)
    tests = int(ctx.shown["question"].ne("pre_trend").sum()) if len(ctx.shown) else 0
    if not tests:
        return Markdown(t("fx_method_no_tests", ctx.lang))
    return Markdown(
        t(
            "fx_method",
            ctx.lang,
            boot=fmt_number(effects.BOOTSTRAP),
            perm=fmt_number(effects.PERMUTATIONS),
            tests=tests,
        )
    )
