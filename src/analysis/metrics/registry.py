"""KPI definitions: one registry entry per KPI (labels in Thai and English, unit, direction,
formula, the tables it needs). `analysis.metrics.kpis` computes them; `docs/kpis.md` is generated here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from analysis.data.contract import SKILLS

__all__ = ["KPI", "KPIS", "FAMILIES", "Unit", "kpi_markdown"]

Unit = Literal["currency", "ratio", "count", "number", "currency_per_day", "days", "hours", "score"]

FAMILIES: dict[str, tuple[str, str]] = {
    "revenue_growth": ("Revenue growth", "การเติบโตของรายได้ (Revenue Growth)"),
    "ae_performance": ("AE performance", "ผลการดำเนินงานของ AE (AE Performance)"),
    "pipeline": ("Pipeline development", "การพัฒนาไปป์ไลน์ (Pipeline Development)"),
    "retention": ("Customer retention", "การรักษาลูกค้า (Customer Retention)"),
    "expansion": ("Account expansion", "การขยายบัญชีลูกค้า (Account Expansion)"),
    "productivity": ("Sales productivity", "ประสิทธิภาพการขาย (Sales Productivity)"),
    "territory": ("Territory coverage", "การครอบคลุมพื้นที่ (Territory Coverage)"),
    "collaboration": (
        "Collaboration and communication",
        "การทำงานร่วมกันและการสื่อสาร (Collaboration)",
    ),
    "talent": ("Talent development", "การพัฒนาบุคลากร (Talent Development)"),
    "process": ("Process improvement", "การปรับปรุงกระบวนการ (Process Improvement)"),
}


@dataclass(frozen=True)
class KPI:
    key: str
    label_en: str
    label_th: str
    unit: Unit
    higher_is_better: bool
    formula: str
    family: str
    requires: tuple[str, ...] = ("opportunities",)


_SKILL_TH = {
    "negotiation": "การเจรจาต่อรอง",
    "presentation": "การนำเสนอ",
    "discovery": "การค้นหาความต้องการ",
    "product_knowledge": "ความรู้ผลิตภัณฑ์",
    "closing": "การปิดการขาย",
}

_K = KPI
KPIS: dict[str, KPI] = {
    k.key: k
    for k in [
        _K(
            "revenue",
            "Revenue (won)",
            "รายได้จากดีลที่ปิดได้",
            "currency",
            True,
            "sum of amount of opportunities with stage closed_won and closed_at in M",
            "revenue_growth",
        ),
        _K(
            "revenue_growth_mom",
            "Revenue growth vs last month",
            "การเติบโตเทียบเดือนก่อน",
            "ratio",
            True,
            "revenue(M) / revenue(M-1) - 1",
            "revenue_growth",
        ),
        _K(
            "revenue_growth_yoy",
            "Revenue growth vs last year",
            "การเติบโตเทียบปีก่อน",
            "ratio",
            True,
            "revenue(M) / revenue(M-12) - 1",
            "revenue_growth",
        ),
        _K(
            "quota",
            "Quota",
            "เป้าหมายยอดขาย",
            "currency",
            True,
            "sum of quota_amount for M",
            "ae_performance",
            ("quotas",),
        ),
        _K(
            "quota_attainment",
            "Quota attainment",
            "การบรรลุเป้าหมาย",
            "ratio",
            True,
            "revenue / quota",
            "ae_performance",
            ("opportunities", "quotas"),
        ),
        _K(
            "deals_won",
            "Deals won",
            "ดีลที่ปิดได้",
            "count",
            True,
            "count of closed_won with closed_at in M",
            "ae_performance",
        ),
        _K(
            "deals_lost",
            "Deals lost",
            "ดีลที่เสีย",
            "count",
            False,
            "count of closed_lost with closed_at in M",
            "ae_performance",
        ),
        _K(
            "win_rate",
            "Win rate",
            "อัตราการปิดการขาย",
            "ratio",
            True,
            "deals_won / (deals_won + deals_lost)",
            "ae_performance",
        ),
        _K(
            "avg_deal_size",
            "Average deal size",
            "มูลค่าดีลเฉลี่ย",
            "currency",
            True,
            "revenue / deals_won",
            "ae_performance",
        ),
        _K(
            "csat_avg",
            "Customer satisfaction (avg)",
            "ความพึงพอใจลูกค้าเฉลี่ย",
            "score",
            True,
            "mean csat score of responses with responded_at in M",
            "ae_performance",
            ("csat",),
        ),
        _K(
            "csat_responses",
            "CSAT responses",
            "จำนวนแบบสอบถามความพึงพอใจ",
            "count",
            True,
            "count of csat responses with responded_at in M",
            "ae_performance",
            ("csat",),
        ),
        _K(
            "leads_created",
            "Leads created",
            "ลีดใหม่",
            "count",
            True,
            "leads with created_at in M",
            "pipeline",
            ("leads",),
        ),
        _K(
            "qualified_leads",
            "Qualified leads",
            "ลีดที่ผ่านการคัดกรอง",
            "count",
            True,
            "leads with qualified_at in M",
            "pipeline",
            ("leads",),
        ),
        _K(
            "lead_to_opportunity_rate",
            "Lead-to-opportunity rate",
            "อัตราการเปลี่ยนลีดเป็นโอกาสขาย",
            "ratio",
            True,
            "leads created in M converted by the end of M / leads created in M",
            "pipeline",
            ("leads",),
        ),
        _K(
            "open_pipeline_amount",
            "Open pipeline",
            "มูลค่าไปป์ไลน์ที่เปิดอยู่",
            "currency",
            True,
            "amount of opportunities created before the end of M and not closed by then (amount as the "
            "latest snapshot before the end of M recorded it, when opportunity_snapshots exist; "
            "a deal without created_at counts from the data's as-of date)",
            "pipeline",
        ),
        _K(
            "open_opportunities",
            "Open opportunities",
            "โอกาสขายที่เปิดอยู่",
            "count",
            True,
            "opportunities created before the end of M and not closed by then (without "
            "created_at: from the data's as-of date)",
            "pipeline",
        ),
        _K(
            "pipeline_velocity",
            "Pipeline velocity",
            "ความเร็วของไปป์ไลน์",
            "currency_per_day",
            True,
            "open_opportunities x win_rate x avg_deal_size / avg_sales_cycle_days",
            "pipeline",
        ),
        _K(
            "pipeline_coverage",
            "Pipeline coverage (next 3 months)",
            "ความครอบคลุมของไปป์ไลน์ 3 เดือนข้างหน้า",
            "multiple",
            True,
            "open pipeline amount with expected_close_date in M+1..M+3 / quota of M+1..M+3",
            "pipeline",
            ("opportunities", "quotas"),
        ),
        _K(
            "churned_accounts",
            "Churned accounts",
            "ลูกค้าที่เลิกใช้",
            "count",
            False,
            "owned accounts with revenue > 0 in M-1 and none in M",
            "retention",
            ("revenue", "accounts"),
        ),
        _K(
            "customer_churn_rate",
            "Customer churn rate",
            "อัตราการสูญเสียลูกค้า",
            "ratio",
            False,
            "churned_accounts / accounts with revenue > 0 in M-1",
            "retention",
            ("revenue", "accounts"),
        ),
        _K(
            "gross_revenue_retention",
            "Gross revenue retention",
            "อัตราการรักษารายได้ขั้นต้น (GRR)",
            "ratio",
            True,
            "sum over accounts active in M-1 of min(rev M, rev M-1) / their rev M-1",
            "retention",
            ("revenue", "accounts"),
        ),
        _K(
            "net_revenue_retention",
            "Net revenue retention",
            "อัตราการรักษารายได้สุทธิ (NRR)",
            "ratio",
            True,
            "sum over accounts active in M-1 of rev M / their rev M-1",
            "retention",
            ("revenue", "accounts"),
        ),
        _K(
            "upsell_cross_sell_win_rate",
            "Upsell/cross-sell win rate",
            "อัตราการปิดการขายต่อยอด",
            "ratio",
            True,
            "win_rate over deal_type upsell or cross_sell",
            "retention",
        ),
        _K(
            "expansion_revenue",
            "Expansion revenue",
            "รายได้จากการขยายบัญชี",
            "currency",
            True,
            "revenue over deal_type upsell or cross_sell",
            "expansion",
        ),
        _K(
            "existing_account_opportunities",
            "Opportunities on existing accounts",
            "โอกาสขายจากลูกค้าเดิม",
            "count",
            True,
            "opportunities created in M on accounts with a closed_won deal before the start of M",
            "expansion",
        ),
        _K(
            "avg_sales_cycle_days",
            "Average sales cycle (days)",
            "ระยะเวลาการขายเฉลี่ย (วัน)",
            "days",
            False,
            "mean days from created_at to closed_at of deals won in M",
            "productivity",
        ),
        _K(
            "median_sales_cycle_days",
            "Median sales cycle (days)",
            "ระยะเวลาการขายมัธยฐาน (วัน)",
            "days",
            False,
            "median days from created_at to closed_at of deals won in M",
            "productivity",
        ),
        _K(
            "deals_won_per_rep",
            "Deals won per rep",
            "ดีลที่ปิดได้ต่อพนักงานขาย",
            "number",
            True,
            "deals_won / reps active in M (hired before its end, not left before its start)",
            "productivity",
            ("opportunities", "reps"),
        ),
        _K(
            "accounts_assigned",
            "Accounts assigned",
            "บัญชีลูกค้าที่ดูแล",
            "count",
            True,
            "accounts owned by the scope, created before the end of M",
            "territory",
            ("accounts",),
        ),
        _K(
            "accounts_touched",
            "Accounts touched",
            "บัญชีลูกค้าที่ติดต่อ",
            "count",
            True,
            "assigned accounts with at least one activity (by anyone) in M",
            "territory",
            ("accounts", "activities"),
        ),
        _K(
            "account_coverage_rate",
            "Account coverage",
            "อัตราการครอบคลุมบัญชีลูกค้า",
            "ratio",
            True,
            "accounts_touched / accounts_assigned",
            "territory",
            ("accounts", "activities"),
        ),
        _K(
            "visits",
            "Customer visits",
            "การเข้าพบลูกค้า",
            "count",
            True,
            "activities of type visit in M by the scope's reps",
            "territory",
            ("activities",),
        ),
        _K(
            "provinces_touched",
            "Provinces touched",
            "จังหวัดที่ติดต่อ",
            "count",
            True,
            "distinct provinces of touched accounts",
            "territory",
            ("accounts", "activities"),
        ),
        _K(
            "feedback_sessions",
            "Coaching feedback sessions",
            "การให้ฟีดแบ็ก/โค้ชชิ่ง",
            "count",
            True,
            "feedback given in M",
            "collaboration",
            ("feedback",),
        ),
        _K(
            "avg_feedback_quality",
            "Feedback quality (avg)",
            "คุณภาพฟีดแบ็กเฉลี่ย",
            "score",
            True,
            "mean quality_score of feedback given in M",
            "collaboration",
            ("feedback",),
        ),
        _K(
            "tickets_opened",
            "Tickets opened",
            "เคสที่เปิด",
            "count",
            False,
            "tickets with opened_at in M",
            "collaboration",
            ("tickets",),
        ),
        _K(
            "tickets_resolved",
            "Tickets resolved",
            "เคสที่แก้ไขแล้ว",
            "count",
            True,
            "tickets with resolved_at in M",
            "collaboration",
            ("tickets",),
        ),
        _K(
            "median_resolution_hours",
            "Median resolution time (hours)",
            "เวลาแก้ไขเคสมัธยฐาน (ชั่วโมง)",
            "hours",
            False,
            "median hours from opened_at to resolved_at over tickets resolved in M",
            "collaboration",
            ("tickets",),
        ),
        _K(
            "escalation_rate",
            "Escalation rate",
            "อัตราการยกระดับเคส",
            "ratio",
            False,
            "escalated tickets opened in M / tickets opened in M",
            "collaboration",
            ("tickets",),
        ),
        _K(
            "reopen_rate",
            "Reopen rate",
            "อัตราการเปิดเคสซ้ำ",
            "ratio",
            False,
            "reopened tickets resolved in M / tickets resolved in M",
            "collaboration",
            ("tickets",),
        ),
        _K(
            "training_completion_rate",
            "Training completion",
            "อัตราการอบรมสำเร็จ",
            "ratio",
            True,
            "assignments made before the end of M completed by then / those assignments",
            "talent",
            ("trainings",),
        ),
        _K(
            "trainings_completed",
            "Trainings completed",
            "หลักสูตรที่อบรมสำเร็จ",
            "count",
            True,
            "trainings with completed_at in M",
            "talent",
            ("trainings",),
        ),
        *[
            _K(
                f"avg_skill_score_{s}",
                f"Skill score: {s.replace('_', ' ')}",
                f"คะแนนทักษะ{_SKILL_TH[s]}",
                "score",
                True,
                f"mean over the scope's active reps of each rep's latest {s} score assessed before the end of M",
                "talent",
                ("skill_assessments", "reps"),
            )
            for s in SKILLS
        ],
        _K(
            "avg_lead_score",
            "Lead score (avg)",
            "คะแนนลีดเฉลี่ย",
            "score",
            True,
            "mean lead_score of leads created in M",
            "process",
            ("leads",),
        ),
        _K(
            "lead_qualification_rate",
            "Lead qualification rate",
            "อัตราการคัดกรองลีด",
            "ratio",
            True,
            "leads created in M qualified by the end of M / leads created in M",
            "process",
            ("leads",),
        ),
        _K(
            "avg_lead_to_opportunity_days",
            "Lead-to-opportunity time (days)",
            "เวลาเปลี่ยนลีดเป็นโอกาสขาย (วัน)",
            "days",
            False,
            "mean days from created_at to converted_at of leads converted in M",
            "process",
            ("leads",),
        ),
    ]
}


def kpi_markdown() -> str:
    """docs/kpis.md: every KPI with its formula, labels, unit and direction (a test keeps it current)."""
    lines = [
        "# KPI definitions",
        "",
        "<!-- Generated from src/analysis/metrics/registry.py by `python -m analysis docs`. Do not edit by hand. -->",
        "",
        "Every KPI is computed per company, team and rep for any month by `analysis.metrics.kpis.kpi_table`, and "
        "`python -m analysis kpis --data DIR --month YYYY-MM [--team ID | --rep ID] --json` prints one scope.",
        "",
        "- **Month M** is [first day of M, first day of M+1) in the dataset's local time.",
        "- **As of**: the value for M uses only events stamped before the end of M. Quotas of later months are "
        "plans known in advance. A closing counts in its month if it stood at the month's end, even if the "
        "stage history shows the deal reopened later (the deal is then open again from that later month). "
        "Account ownership, a ticket's `reopened` flag and an opportunity's `expected_close_date` are current "
        "values (the contract has no history for them).",
        "- **Scope**: a rep's events carry its rep_id; a team is its reps; the company is all reps. Tickets "
        "without a rep, recurring revenue and accounts belong to the account's owner.",
        "- **Nulls**: a ratio with a zero or missing denominator is null (never 0, NaN or infinity); a KPI "
        "whose table is absent is null and the command's `missing` object says why.",
        "- **Direction**: whether a higher value is better; targets and red/amber/green status use it.",
        "",
    ]
    for family, (en, th) in FAMILIES.items():
        lines += [
            f"## {en} — {th}",
            "",
            "| key | English | ไทย | unit | higher is better | formula | needs |",
            "|---|---|---|---|---|---|---|",
        ]
        for k in (k for k in KPIS.values() if k.family == family):
            lines.append(
                f"| `{k.key}` | {k.label_en} | {k.label_th} | {k.unit} | "
                f"{'yes' if k.higher_is_better else 'no'} | {k.formula} | {', '.join(k.requires)} |"
            )
        lines.append("")
    lines += [
        "## Scorecards and coaching (`analysis.metrics.scorecards`)",
        "",
        "- **Targets and status**: `params/_defaults.yaml` sets company-wide targets under `targets:`; a "
        "team's file overrides single keys. Status: **green** at or better than the target; **amber** worse "
        "but within 10% of the target; **red** further off. 'Better' follows the KPI's direction above. "
        "`kpis --json` prints `targets` and `status` for a team or the company.",
        "- **League table**: reps ranked by quota attainment (ties by revenue), with last month's rank, the "
        "rank change (positive = moved up) and the gap to the median attainment of the rep's team. Reps "
        "without a quota are listed unranked.",
        "- **Attainment distribution**: of the reps with a quota, how many reached 100%, and the quartiles.",
        "- **Coaching levers**: the four levers of pipeline velocity (open opportunities at month end; win "
        "rate, average deal size and sales cycle over the last 3 months) as ratios to the team median "
        "(cycle inverted, so below 1 is always behind). The weakest lever is the lowest ratio; fewer than "
        "10 closed deals in the window is flagged as a small sample.",
        "- **Ramp-adjusted attainment**: attainment / the median attainment over the last 12 months of all "
        "reps with the same tenure (0-2, 3-5, 6-11, 12+ months since hire).",
        "- **Required coverage**: 1 / win rate, the pipeline a rep needs per unit of quota at their win "
        "rate, shown beside `pipeline_coverage`.",
        "",
    ]
    return "\n".join(lines)
