"""What a dataset can show, worked out once for every section of a report (issue 15).

A real CRM export often brings only the required tables: no stage history, no snapshots, no
quotas, no skills. A section whose inputs are missing is left out, and one note per report
(`data_note`, the first part's; `batch.combine_notebooks` keeps only the first) says what each
missing table would add. Values the data holds only as they are now (a deal's amount and expected
close date without snapshots) are named there, and wherever they feed a past month the reader is
told they are "as known now, not as known then" (`final_only`).

`shows(key, ds)` answers for a section by its heading key (`NEEDS`); view functions that draw a
section's body check the same need, so heading and body appear or go together.
"""

from __future__ import annotations

from analysis.data.contract import TABLES
from analysis.data.dataset import Dataset
from analysis.data.history import HISTORY_TABLES
from analysis.i18n import Lang, fmt_date, fmt_number, t
from analysis.metrics.kpis import KPIS, accounts_without_owners, missing_kpis

__all__ = ["NEEDS", "capabilities", "shows", "lacks", "final_only", "data_note"]

# a section's heading key -> what it needs (every one of them)
NEEDS: dict[str, tuple[str, ...]] = {
    # pipeline conversion: a deal's path through the stages needs its history
    "funnel": ("stage_history",),
    "funnel_populations": ("stage_history",),
    "flow": ("stage_history",),
    "step_table": ("stage_history",),
    "skip_rule": ("stage_history",),
    "flow_table": ("stage_history",),
    "cohorts": ("stage_history",),
    "time_in_stage": ("stage_history",),
    "win_rates_stage_reached": ("stage_history",),
    "slippage": ("opportunity_snapshots",),
    "deals_slipped_top": ("opportunity_snapshots",),
    "leads": ("leads",),
    "lead_deciles": ("leads",),
    "win_rates_lead_source": ("leads",),
    # quotas
    "rep_chart": ("quotas",),
    "fc_section_quota": ("quotas",),
    # skills and training: the whole part
    "fx_title": ("skills_or_training",),
    "fx_section_summary": ("skills_or_training",),
    "fx_section_skill_outcome": ("skill_assessments",),
    "fx_section_training_skill": ("skill_assessments", "trainings"),
    "fx_section_training_outcome": ("trainings",),
    "fx_section_pre_trend": ("trainings",),
    "fx_section_method": ("skills_or_training",),
}

# what the note says is missing, in this order; the other absent tables share one line
NOTED = ("stage_history", "opportunity_snapshots", "quotas", "skills_or_training", "leads")


def capabilities(ds: Dataset) -> frozenset[str]:
    """The dataset's tables, and `skills_or_training` when it has either."""
    present = {name for name in TABLES if ds.has(name)}
    if present & {"skill_assessments", "trainings"}:
        present.add("skills_or_training")
    return frozenset(present)


def lacks(ds: Dataset, *needs: str) -> list[str]:
    """Which of `needs` the dataset does not have."""
    have = capabilities(ds)
    return [n for n in needs if n not in have]


def shows(key: str, ds: Dataset) -> bool:
    """Whether the section under heading `key` has what it needs."""
    return not lacks(ds, *NEEDS.get(key, ()))


def final_only(ds: Dataset) -> tuple[str, ...]:
    """The opportunity values the data hold only as they are now that snapshots would give a
    past: a deal's amount, expected close date and forecast category (an export records them when
    the deal closes; `data.history`, as the import records it)."""
    return () if ds.has("opportunity_snapshots") else HISTORY_TABLES["opportunity_snapshots"]


def data_note(ds: Dataset, lang: Lang, *, buddhist_era: bool = True) -> str:
    """One paragraph per report: what this dataset cannot show and which table would add it,
    and how many deals lack a creation or expected close date ('' when nothing is missing)."""
    have = capabilities(ds)
    lines = [f"- {t(f'cap_{need}', lang)}" for need in NOTED if need not in have]
    listed = {"stage_history", "opportunity_snapshots", "quotas", "leads"}
    if "skills_or_training" not in have:
        listed |= {"skill_assessments", "trainings"}
    others = [n for n in TABLES if not ds.has(n) and n not in listed]
    if others:
        n_kpis = sum(1 for k in missing_kpis(ds) if set(KPIS[k].requires) & set(others))
        lines.append(
            "- " + t("cap_other", lang, tables=", ".join(f"`{o}`" for o in others), kpis=n_kpis)
        )
    if accounts_without_owners(ds):
        lines.append(f"- {t('cap_account_owner', lang)}")
    how = [t("cap_how", lang)] if lines else []  # how to add a table: only when one is missing
    for column, key in (
        ("created_at", "undated_deals"),
        ("expected_close_date", "no_expected_close"),
    ):
        n = ds.tables.null_count("opportunities", column)
        if n:
            day = "?" if ds.as_of is None else fmt_date(ds.as_of, lang, buddhist_era=buddhist_era)
            lines.append("- " + t(f"cap_{key}", lang, n=fmt_number(n, lang), as_of=day))
    if not lines:
        return ""
    return "\n\n".join([f"**{t('cap_title', lang)}**", "\n".join(lines), *how])
