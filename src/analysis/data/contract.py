"""The data contract: one spec per table, its columns, enums, keys, foreign keys and row rules.

Everything else (validation in `io`, the sample generator in `synth`, `docs/data-contract.md`)
is derived from the specs below, so a column name is written here once and referenced from here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import pandas as pd

__all__ = [
    "CONTRACT_VERSION",
    "DEAL_TYPES",
    "FORECAST_CATEGORIES",
    "OPEN_STAGES",
    "CLOSED_STAGES",
    "STAGES",
    "SKILLS",
    "ACTIVITY_TYPES",
    "TABLES",
    "REQUIRED_TABLES",
    "Column",
    "RowRule",
    "Table",
    "contract_markdown",
]

CONTRACT_VERSION = "1"

OPEN_STAGES: tuple[str, ...] = ("prospecting", "qualification", "proposal", "negotiation")
CLOSED_STAGES: tuple[str, ...] = ("closed_won", "closed_lost")
STAGES: tuple[str, ...] = OPEN_STAGES + CLOSED_STAGES
DEAL_TYPES: tuple[str, ...] = ("new_business", "upsell", "cross_sell", "renewal")
ACTIVITY_TYPES: tuple[str, ...] = ("visit", "call", "email", "meeting", "demo")
SKILLS: tuple[str, ...] = (
    "negotiation",
    "presentation",
    "discovery",
    "product_knowledge",
    "closing",
)
# the sales forecast categories reps assign to open deals, as CRMs name them (Salesforce's
# ForecastCategoryName: Pipeline, Best Case, Commit, Omitted; "Closed" is implied by the stage)
FORECAST_CATEGORIES: tuple[str, ...] = ("commit", "best_case", "pipeline", "omitted")
TICKET_PRIORITIES: tuple[str, ...] = ("low", "medium", "high", "urgent")

Kind = Literal["id", "text", "int", "float", "date", "datetime", "month", "bool"]

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


@dataclass(frozen=True)
class Column:
    """One column: its kind, whether it may be empty, and the value rules it obeys."""

    name: str
    kind: Kind
    description: str
    nullable: bool = False
    enum: tuple[str, ...] | None = None
    ge: float | None = None
    le: float | None = None
    pattern: str | None = None
    references: str | None = None  # "table.column" this column must exist in
    # a nullable column whose empty values are kept but change what the row counts in: the
    # validators warn with this rule and the rows (e.g. deals without a creation date)
    empty_note: str | None = None

    def rule_text(self) -> str:
        """The column's rules as one line of prose (used in the docs)."""
        parts = []
        if self.enum:
            parts.append("one of " + ", ".join(f"`{v}`" for v in self.enum))
        if self.ge is not None and self.le is not None:
            parts.append(f"{self.ge:g} to {self.le:g}")
        elif self.ge is not None:
            parts.append(f">= {self.ge:g}")
        if self.pattern == SLUG_PATTERN:
            parts.append("slug: lower-case a-z, 0-9 and single hyphens")
        if self.references:
            parts.append(f"must exist in `{self.references}`")
        if self.empty_note:
            parts.append(f"when it {self.empty_note}")
        return "; ".join(parts)


