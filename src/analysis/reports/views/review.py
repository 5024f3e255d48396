"""Page 1's brief and the sections on the deals behind the month (loss reasons, the biggest deals
won, lost and slipped, dependence on one rep): every number from `analysis.review`, every
sentence from `i18n.TEXT` by the rule that found it (docs/brief.md)."""

from __future__ import annotations

from functools import cached_property

import pandas as pd
from IPython.display import HTML, Markdown

from analysis import review
from analysis.i18n import (
    fmt_chance,
    fmt_code,
    fmt_currency,
    fmt_date,
    fmt_month,
    fmt_number,
    fmt_percent,
    fmt_quarter,
    fmt_value,
    kpi_label,
    t,
)
from analysis.reports.capabilities import shows
from analysis.reports.context import HEADLINE, ReportContext, html_table
from analysis.reports.text import md_text
from analysis.reports.views.forecast import shared_forecast

__all__ = [
    "BIGGEST_N",
    "Review",
    "brief",
    "loss_reasons",
    "biggest_deals",
    "concentration",
]

BIGGEST_N = 5  # deals listed per kind (won, lost, slipped)


class Review:
    """What the brief and the deal sections read, computed once per report."""

    def __init__(self, ctx: ReportContext):
        self.ctx = ctx

    @cached_property
    def losses(self) -> pd.DataFrame:
        return review.loss_reasons(self.ctx.ds, self.ctx.month, self.ctx.team)

    @cached_property
    def deals(self) -> dict:
        ctx = self.ctx
        return review.biggest_deals(ctx.ds, ctx.month, ctx.team, BIGGEST_N, slipped=self.slipped)

    @cached_property
    def slipped(self) -> pd.DataFrame | None:
        return review.slipped_deals(self.ctx.ds, self.ctx.month, self.ctx.team)

    @cached_property
    def concentration(self) -> dict:
        return review.concentration(self.ctx.ds, self.ctx.month, self.ctx.team)

    @cached_property
    def quarter(self) -> dict | None:
        """The forecast's quarter outlook with the reps' commit and best case added."""
        fc = shared_forecast(self.ctx)
        q = dict(fc.result.quota or {})
        if not q:
            return None
        roll = fc.rollup
        if roll is not None:
            amounts = roll.set_index("category")["amount"]
            q.update(
                commit=float(amounts.get("commit", 0.0)),
                best_case=float(amounts.get("best_case", 0.0)),
            )
        return q

    @cached_property
    def risks(self) -> list[review.Risk]:
        ctx = self.ctx
        return review.find_risks(
            ctx.team_kpis,
            ctx.month,
            ctx.targets,
            HEADLINE,
            quarter=self.quarter,
            concentration=self.concentration,
            slipped=self.slipped,
            losses=self.losses,
            lost_before=review.lost_before(ctx.ds, ctx.month, ctx.team),
        )

    @cached_property
    def actions(self) -> list[review.Action]:
        ctx = self.ctx
        shown = self.risks[: review.brief.MAX_RISKS]
        cycle = ctx.targets.get("avg_sales_cycle_days")
        if cycle is None:
            cycle = next(
                (r.values["baseline"] for r in shown if r.key == "avg_sales_cycle_days"), None
            )
        return review.recommend(
            shown,
            quarter=self.quarter,
            losses=self.losses,
            quota_ahead=review.quota_ahead(ctx.ds, ctx.month, ctx.team),
            coverage_target=ctx.targets.get("pipeline_coverage"),
            coverage_now=ctx.kpi("pipeline_coverage"),
            aged_deals=review.aged_open_deals(ctx.ds, ctx.month, ctx.team, cycle)
            if cycle
            else None,
        )


_REVIEWS: dict[int, Review] = {}


def _review(ctx: ReportContext) -> Review:
    found = _REVIEWS.get(id(ctx))
    if found is None or found.ctx is not ctx:
        _REVIEWS.clear()
        found = _REVIEWS[id(ctx)] = Review(ctx)
    return found


def _money(ctx: ReportContext, value) -> str:
    return fmt_currency(value, ctx.ds.currency)


def _month(ctx: ReportContext, month: str | None) -> str:
    return (
        ""
        if month is None
        else fmt_month(pd.Period(month, "M"), ctx.lang, buddhist_era=ctx.buddhist_era)
    )


def _quarter_label(ctx: ReportContext, quarter: str) -> str:
    return fmt_quarter(quarter, ctx.lang, buddhist_era=ctx.buddhist_era)


def _kpi_value(ctx: ReportContext, key: str, value) -> str:
    return fmt_value(key, value, ctx.lang, ctx.ds.currency)


def _risk_text(ctx: ReportContext, risk: review.Risk) -> str:
    lang, v = ctx.lang, risk.values
    if risk.kind == "off_target":
        return t(
            "risk_off_target",
            lang,
            kpi=kpi_label(risk.key, lang),
            now=_kpi_value(ctx, risk.key, v["now"]),
            target=_kpi_value(ctx, risk.key, v["target"]),
        )
    if risk.kind == "falling":
        return t(
            "risk_falling",
            lang,
            kpi=kpi_label(risk.key, lang),
            change=fmt_percent(v["change"], signed=True, digits=0),
            now=_kpi_value(ctx, risk.key, v["now"]),
            baseline=_kpi_value(ctx, risk.key, v["baseline"]),
        )
    if risk.kind == "quarter":
        return t(
            "risk_quarter",
            lang,
            quarter=_quarter_label(ctx, v["quarter"]),
            quota=_money(ctx, v["quota"]),
            probability=fmt_chance(v["probability"]),
        )
    if risk.kind == "concentration":
        return t(
            "risk_concentration",
            lang,
            rep=md_text(v["top_rep"]),
            share=fmt_percent(v["top_share"], digits=0),
            half=v["reps_for_half"],
            reps=v["reps"],
        )
    if risk.kind == "slipped":
        return t(
            "risk_slipped",
            lang,
            deals=fmt_number(v["deals"]),
            amount=_money(ctx, v["amount"]),
            share=fmt_percent(v["amount"] / v["quota"], digits=0),
        )
    return t(
        "risk_losses",
        lang,
        lost=_money(ctx, v["lost"]),
        deals=fmt_number(v["deals"]),
        change=fmt_percent(v["change"], signed=True, digits=0),
        baseline=_money(ctx, v["baseline"]),
        reason=md_text(_reason(v["reason"], lang)),
        reason_amount=_money(ctx, v["reason_amount"]),
    )


def _reason(reason: str, lang) -> str:
    return t("no_reason", lang) if reason == review.NO_REASON else reason


def _action_text(ctx: ReportContext, action: review.Action) -> str:
    lang, v = ctx.lang, action.values
    kind = action.kind
    if kind == "close_gap":
        if "gap" in v:
            # a quarter not started yet (the next one): nothing won in it, commit alone
            ahead = "_ahead" if not v.get("started", True) else ""
            nocat = "" if v.get("best_case") is not None else "_nocat"
            key = f"act_close_gap{ahead}{nocat}"
            return t(
                key,
                lang,
                start=_month(ctx, v.get("starts")),
                quarter=_quarter_label(ctx, v["quarter"]),
                gap=_money(ctx, v["gap"]),
                covered=_money(ctx, v["covered"]),
                quota=_money(ctx, v["quota"]),
                best_case=_money(ctx, v.get("best_case")),
            )
        revenue, quota = ctx.kpi("revenue") or 0.0, ctx.kpi("quota")
        if quota:
            return t("act_close_gap_month", lang, gap=_money(ctx, max(quota - revenue, 0.0)))
        kind = "kpi_plan"
    if kind == "build_pipeline":
        if "needed" in v:
            return t(
                "act_build_pipeline",
                lang,
                needed=_money(ctx, v["needed"]),
                target=_kpi_value(ctx, "pipeline_coverage", ctx.targets.get("pipeline_coverage")),
            )
        return t(
            "act_build_pipeline_fall",
            lang,
            kpi=kpi_label(v["key"], lang),
            change=fmt_percent(v.get("change"), signed=True, digits=0),
        )
    if kind == "review_losses" and "reason" in v and "share" in v:
        return t(
            "act_review_losses",
            lang,
            reason=md_text(_reason(v["reason"], lang)),
            deals=fmt_number(v["deals"]),
            amount=_money(ctx, v["amount"]),
            share=fmt_percent(v["share"], digits=0),
        )
    if kind == "unstick" and "days" in v:
        return t(
            "act_unstick",
            lang,
            deals=fmt_number(v["deals"]),
            days=fmt_number(round(v["days"])),
            amount=_money(ctx, v["amount"]),
        )
    if kind == "spread":
        return t(
            "act_spread",
            lang,
            rep=md_text(v["top_rep"]),
            share=fmt_percent(v["top_share"], digits=0),
        )
    if kind == "requalify":
        return t(
            "act_requalify", lang, deals=fmt_number(v["deals"]), amount=_money(ctx, v["amount"])
        )
    key = v.get("key")
    if key is None or "now" not in v:
        return t("act_review_losses_plain", lang)
    return t(
        "act_kpi_plan",
        lang,
        kpi=kpi_label(key, lang),
        now=_kpi_value(ctx, key, v["now"]),
        target=_kpi_value(ctx, key, v.get("target", ctx.targets.get(key))),
    )