@dataclass(frozen=True)
class RowRule:
    """A rule across columns of one row; `check` returns True where a row obeys it (NaN-safe),
    `sql` is the same test as a DuckDB predicate (NULL counts as obeying) for datasets validated
    in place (`analysis.data.pushdown`); a test checks the two agree on the bad-input corpus."""

    name: str
    columns: tuple[str, ...]
    check: Callable[[pd.DataFrame], pd.Series]
    sql: str


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required: bool = False
    rules: tuple[RowRule, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _not_before(later: str, earlier: str) -> Callable[[pd.DataFrame], pd.Series]:
    """Rows where `later` is empty or not before `earlier`."""
    return lambda df: df[later].isna() | df[earlier].isna() | (df[later] >= df[earlier])


def _closed_iff_dated(df: pd.DataFrame) -> pd.Series:
    closed = df["stage"].isin(CLOSED_STAGES)
    return closed == df["closed_at"].notna()


def _c(name: str, kind: Kind, description: str, **kw) -> Column:
    return Column(name, kind, description, **kw)


TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        Table(
            "teams",
            "Sales teams, each led by one Account Executive Manager.",
            (
                _c(
                    "team_id",
                    "id",
                    "Stable team id, used in params/ and report paths.",
                    pattern=SLUG_PATTERN,
                ),
                _c("team_name", "text", "Display name (any Unicode, e.g. Thai)."),
                _c("manager_name", "text", "The team's Account Executive Manager."),
                _c("region", "text", "Sales region."),
            ),
            key=("team_id",),
            required=True,
        ),
        Table(
            "reps",
            "Account executives (AEs); a rep belongs to one team.",
            (
                _c("rep_id", "id", "Stable rep id."),
                _c("rep_name", "text", "Display name."),
                _c("team_id", "id", "The rep's team.", references="teams.team_id"),
                _c("hire_date", "date", "First day in the role."),
                _c("territory", "text", "Territory (province or area) the rep covers."),
                _c(
                    "left_date",
                    "date",
                    "Last day in the role; empty while employed.",
                    nullable=True,
                ),
            ),
            key=("rep_id",),
            required=True,
            rules=(
                RowRule(
                    "left_date must not be before hire_date",
                    ("left_date", "hire_date"),
                    _not_before("left_date", "hire_date"),
                    "left_date IS NULL OR hire_date IS NULL OR left_date >= hire_date",
                ),
            ),
        ),
        Table(
            "quotas",
            "Monthly sales quota per rep, in the dataset's currency.",
            (
                _c("rep_id", "id", "The rep.", references="reps.rep_id"),
                _c("month", "month", "Quota month, YYYY-MM.", pattern=MONTH_PATTERN),
                _c("quota_amount", "float", "Quota for the month.", ge=0),
            ),
            key=("rep_id", "month"),
        ),
        Table(
            "accounts",
            "Customer accounts and the rep who owns each.",
            (
                _c("account_id", "id", "Stable account id."),
                _c("account_name", "text", "Company name (any Unicode)."),
                _c("industry", "text", "Industry."),
                _c("province", "text", "Province of the account's main site."),
                _c(
                    "latitude",
                    "float",
                    "Latitude, WGS84; optional column (most CRM exports have none).",
                    ge=-90,
                    le=90,
                    nullable=True,
                ),
                _c(
                    "longitude",
                    "float",
                    "Longitude, WGS84; optional column.",
                    ge=-180,
                    le=180,
                    nullable=True,
                ),
                _c(
                    "owner_rep_id",
                    "id",
                    "Owning rep; optional column (without owners the account KPIs are the "
                    "company's only: teams and reps say so).",
                    references="reps.rep_id",
                    nullable=True,
                ),
                _c(
                    "created_date",
                    "date",
                    "Date the account was created; optional column (an account without it "
                    "counts as existing in every month).",
                    nullable=True,
                ),
            ),
            key=("account_id",),
        ),
        Table(
            "leads",
            "Inbound and outbound leads before they become opportunities.",
            (
                _c("lead_id", "id", "Stable lead id."),
                _c("created_at", "datetime", "When the lead was created."),
                _c("source", "text", "Lead source (web, referral, event, outbound, partner, ...)."),
                _c("rep_id", "id", "Rep working the lead.", references="reps.rep_id"),
                _c(
                    "account_id",
                    "id",
                    "Account, when known.",
                    nullable=True,
                    references="accounts.account_id",
                ),
                _c("lead_score", "float", "Lead score, 0-100.", nullable=True, ge=0, le=100),
                _c("qualified_at", "datetime", "When the lead was qualified.", nullable=True),
                _c(
                    "converted_opportunity_id",
                    "id",
                    "Opportunity it became.",
                    nullable=True,
                    references="opportunities.opportunity_id",
                ),
                _c("converted_at", "datetime", "When it became an opportunity.", nullable=True),
            ),
            key=("lead_id",),
            rules=(
                RowRule(
                    "qualified_at must not be before created_at",
                    ("qualified_at", "created_at"),
                    _not_before("qualified_at", "created_at"),
                    "qualified_at IS NULL OR created_at IS NULL OR qualified_at >= created_at",
                ),
                RowRule(
                    "converted_at must not be before created_at",
                    ("converted_at", "created_at"),
                    _not_before("converted_at", "created_at"),
                    "converted_at IS NULL OR created_at IS NULL OR converted_at >= created_at",
                ),
            ),
        ),
        Table(
            "opportunities",
            "Deals. `stage` is the current stage; closed deals carry `closed_at`.",
            (
                _c("opportunity_id", "id", "Stable opportunity id."),
                _c("account_id", "id", "Account.", references="accounts.account_id"),
                _c("rep_id", "id", "Owning rep.", references="reps.rep_id"),
                _c("lead_id", "id", "Originating lead.", nullable=True, references="leads.lead_id"),
                _c(
                    "created_at",
                    "datetime",
                    "When the opportunity was created; may be empty where the export has no "
                    "date (see the rule).",
                    nullable=True,
                    empty_note="is empty: kept, and counted from the deal's close (or, still "
                    "open, from the data's as-of date); left out of sales cycle, deals created "
                    "per month, funnel cohorts and deal age",
                ),
                _c(
                    "expected_close_date",
                    "date",
                    "Current expected close date; may be empty where the export has none.",
                    nullable=True,
                    empty_note="is empty: kept, and in no close-date window (pipeline "
                    "coverage, deals due or slipped)",
                ),
                _c(
                    "closed_at",
                    "datetime",
                    "When it was won or lost; empty while open.",
                    nullable=True,
                ),
                _c("stage", "id", "Current stage.", enum=STAGES),
                _c("amount", "float", "Deal value in the dataset's currency.", ge=0),
                _c("product", "text", "Product line."),
                _c("deal_type", "id", "Kind of deal.", enum=DEAL_TYPES),
                _c("loss_reason", "text", "Why it was lost (closed_lost only).", nullable=True),
                _c(
                    "forecast_category",
                    "id",
                    "The rep's forecast call for an open deal; optional column (commit and "
                    "best-case roll-ups in the forecast report use it when present).",
                    nullable=True,
                    enum=FORECAST_CATEGORIES,
                ),
            ),
            key=("opportunity_id",),
            required=True,
            rules=(
                RowRule(
                    "closed_at must not be before created_at",
                    ("closed_at", "created_at"),
                    _not_before("closed_at", "created_at"),
                    "closed_at IS NULL OR created_at IS NULL OR closed_at >= created_at",
                ),
                RowRule(
                    "closed_at is set exactly when stage is closed_won or closed_lost",
                    ("stage", "closed_at"),
                    _closed_iff_dated,
                    "coalesce(stage IN ('closed_won', 'closed_lost'), false) = (closed_at IS NOT NULL)",
                ),
            ),
        ),
        Table(
            "stage_history",
            "Every stage an opportunity entered, with when.",
            (
                _c(
                    "opportunity_id",
                    "id",
                    "Opportunity.",
                    references="opportunities.opportunity_id",
                ),
                _c("stage", "id", "Stage entered.", enum=STAGES),
                _c("entered_at", "datetime", "When it entered the stage."),
            ),
            key=("opportunity_id", "stage", "entered_at"),
        ),
        Table(
            "opportunity_snapshots",
            "Periodic (e.g. weekly) snapshots of open opportunities, as pipeline reports or CRM field "
            "history give them. With them the pipeline waterfall shows amount changes and slipped or "
            "pulled-in close dates, and month-end pipeline uses the amounts recorded then.",
            (
                _c(
                    "snapshot_date",
                    "date",
                    "Date of the snapshot (state at the start of that day).",
                ),
                _c(
                    "opportunity_id",
                    "id",
                    "Opportunity.",
                    references="opportunities.opportunity_id",
                ),
                _c("stage", "id", "Stage on that date.", enum=STAGES),
                _c("amount", "float", "Amount on that date.", ge=0),
                _c("expected_close_date", "date", "Expected close date on that date."),
                _c(
                    "forecast_category",
                    "id",
                    "Forecast category on that date; optional column.",
                    nullable=True,
                    enum=FORECAST_CATEGORIES,
                ),
            ),
            key=("snapshot_date", "opportunity_id"),
        ),
        Table(
            "activities",
            "Sales activities: visits, calls, emails, meetings and demos.",
            (
                _c("activity_id", "id", "Stable activity id."),
                _c("rep_id", "id", "Rep.", references="reps.rep_id"),
                _c("account_id", "id", "Account.", references="accounts.account_id"),
                _c("activity_type", "id", "Kind of activity.", enum=ACTIVITY_TYPES),
                _c("occurred_at", "datetime", "When it happened."),
            ),
            key=("activity_id",),
        ),
        Table(
            "revenue",
            "Recognised recurring revenue per account, product and month (for retention).",
            (
                _c("account_id", "id", "Account.", references="accounts.account_id"),
                _c("month", "month", "Month, YYYY-MM.", pattern=MONTH_PATTERN),
                _c("product", "text", "Product line."),
                _c("revenue", "float", "Recognised revenue.", ge=0),
            ),
            key=("account_id", "month", "product"),
        ),
        Table(
            "csat",
            "Customer satisfaction survey responses.",
            (
                _c("response_id", "id", "Stable response id."),
                _c("account_id", "id", "Account.", references="accounts.account_id"),
                _c("rep_id", "id", "Rep the response is about.", references="reps.rep_id"),
                _c("responded_at", "datetime", "When the customer answered."),
                _c("score", "int", "Score, 1-5.", ge=1, le=5),
            ),
            key=("response_id",),
        ),
        Table(
            "tickets",
            "Customer support tickets.",
            (
                _c("ticket_id", "id", "Stable ticket id."),
                _c("account_id", "id", "Account.", references="accounts.account_id"),
                _c(
                    "rep_id", "id", "Rep involved, if any.", nullable=True, references="reps.rep_id"
                ),
                _c("opened_at", "datetime", "When it was opened."),
                _c("resolved_at", "datetime", "When it was resolved.", nullable=True),
                _c("priority", "id", "Priority.", enum=TICKET_PRIORITIES),
                _c("escalated", "bool", "Escalated beyond first line."),
                _c("reopened", "bool", "Reopened after resolution."),
            ),
            key=("ticket_id",),
            rules=(
                RowRule(
                    "resolved_at must not be before opened_at",
                    ("resolved_at", "opened_at"),
                    _not_before("resolved_at", "opened_at"),
                    "resolved_at IS NULL OR opened_at IS NULL OR resolved_at >= opened_at",
                ),
            ),
        ),
        Table(
            "feedback",
            "Coaching feedback sessions given to reps.",
            (
                _c("feedback_id", "id", "Stable feedback id."),
                _c("rep_id", "id", "Rep coached.", references="reps.rep_id"),
                _c("given_by", "text", "Who gave it (manager or peer)."),
                _c("given_at", "datetime", "When."),
                _c("quality_score", "int", "Quality of the session, 1-5.", ge=1, le=5),
                _c("topic", "text", "Topic."),
            ),
            key=("feedback_id",),
        ),
        Table(
            "trainings",
            "Training courses assigned to reps and when they completed them.",
            (
                _c("rep_id", "id", "Rep.", references="reps.rep_id"),
                _c("course_id", "id", "Course id."),
                _c("course_name", "text", "Course name."),
                _c("assigned_at", "datetime", "When it was assigned."),
                _c("completed_at", "datetime", "When it was completed.", nullable=True),
                _c(
                    "skill",
                    "id",
                    "The assessed skill the course trains; optional column (without it the "
                    "skill-effects report cannot test the course's effect on a skill score).",
                    nullable=True,
                    enum=SKILLS,
                ),
            ),
            key=("rep_id", "course_id"),
            rules=(
                RowRule(
                    "completed_at must not be before assigned_at",
                    ("completed_at", "assigned_at"),
                    _not_before("completed_at", "assigned_at"),
                    "completed_at IS NULL OR assigned_at IS NULL OR completed_at >= assigned_at",
                ),
            ),
        ),
        Table(
            "skill_assessments",
            "Skill assessment scores per rep.",
            (
                _c("rep_id", "id", "Rep.", references="reps.rep_id"),
                _c("assessed_at", "datetime", "When assessed."),
                _c("skill", "id", "Skill.", enum=SKILLS),
                _c("score", "float", "Score, 0-100.", ge=0, le=100),
            ),
            key=("rep_id", "assessed_at", "skill"),
        ),
    ]
}

REQUIRED_TABLES: tuple[str, ...] = tuple(n for n, t in TABLES.items() if t.required)

_KIND_TEXT = {
    "id": "string id",
    "text": "text",
    "int": "integer",
    "float": "number",
    "date": "date `YYYY-MM-DD`",
    "datetime": "timestamp `YYYY-MM-DD HH:MM[:SS]` (local time)",
    "month": "month `YYYY-MM`",
    "bool": "`true`/`false`",
}


def foreign_keys(present: Iterable[str]) -> Iterator[tuple[str, Column, str, str]]:
    """(table, column, referenced table, referenced column) for every reference among the
    tables `present` (a reference to an absent optional table has nothing to check against)."""
    present = list(present)
    for name in present:
        for col in TABLES[name].columns:
            if col.references:
                ref_table, ref_col = col.references.split(".")
                if ref_table in present:
                    yield name, col, ref_table, ref_col


def contract_markdown() -> str:
    """The contract as Markdown; `docs/data-contract.md` is this text (a test keeps them equal)."""
    lines = [
        f"# Data contract (v{CONTRACT_VERSION})",
        "",
        "<!-- Generated from src/analysis/data/contract.py by `python -m analysis docs`. "
        "Do not edit by hand. -->",
        "",
        "A dataset is a directory with one file per table, named `<table>.csv` or "
        "`<table>.parquet`, plus an optional `dataset.yaml` (see below). CSV files are UTF-8 "
        "(a byte-order mark is allowed) with a header row; empty cells are nulls.",
        "",
        "Only " + ", ".join(f"`{t}`" for t in REQUIRED_TABLES) + " are required. A report "
        "section whose table is absent says so instead of failing.",
        "",
        "Validation runs on every load and reports every problem at once, each naming the file, "
        "table, column, rule and the first offending rows (row 1 is the first data row, i.e. "
        "line 2 of a CSV). A dataset that fails validation is never used to publish anything.",
        "",
        "## dataset.yaml",
        "",
        "| key | meaning | default |",
        "|---|---|---|",
        "| `name` | dataset name shown in reports | directory name |",
        "| `timezone` | IANA timezone of all timestamps (stored as local time) | `Asia/Bangkok` |",
        "| `currency` | ISO 4217 code of every amount | `THB` |",
        "| `as_of` | date the data was extracted; months ending after it are incomplete | latest timestamp in the data |",
        "",
    ]
    for t in TABLES.values():
        req = "required" if t.required else "optional"
        lines += [f"## `{t.name}` ({req})", "", t.description, ""]
        if t.key:
            lines += ["Key (unique): " + ", ".join(f"`{k}`" for k in t.key) + ".", ""]
        lines += ["| column | type | nullable | rules | meaning |", "|---|---|---|---|---|"]
        for c in t.columns:
            lines.append(
                f"| `{c.name}` | {_KIND_TEXT[c.kind]} | {'yes' if c.nullable else 'no'} | "
                f"{c.rule_text()} | {c.description} |"
            )
        if t.rules:
            lines += ["", "Row rules: " + "; ".join(r.name for r in t.rules) + "."]
        lines.append("")
    return "\n".join(lines)