def _quarter_line(ctx: ReportContext, q: dict | None) -> str | None:
    if not q or q.get("quota") is None:
        return None
    lang = ctx.lang
    # a quarter that starts next month has nothing won yet: its line says when it starts
    # instead of "won ฿0", and what the reps commit is all that covers its quota
    started = q.get("started", True)
    parts = [t("brief_won", lang, amount=_money(ctx, q["booked"]))] if started else []
    covered = q["booked"]
    if q.get("commit") is not None:
        covered += q["commit"]
        parts.append(t("brief_commit", lang, amount=_money(ctx, q["commit"])))
        parts.append(t("brief_best_case", lang, amount=_money(ctx, q["best_case"])))
    values = {
        "quarter": _quarter_label(ctx, q["quarter"]),
        "quota": _money(ctx, q["quota"]),
        "covered": fmt_percent(covered / q["quota"], digits=0),
    }
    if started:
        line = t("brief_quarter", lang, parts=" + ".join(parts), **values)
    else:
        start = _month(ctx, q["starts"])
        key = "brief_quarter_ahead" if parts else "brief_quarter_ahead_quota"
        line = t(key, lang, start=start, parts=" + ".join(parts), **values)
    if q.get("probability") is not None:
        line += t("brief_chance", lang, probability=fmt_chance(q["probability"]))
    elif not q.get("remaining_months"):
        line += t("brief_quarter_closed", lang)
    return line


def brief(ctx: ReportContext, summary: str) -> Markdown:
    """Page 1: the month against target (`summary`), the quarter outlook, the largest risks with
    their numbers and the actions the rules give for them (docs/brief.md)."""
    lang, r = ctx.lang, _review(ctx)
    lines = [f"**{t('brief_month', lang)}** {summary}"]
    quarter = _quarter_line(ctx, r.quarter)
    if quarter:
        lines += ["", f"**{t('brief_quarter_head', lang)}** {quarter}"]
    shown = r.risks[: review.brief.MAX_RISKS]
    lines += ["", f"**{t('brief_risks', lang)}**", ""]
    if shown:
        lines += [f"{i}. {_risk_text(ctx, risk)}" for i, risk in enumerate(shown, 1)]
    else:
        lines.append(t("brief_no_risks", lang))
    if r.actions:
        lines += ["", f"**{t('brief_actions', lang)}**", ""]
        lines += [f"{i}. {_action_text(ctx, a)}" for i, a in enumerate(r.actions, 1)]
    return Markdown("\n".join(lines))


def loss_reasons(ctx: ReportContext) -> HTML | Markdown:
    """Deals lost this month by reason: count, value, share, share before, company share."""
    lang, frame = ctx.lang, _review(ctx).losses
    if frame.empty:
        return Markdown(t("no_losses", lang))
    table = {
        t("loss_reason", lang): [_reason(v, lang) for v in frame["reason"]],
        t("deals", lang): [fmt_number(v) for v in frame["deals"]],
        t("amount", lang): [_money(ctx, v) for v in frame["amount"]],
        t("share_of_lost", lang): [fmt_percent(v, digits=0) for v in frame["share"]],
        t("share_before", lang): [fmt_percent(v, digits=0) for v in frame["share_before"]],
    }
    if ctx.team is not None:
        table[t("company_share", lang)] = [fmt_percent(v, digits=0) for v in frame["company_share"]]
    return html_table(pd.DataFrame(table), "loss-reasons")


def biggest_deals(kind: str, ctx: ReportContext) -> HTML | Markdown | None:
    """The largest deals of one kind this month: won, lost or slipped (largest first)."""
    if not shows(f"deals_{kind}_top", ctx.ds):  # slipped deals need snapshots
        return None
    lang, frame = ctx.lang, _review(ctx).deals[kind]
    if frame is None:
        return Markdown(t("slipped_unknown", lang))
    if frame.empty:
        return Markdown(t(f"no_deals_{kind}", lang))
    table = {t("rep", lang): frame["rep_name"].tolist()}
    if ctx.team is None:
        names = ctx.ds["teams"].set_index("team_id")["team_name"]
        table[t("team", lang)] = frame["team_id"].map(names).tolist()
    if ctx.ds.has("accounts"):
        table[t("account", lang)] = frame["account_name"].fillna("–").tolist()
    table[t("deal_type", lang)] = [fmt_code("deal_type", v, lang) for v in frame["deal_type"]]
    table[t("amount", lang)] = [_money(ctx, v) for v in frame["amount"]]
    if kind == "lost":
        table[t("loss_reason", lang)] = [_reason(v, lang) for v in frame["loss_reason"]]
    if kind == "slipped":
        day = lambda v: "–" if pd.isna(v) else fmt_date(v, lang, buddhist_era=ctx.buddhist_era)  # noqa: E731
        table[t("expected_then", lang)] = [day(v) for v in frame["expected_close_then"]]
        table[t("expected_now", lang)] = [day(v) for v in frame["expected_close_now"]]
        table[t("stage_now", lang)] = [
            "–" if pd.isna(v) else fmt_code("stage", v, lang) for v in frame["stage_now"]
        ]
    return html_table(pd.DataFrame(table), f"deals-{kind}")


def concentration(ctx: ReportContext) -> Markdown:
    """How much of the last three months' won revenue came from the top rep."""
    c, lang = _review(ctx).concentration, ctx.lang
    if c["top_share"] is None:
        return Markdown(t("concentration_none", lang))
    return Markdown(
        t(
            "concentration_sentence",
            lang,
            rep=md_text(c["top_rep"]),
            share=fmt_percent(c["top_share"], digits=0),
            revenue=_money(ctx, c["revenue"]),
            half=c["reps_for_half"],
            reps=c["reps"],
        )
    )
