"""Deterministic sample data for a Thai B2B software company, with known injected effects.

`generate(SynthConfig(...))` returns the contract tables and a manifest of the ground truth
(stage conversion probabilities, seasonality, training and skill effects) so that analyses can be
tested against it. Everything is vectorised numpy; the default company (6 teams, 60 reps, 36 months)
takes a few seconds.

The data-generating process, in short:
- Reps sit in seats (team x seat). A rep leaves with a monthly hazard; the seat is vacant for one
  month and then filled by a new hire who ramps up over three months.
- Each active rep-month creates Poisson(opps_per_rep_month x seasonality x ramp x growth)
  opportunities. A deal moves prospecting -> qualification -> proposal -> negotiation -> won, each
  step taken with the manifest's probability;
  a failed step closes the deal as lost. Rep ability shifts only the closing step (linearly,
  centred over all deals), so the earlier steps convert at exactly the configured rates. With `skip_qualification_prob` a deal
  that passes qualification leaves no qualification row in stage_history (a skip counts as passed).
- Expected close dates are planned at creation, sometimes pulled in, and pushed each time they
  pass while the deal is open; a third of deals change amount once. Weekly snapshots (Mondays)
  record each open deal's stage, amount and expected close date.
- Completing the negotiation course raises the negotiation -> won probability by
  `training_effect.negotiation_close_pp` for every deal that reaches negotiation afterwards.
- Skill scores = 60 + loading x 10 x ability + course bump (after completion) + noise. Only the
  skills with a non-zero loading relate to results.
- Year-end push: deals that would close in the first 20 days of January close in late December
  with probability `year_end_pull_prob`. Songkran: closes due 10-20 April slip by a week with
  probability `songkran_delay_prob`.
- Nothing after `as_of` (the last day of `end_month`) is in the data: deals still running then
  are open at their last stage, unresolved tickets have no resolved_at, and so on.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml

from analysis.data.contract import (
    ACTIVITY_TYPES,
    CONTRACT_VERSION,
    DEAL_TYPES,
    SKILLS,
    STAGES,
    TABLES,
    TICKET_PRIORITIES,
)
from analysis.data.write import to_arrow, write_dataset

__all__ = [
    "SynthConfig",
    "generate",
    "write_sample",
    "write_scaled",
    "scaled_configs",
    "TEAM_CATALOGUE",
]

# team_id, Thai team name, English region, provinces (Thai name, lat, lon)
TEAM_CATALOGUE: list[tuple[str, str, str, list[tuple[str, float, float]]]] = [
    (
        "bangkok",
        "ทีมกรุงเทพฯ",
        "Central",
        [
            ("กรุงเทพมหานคร", 13.7563, 100.5018),
            ("นนทบุรี", 13.8621, 100.5144),
            ("สมุทรปราการ", 13.5991, 100.5998),
            ("ปทุมธานี", 14.0208, 100.5250),
        ],
    ),
    (
        "chiang-mai",
        "ทีมเชียงใหม่",
        "North",
        [
            ("เชียงใหม่", 18.7883, 98.9853),
            ("เชียงราย", 19.9105, 99.8406),
            ("ลำพูน", 18.5745, 99.0087),
            ("ลำปาง", 18.2888, 99.4909),
        ],
    ),
    (
        "khon-kaen",
        "ทีมขอนแก่น",
        "Northeast",
        [
            ("ขอนแก่น", 16.4322, 102.8236),
            ("อุดรธานี", 17.4138, 102.7872),
            ("นครราชสีมา", 14.9799, 102.0977),
            ("อุบลราชธานี", 15.2287, 104.8564),
        ],
    ),
    (
        "chonburi",
        "ทีมชลบุรี",
        "East",
        [
            ("ชลบุรี", 13.3611, 100.9847),
            ("ระยอง", 12.6814, 101.2816),
            ("ฉะเชิงเทรา", 13.6904, 101.0779),
        ],
    ),
    (
        "phuket",
        "ทีมภูเก็ต",
        "South (Andaman)",
        [
            ("ภูเก็ต", 7.8804, 98.3923),
            ("กระบี่", 8.0863, 98.9063),
            ("พังงา", 8.4501, 98.5255),
            ("สุราษฎร์ธานี", 9.1382, 99.3215),
        ],
    ),
    (
        "hat-yai",
        "ทีมหาดใหญ่",
        "South (Gulf)",
        [("สงขลา", 7.1898, 100.5954), ("นครศรีธรรมราช", 8.4304, 99.9631), ("ตรัง", 7.5563, 99.6114)],
    ),
    (
        "ayutthaya",
        "ทีมอยุธยา",
        "Central",
        [
            ("พระนครศรีอยุธยา", 14.3532, 100.5689),
            ("สระบุรี", 14.5289, 100.9101),
            ("ลพบุรี", 14.7995, 100.6534),
        ],
    ),
    (
        "phitsanulok",
        "ทีมพิษณุโลก",
        "Lower North",
        [
            ("พิษณุโลก", 16.8211, 100.2659),
            ("นครสวรรค์", 15.7047, 100.1372),
            ("สุโขทัย", 17.0056, 99.8264),
        ],
    ),
]

FIRST_NAMES = [
    "สมชาย",
    "สมหญิง",
    "วิชัย",
    "ปราณี",
    "ธนพล",
    "กมลชนก",
    "ณัฐวุฒิ",
    "พิมพ์ชนก",
    "อนุชา",
    "สุภาพร",
    "ชัยวัฒน์",
    "จิราพร",
    "ธีรพงษ์",
    "วรรณา",
    "ศุภชัย",
    "นภัสสร",
    "กิตติพงษ์",
    "อรุณี",
    "ประเสริฐ",
    "สุนิสา",
    "พงศกร",
    "ศิริพร",
    "เอกชัย",
    "ปิยะนุช",
    "ภานุวัฒน์",
    "รัตนา",
    "ธนากร",
    "อัญชลี",
    "สุริยา",
    "มาลี",
    "วีรยุทธ",
    "ชนิดา",
    "อภิชาติ",
    "ดวงใจ",
    "ปกรณ์",
    "เพ็ญศรี",
]
LAST_NAMES = [
    "ศรีสุข",
    "วงศ์ไทย",
    "แก้วมณี",
    "บุญมา",
    "ทองดี",
    "สุขสวัสดิ์",
    "จันทร์เพ็ญ",
    "ประเสริฐศักดิ์",
    "รัตนพันธ์",
    "ใจดี",
    "พรหมมา",
    "ศักดิ์สิทธิ์",
    "มั่นคง",
    "เจริญผล",
    "สมบูรณ์",
    "นาคสุข",
    "อินทร์แก้ว",
    "ชัยมงคล",
    "ธนสาร",
    "พูลสวัสดิ์",
    "รุ่งเรืองศรี",
    "บุญประเสริฐ",
    "วิเศษสุวรรณ",
    "ปัญญาดี",
]
ACCOUNT_WORDS = [
    "สยาม",
    "ไทยรุ่งเรือง",
    "เจริญกิจ",
    "มหานคร",
    "ล้านนา",
    "อีสานพัฒนา",
    "ทะเลใต้",
    "ตะวันออก",
    "ก้าวหน้า",
    "รุ่งโรจน์",
    "ศรีไทย",
    "ทองคำ",
    "เพชรเกษม",
    "มงคลชัย",
    "นครทอง",
    "แสงทอง",
]
ACCOUNT_SECTORS = [
    "อุตสาหกรรม",
    "เทรดดิ้ง",
    "ฟู้ดส์",
    "โลจิสติกส์",
    "เทคโนโลยี",
    "เมดิคอล",
    "คอนสตรัคชั่น",
    "รีเทล",
    "พลังงาน",
    "อะกริ",
]
INDUSTRIES = [
    "manufacturing",
    "trading",
    "food",
    "logistics",
    "technology",
    "healthcare",
    "construction",
    "retail",
    "energy",
    "agriculture",
]
PRODUCTS = {  # product: (median deal THB, share of deals)
    "CRM Suite": (420_000, 0.30),
    "Analytics": (300_000, 0.25),
    "Cloud Hosting": (220_000, 0.20),
    "Support Plan": (90_000, 0.15),
    "Professional Services": (160_000, 0.10),
}
LEAD_SOURCES = {  # source: (share, conversion to opportunity)
    "web": (0.35, 0.18),
    "referral": (0.15, 0.40),
    "event": (0.15, 0.22),
    "outbound": (0.25, 0.12),
    "partner": (0.10, 0.30),
}
LOSS_REASONS = [
    "ราคาสูงเกินไป (price)",
    "เลือกคู่แข่ง (competitor)",
    "ไม่มีงบประมาณ (no budget)",
    "ไม่ตัดสินใจ (no decision)",
    "ฟีเจอร์ไม่ครบ (missing features)",
]
COURSES = {  # course_id: (name, skill)
    "NEG-101": ("การเจรจาต่อรองขั้นสูง (Advanced negotiation)", "negotiation"),
    "PRS-101": ("การนำเสนออย่างมืออาชีพ (Presenting with impact)", "presentation"),
    "DSC-101": ("การค้นหาความต้องการลูกค้า (Discovery)", "discovery"),
    "PRD-201": ("ความรู้ผลิตภัณฑ์ (Product deep dive)", "product_knowledge"),
    "CLS-101": ("เทคนิคการปิดการขาย (Closing techniques)", "closing"),
}
FEEDBACK_TOPICS = [
    "การวางแผนบัญชีลูกค้า",
    "การเจรจาต่อรอง",
    "ทบทวนไปป์ไลน์",
    "การสาธิตสินค้า",
    "การค้นหาความต้องการ",
]

BURN_IN = 3  # months of deals created before the window
QUOTA_PLAN_MONTHS = 6  # quotas are planned this far beyond the last month
MONTH_FACTORS = (0.95, 1.00, 1.10, 0.75, 0.95, 1.00, 0.95, 1.00, 1.05, 1.05, 1.10, 1.25)


@dataclass(frozen=True)
class SynthConfig:
    """Knobs of the sample company. Defaults give 6 teams, 60 reps and 36 months to 2026-10."""

    seed: int = 20261031
    n_teams: int = 6
    reps_per_team: int = 10
    months: int = 36
    end_month: str = "2026-10"
    scale: float = 1.0  # multiplies volumes (opportunities, leads, activities, tickets, ...)
    opps_per_rep_month: float = 6.0
    activities_per_rep_month: float = 45.0
    annual_growth: float = 0.10
    attrition_monthly: float = 0.012
    stage_probs: dict = field(
        default_factory=lambda: {
            "prospecting->qualification": 0.75,
            "qualification->proposal": 0.70,
            "proposal->negotiation": 0.72,
            "negotiation->closed_won": 0.58,
        }
    )
    stage_mean_days: dict = field(
        default_factory=lambda: {
            "prospecting": 8.0,
            "qualification": 12.0,
            "proposal": 15.0,
            "negotiation": 12.0,
        }
    )
    skip_qualification_prob: float = 0.05
    ability_prob_shift: float = (
        0.06  # per SD of rep ability, added to every stage step's probability
    )
    pull_in_prob: float = 0.08  # share of deals whose expected close date is pulled in once
    rescope_prob: float = 0.35  # share of deals whose amount changes once while open
    negotiation_close_pp: float = (
        0.12  # injected: completing NEG-101 adds this to P(negotiation -> won)
    )
    course_skill_gain: dict = field(
        default_factory=lambda: {
            "negotiation": 12.0,
            "presentation": 6.0,
            "discovery": 0.0,
            "product_knowledge": 8.0,
            "closing": 0.0,
        }
    )
    skill_ability_loading: dict = field(
        default_factory=lambda: {
            "negotiation": 0.8,
            "presentation": 0.0,
            "discovery": 0.0,
            "product_knowledge": 0.0,
            "closing": 0.6,
        }
    )
    skill_noise_sd: float = 6.0
    year_end_pull_prob: float = 0.4
    songkran_delay_prob: float = 0.6
    account_churn_monthly: float = 0.015
    # a shard of a larger company (`write_scaled`): its teams continue the numbering after
    # `team_offset` teams and every generated id starts with `id_prefix`
    team_offset: int = 0
    id_prefix: str = ""

    @property
    def months_index(self) -> pd.PeriodIndex:
        end = pd.Period(self.end_month, freq="M")
        return pd.period_range(end - (self.months - 1), end, freq="M")


def _seat_reps(cfg: SynthConfig, rng: np.random.Generator, teams: pd.DataFrame):
    """Reps per seat with hire/leave dates; returns reps frame and a (seat, month) -> rep index."""
    months = cfg.months_index
    start = months[0].start_time
    rows = []
    seat_month_rep = np.full((len(teams) * cfg.reps_per_team, len(months)), -1, dtype=np.int64)
    rep_no = 0
    for t_idx, team in enumerate(teams.itertuples()):
        provinces = TEAM_CATALOGUE[(t_idx + cfg.team_offset) % len(TEAM_CATALOGUE)][3]
        for s in range(cfg.reps_per_team):
            seat = t_idx * cfg.reps_per_team + s
            hire = start - pd.Timedelta(days=int(rng.integers(130, 1500)))
            m = 0
            while m < len(months):
                ability = float(rng.normal())
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
                # months this rep stays, from month index m
                stay = int(rng.geometric(cfg.attrition_monthly))
                last = m + stay - 1
                left = None
                if last < len(months) - 1:
                    left = months[last].end_time.normalize()
                rows.append(
                    dict(
                        rep_id=f"{cfg.id_prefix}R{rep_no:04d}",
                        rep_name=name,
                        team_id=team.team_id,
                        hire_date=hire.normalize(),
                        territory=provinces[s % len(provinces)][0],
                        left_date=left,
                        seat=seat,
                        ability=ability,
                    )
                )
                seat_month_rep[seat, m : min(last, len(months) - 1) + 1] = rep_no
                rep_no += 1
                m = last + 2  # one vacant month, then a new hire
                if m < len(months):
                    hire = months[m].start_time
    reps = pd.DataFrame(rows)
    return reps, seat_month_rep


def _book_account(
    rng, seat: np.ndarray, times: np.ndarray, acc_created: np.ndarray, per_seat: int
) -> np.ndarray:
    """A random account of each seat's book that existed at `times` (else the seat's first, oldest one)."""
    idx = seat * per_seat + rng.integers(0, per_seat, len(seat))
    return np.where(acc_created[idx] > times, seat * per_seat, idx)


def _days(values) -> np.ndarray:
    """Days (float or array) as numpy second-resolution timedeltas."""
    return (np.asarray(values) * 86400).astype("timedelta64[s]")


def _forecast_category(stage_idx: np.ndarray, won: np.ndarray, u: np.ndarray) -> np.ndarray:
    """A rep's forecast call for an open deal at stage index 0-3, informed but not decided by
    whether the deal will be won: `u` is the deal's fixed uniform draw (one per deal, so the call
    changes only when the stage does)."""
    return np.select(
        [
            stage_idx == 3,
            stage_idx == 2,
            u > 0.92,
        ],
        [
            np.where(u < np.where(won, 0.75, 0.3), "commit", "best_case"),
            np.where(u < np.where(won, 0.5, 0.25), "best_case", "pipeline"),
            "omitted",
        ],
        "pipeline",
    )


def _uniform_in_month(rng, months: pd.PeriodIndex, month_idx: np.ndarray) -> np.ndarray:
    starts = months.start_time.values[month_idx]
    days = months.days_in_month.values[month_idx]
    # working hours 08:00-18:00 local time
    day = np.floor(rng.random(len(month_idx)) * days).astype("int64")
    secs = rng.integers(8 * 3600, 18 * 3600, len(month_idx))
    return starts + day.astype("timedelta64[D]") + secs.astype("timedelta64[s]")


def generate(cfg: SynthConfig | None = None) -> tuple[dict[str, pd.DataFrame], dict]:
    """Generate the sample dataset. Returns (tables, manifest)."""
    cfg = cfg or SynthConfig()
    rng = np.random.default_rng(cfg.seed)
    months = cfg.months_index
    n_months = len(months)
    start = months[0].start_time
    as_of_end = months[-1].end_time.ceil("D")  # exclusive: first instant after the data
    as_of = months[-1].end_time.normalize()

    # teams -----------------------------------------------------------------------------------
    team_rows = []
    for i in range(cfg.team_offset, cfg.team_offset + cfg.n_teams):
        tid, tname, region, _ = TEAM_CATALOGUE[i % len(TEAM_CATALOGUE)]
        if i >= len(TEAM_CATALOGUE):
            tid, tname = (
                f"{tid}-{i // len(TEAM_CATALOGUE) + 1}",
                f"{tname} {i // len(TEAM_CATALOGUE) + 1}",
            )
        team_rows.append(
            dict(
                team_id=tid,
                team_name=tname,
                region=region,
                manager_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
            )
        )
    teams = pd.DataFrame(team_rows)[["team_id", "team_name", "manager_name", "region"]]

    reps, seat_month_rep = _seat_reps(cfg, rng, teams)
    n_seats = seat_month_rep.shape[0]
    ability = reps["ability"].to_numpy()
    hire_month = np.array([(h.to_period("M") - months[0]).n for h in reps["hire_date"]])

    # trainings: each course rolled out in waves; NEG-101 to about half the reps -----------------
    tr_rows = []
    neg_done = np.full(len(reps), np.datetime64("NaT"), dtype="datetime64[s]")
    skill_gain_at: dict[str, np.ndarray] = {
        s: np.full(len(reps), np.datetime64("NaT"), dtype="datetime64[s]") for s in SKILLS
    }
    for r in range(len(reps)):
        for cid, (cname, skill) in COURSES.items():
            p_assign = 0.5 if cid == "NEG-101" else 0.35
            if rng.random() > p_assign:
                continue
            active = np.flatnonzero(seat_month_rep[reps.at[r, "seat"]] == r)
            if len(active) < 3:
                continue
            m = int(rng.choice(active[: max(1, len(active) - 1)]))
            assigned = months[m].start_time + pd.Timedelta(days=int(rng.integers(0, 20)), hours=9)
            completed = None
            if rng.random() < 0.85:
                completed = assigned + pd.Timedelta(days=float(rng.gamma(3.0, 10.0)))
                if completed >= as_of_end:
                    completed = None
            tr_rows.append(
                dict(
                    rep_id=reps.at[r, "rep_id"],
                    course_id=cid,
                    course_name=cname,
                    assigned_at=assigned,
                    completed_at=completed,
                    skill=skill,
                )
            )
            if completed is not None:
                skill_gain_at[skill][r] = np.datetime64(completed, "s")
                if cid == "NEG-101":
                    neg_done[r] = np.datetime64(completed, "s")
    trainings = pd.DataFrame(
        tr_rows,
        columns=["rep_id", "course_id", "course_name", "assigned_at", "completed_at", "skill"],
    )

    # accounts: each seat has a book of accounts; owner = the seat's rep at the end ------------------
    acc_per_seat = max(3, int(round(25 * cfg.scale)))
    acc_seat = np.repeat(np.arange(n_seats), acc_per_seat)
    n_acc = len(acc_seat)
    last_rep_of_seat = np.array(
        [row[row >= 0][-1] if (row >= 0).any() else -1 for row in seat_month_rep]
    )
    # a seat vacant at the very end hands its accounts to its previous rep's record (still valid ids)
    acc_owner = last_rep_of_seat[acc_seat]
    acc_team = acc_seat // cfg.reps_per_team
    acc_created = start - pd.to_timedelta(rng.integers(30, 2000, n_acc), unit="D")
    # a fifth of the book is new during the window
    new_mask = rng.random(n_acc) < 0.2
    new_mask[::acc_per_seat] = False  # each seat's first account predates everything
    acc_created = acc_created.where(
        ~new_mask,
        start
        + pd.to_timedelta(rng.integers(0, max(1, (as_of - start).days - 30), n_acc), unit="D"),
    )
    prov_choice = []
    lat, lon = np.empty(n_acc), np.empty(n_acc)
    for i in range(n_acc):
        provinces = TEAM_CATALOGUE[(acc_team[i] + cfg.team_offset) % len(TEAM_CATALOGUE)][3]
        p = provinces[int(rng.integers(len(provinces)))]
        prov_choice.append(p[0])
        lat[i], lon[i] = p[1] + rng.normal(0, 0.08), p[2] + rng.normal(0, 0.08)
    accounts = pd.DataFrame(
        dict(
            account_id=[f"{cfg.id_prefix}A{i:05d}" for i in range(n_acc)],
            account_name=[
                f"บริษัท {ACCOUNT_WORDS[i % len(ACCOUNT_WORDS)]}"
                f"{ACCOUNT_SECTORS[(i // len(ACCOUNT_WORDS)) % len(ACCOUNT_SECTORS)]} จำกัด"
                for i in range(n_acc)
            ],
            industry=rng.choice(INDUSTRIES, n_acc),
            province=prov_choice,
            latitude=lat.round(5),
            longitude=lon.round(5),
            owner_rep_id=reps["rep_id"].to_numpy()[acc_owner],
            created_date=acc_created.normalize(),
        )
    )
    acc_created_arr = accounts["created_date"].to_numpy()

    # opportunities -----------------------------------------------------------------------------
    month_factor = np.array([MONTH_FACTORS[p.month - 1] for p in months])
    growth = (1 + cfg.annual_growth) ** (np.arange(n_months) / 12)
    seat_idx, month_idx = np.nonzero(seat_month_rep >= 0)
    rep_of = seat_month_rep[seat_idx, month_idx]
    tenure = month_idx - hire_month[rep_of]
    ramp = np.clip((tenure + 1) / 3, 0.33, 1.0)
    # Deals start BURN_IN months before the window (the first seat holders were hired earlier), so
    # the first months already have a mature pipeline instead of a start-up dip.
    ext_months = pd.period_range(months[0] - BURN_IN, months[-1], freq="M")
    ext_smr = np.concatenate(
        [np.repeat(seat_month_rep[:, :1], BURN_IN, axis=1), seat_month_rep], axis=1
    )
    e_seat, e_month = np.nonzero(ext_smr >= 0)
    e_rep = ext_smr[e_seat, e_month]
    e_ramp = np.clip((e_month - BURN_IN - hire_month[e_rep] + 1) / 3, 0.33, 1.0)
    e_factor = np.array([MONTH_FACTORS[p.month - 1] for p in ext_months])[e_month]
    e_growth = (1 + cfg.annual_growth) ** ((e_month - BURN_IN) / 12)
    counts = rng.poisson(cfg.opps_per_rep_month * cfg.scale * e_factor * e_growth * e_ramp)
    o_seat = np.repeat(e_seat, counts)
    o_month = np.repeat(e_month, counts)
    o_rep = np.repeat(e_rep, counts)
    n_opp = len(o_rep)
    created = _uniform_in_month(rng, ext_months, o_month)
    o_acc = _book_account(rng, o_seat, created, acc_created_arr, acc_per_seat)
    deal_type = rng.choice(DEAL_TYPES, n_opp, p=[0.5, 0.2, 0.15, 0.15])
    prod_names = list(PRODUCTS)
    product = rng.choice(prod_names, n_opp, p=[PRODUCTS[p][1] for p in prod_names])
    median = np.array([PRODUCTS[p][0] for p in product])
    type_factor = np.select([deal_type == "new_business", deal_type == "renewal"], [1.2, 0.6], 0.9)
    amount = np.round(median * type_factor * rng.lognormal(0, 0.45, n_opp), -3)

    # stage walk: each step passes with the configured probability, shifted linearly by rep
    # ability (so the average over reps is exactly the configured value)
    steps = list(cfg.stage_probs)
    base = np.array([cfg.stage_probs[s] for s in steps])
    # Rep ability moves only the closing step (negotiation -> won), centred over the deals: the
    # earlier steps are then the same for every deal, so the configured probabilities are exactly
    # what a stage-by-stage conversion should recover (a shift on every step would select better
    # reps into later stages and bias the later steps upwards).
    deal_ability = ability[o_rep] - ability[o_rep].mean()
    p_step = np.repeat(base[None, :], n_opp, axis=0)
    p_step[:, 3] = np.clip(p_step[:, 3] + cfg.ability_prob_shift * deal_ability, 0.02, 0.98)
    mean_days = np.array([cfg.stage_mean_days[s] for s in STAGES[:4]])
    durations = rng.gamma(2.0, mean_days[None, :] / 2.0, (n_opp, 4))
    u = rng.random((n_opp, 4))
    # a deal that passes qualification may skip recording it (no qualification row in the history);
    # skipping changes the record, not the outcome
    skip_q = (u[:, 0] < p_step[:, 0]) & (u[:, 1] < p_step[:, 1])
    skip_q &= rng.random(n_opp) < cfg.skip_qualification_prob
    durations[skip_q, 1] = 0.0
    enter = created.astype("datetime64[s]")[:, None] + np.cumsum(
        np.concatenate([np.zeros((n_opp, 1)), durations[:, :3]], axis=1) * 86400, axis=1
    ).astype("timedelta64[s]")
    # training effect on the last step, for deals entering negotiation after completion
    trained = ~np.isnat(neg_done[o_rep]) & (neg_done[o_rep] <= enter[:, 3])
    p_step[:, 3] = np.clip(p_step[:, 3] + cfg.negotiation_close_pp * trained, 0, 0.98)
    passed = u < p_step
    reached = np.cumprod(passed, axis=1).astype(bool)  # reached[:, k]: passed step k
    n_passed = reached.sum(axis=1)  # 0..4
    won = n_passed == 4
    last_stage = np.minimum(n_passed, 3)  # index of the last open stage entered
    close_time = enter[np.arange(n_opp), last_stage] + (
        durations[np.arange(n_opp), last_stage] * 86400
    ).astype("timedelta64[s]")
    # year-end push and Songkran delay
    ct = pd.DatetimeIndex(close_time)
    pull = (ct.month == 1) & (ct.day <= 20) & (rng.random(n_opp) < cfg.year_end_pull_prob)
    pulled_to = (
        pd.to_datetime(pd.DataFrame({"year": ct.year - 1, "month": 12, "day": 20}))
        + pd.to_timedelta(rng.integers(0, 11 * 86400, n_opp), unit="s")
    ).to_numpy()
    close_time = np.where(
        pull & (pulled_to > enter[np.arange(n_opp), last_stage]), pulled_to, close_time
    )
    ct = pd.DatetimeIndex(close_time)
    delay = (
        (ct.month == 4)
        & (ct.day >= 10)
        & (ct.day <= 20)
        & (rng.random(n_opp) < cfg.songkran_delay_prob)
    )
    close_time = np.where(delay, close_time + np.timedelta64(7, "D"), close_time)
    close_time = close_time.astype("datetime64[s]")
    is_closed = close_time < np.datetime64(as_of_end, "s")
    keep = created.astype("datetime64[s]") < np.datetime64(as_of_end, "s")
    stage_now = np.where(is_closed, np.where(won, "closed_won", "closed_lost"), "")
    # stage of still-open deals: last entered before the end
    entered_before = enter < np.datetime64(as_of_end, "s")
    stage_reached_idx = np.zeros(n_opp, dtype=int)
    for k in range(4):
        stage_reached_idx = np.where(entered_before[:, k] & (k <= last_stage), k, stage_reached_idx)
    open_stage = np.array(STAGES)[stage_reached_idx]
    stage_now = np.where(is_closed, stage_now, open_stage)
    # expected close date: planned at creation, sometimes pulled in, pushed each time it passes
    # while the deal is still open (up to three times; after that the CRM date goes stale)
    end_open = np.where(is_closed, close_time, np.datetime64(as_of_end, "s"))
    e_cur = created.astype("datetime64[s]") + _days(rng.gamma(4.0, 12.0, n_opp))
    e_first = e_cur.copy()
    ev_time = np.full((n_opp, 4), np.datetime64("NaT"), dtype="datetime64[s]")
    ev_value = np.full((n_opp, 4), np.datetime64("NaT"), dtype="datetime64[s]")
    pull_time = created.astype("datetime64[s]") + (
        (e_cur - created.astype("datetime64[s]")) * rng.uniform(0.2, 0.7, n_opp)
    ).astype("timedelta64[s]")
    pulled_to = np.maximum(e_cur - _days(rng.uniform(10, 30, n_opp)), pull_time + _days(3))
    pull_in = (rng.random(n_opp) < cfg.pull_in_prob) & (pull_time < end_open) & (pulled_to < e_cur)
    ev_time[pull_in, 0], ev_value[pull_in, 0] = pull_time[pull_in], pulled_to[pull_in]
    e_cur = np.where(pull_in, pulled_to, e_cur)
    for k in range(1, 4):
        push = e_cur < end_open
        pushed_to = e_cur + _days(rng.uniform(10, 45, n_opp))
        ev_time[push, k], ev_value[push, k] = e_cur[push], pushed_to[push]
        e_cur = np.where(push, pushed_to, e_cur)
    # forecast calls: their own generator, so adding them left every other table unchanged
    u_call = np.random.default_rng([cfg.seed, 7]).random(n_opp)
    # the CRM records the actual date on closing
    expected_close = np.where(is_closed, close_time, e_cur)
    # amounts: a third of deals are re-scoped once while open
    rescoped = rng.random(n_opp) < cfg.rescope_prob
    amount_first = np.where(rescoped, np.round(amount * rng.uniform(0.75, 1.25, n_opp), -3), amount)
    rescope_time = created.astype("datetime64[s]") + (
        (end_open - created.astype("datetime64[s]")) * rng.uniform(0.2, 0.9, n_opp)
    ).astype("timedelta64[s]")
    loss = np.where(is_closed & ~won, rng.choice(LOSS_REASONS, n_opp), None)
    opp_ids = np.array([f"{cfg.id_prefix}O{i:06d}" for i in range(n_opp)])
    opportunities = pd.DataFrame(
        dict(
            opportunity_id=opp_ids,
            account_id=accounts["account_id"].to_numpy()[o_acc],
            rep_id=reps["rep_id"].to_numpy()[o_rep],
            lead_id=None,
            created_at=created.astype("datetime64[s]"),
            expected_close_date=pd.DatetimeIndex(expected_close).normalize(),
            closed_at=np.where(is_closed, close_time, np.datetime64("NaT")),
            stage=stage_now,
            amount=amount,
            product=product,
            deal_type=deal_type,
            loss_reason=loss,
            forecast_category=np.where(
                is_closed, None, _forecast_category(stage_reached_idx, won, u_call)
            ),
        )
    )[keep]

    # stage history: every stage entered before the end, skipping skipped qualifications
    sh_parts = []
    for k, stage in enumerate(STAGES[:4]):
        m = keep & (k <= last_stage) & entered_before[:, k] & ~((k == 1) & skip_q)
        sh_parts.append(
            pd.DataFrame(dict(opportunity_id=opp_ids[m], stage=stage, entered_at=enter[m, k]))
        )
    m = keep & is_closed
    sh_parts.append(
        pd.DataFrame(
            dict(
                opportunity_id=opp_ids[m],
                stage=np.where(won[m], "closed_won", "closed_lost"),
                entered_at=close_time[m],
            )
        )
    )
    stage_history = pd.concat(sh_parts, ignore_index=True).sort_values(
        ["opportunity_id", "entered_at"], kind="stable", ignore_index=True
    )

    # weekly pipeline snapshots (Mondays) of open deals: stage, amount and expected close that day
    snap_days = (
        pd.date_range(months[0].start_time, as_of, freq="W-MON").to_numpy().astype("datetime64[s]")
    )
    first = np.searchsorted(snap_days, created.astype("datetime64[s]"), side="left")
    count = np.where(keep, np.searchsorted(snap_days, end_open, side="left") - first, 0).clip(0)
    s_opp = np.repeat(np.arange(n_opp), count)
    s_day = snap_days[
        np.repeat(first, count)
        + np.arange(count.sum())
        - np.repeat(np.cumsum(count) - count, count)
    ]
    s_stage = np.zeros(len(s_opp), dtype=int)
    for k in range(4):
        s_stage = np.where((k <= last_stage[s_opp]) & (enter[s_opp, k] <= s_day), k, s_stage)
    s_expected = e_first[s_opp]
    for j in range(4):
        s_expected = np.where(ev_time[s_opp, j] <= s_day, ev_value[s_opp, j], s_expected)
    s_amount = np.where(
        rescoped[s_opp] & (s_day < rescope_time[s_opp]), amount_first[s_opp], amount[s_opp]
    )
    opportunity_snapshots = pd.DataFrame(
        dict(
            snapshot_date=pd.DatetimeIndex(s_day).normalize(),
            opportunity_id=opp_ids[s_opp],
            stage=np.array(STAGES)[s_stage],
            amount=s_amount,
            expected_close_date=pd.DatetimeIndex(s_expected).normalize(),
            forecast_category=_forecast_category(s_stage, won[s_opp], u_call[s_opp]),
        )
    ).sort_values(["snapshot_date", "opportunity_id"], ignore_index=True)

    # leads: 60% of deals come from a lead; plus leads that never convert -----------------------
    src_names = list(LEAD_SOURCES)
    src_share = np.array([LEAD_SOURCES[s][0] for s in src_names])
    src_conv = np.array([LEAD_SOURCES[s][1] for s in src_names])
    opp_keep_idx = np.flatnonzero(keep)
    from_lead = opp_keep_idx[rng.random(len(opp_keep_idx)) < 0.6]
    conv_src_p = src_share * src_conv / (src_share * src_conv).sum()
    conv_src = rng.choice(len(src_names), len(from_lead), p=conv_src_p)
    lag = (rng.gamma(2.0, 6.0, len(from_lead)) * 86400).astype("timedelta64[s]")
    conv_at = created.astype("datetime64[s]")[from_lead]
    lead_created = conv_at - lag
    qual_at = lead_created + (
        (conv_at - lead_created) * rng.uniform(0.2, 0.8, len(from_lead))
    ).astype("timedelta64[s]")
    # non-converting leads: per source, enough that each source converts at its configured rate
    n_conv_src = np.bincount(conv_src, minlength=len(src_names))
    n_nonconv_src = rng.poisson(n_conv_src * (1 - src_conv) / src_conv)
    nc_src = np.repeat(np.arange(len(src_names)), n_nonconv_src)
    n_nc = len(nc_src)
    nc_seatmonth = rng.integers(0, len(seat_idx), n_nc)
    nc_created = _uniform_in_month(rng, months, month_idx[nc_seatmonth]).astype("datetime64[s]")
    nc_qual = np.where(
        rng.random(n_nc) < 0.3,
        nc_created + (rng.gamma(2.0, 4.0, n_nc) * 86400).astype("timedelta64[s]"),
        np.datetime64("NaT"),
    )
    nc_qual = np.where(nc_qual < np.datetime64(as_of_end, "s"), nc_qual, np.datetime64("NaT"))
    n_leads = len(from_lead) + n_nc
    lead_ids = np.array([f"{cfg.id_prefix}L{i:06d}" for i in range(n_leads)])
    score_conv = np.clip(rng.beta(5, 3, len(from_lead)) * 100, 0, 100).round(0)
    score_nc = np.clip(rng.beta(3, 4, n_nc) * 100, 0, 100).round(0)
    leads = pd.DataFrame(
        dict(
            lead_id=lead_ids,
            created_at=np.concatenate([lead_created, nc_created]),
            source=np.array(src_names)[np.concatenate([conv_src, nc_src])],
            rep_id=np.concatenate(
                [
                    reps["rep_id"].to_numpy()[o_rep[from_lead]],
                    reps["rep_id"].to_numpy()[rep_of[nc_seatmonth]],
                ]
            ),
            account_id=np.concatenate(
                [
                    accounts["account_id"].to_numpy()[o_acc[from_lead]],
                    np.where(
                        rng.random(n_nc) < 0.5,
                        accounts["account_id"].to_numpy()[
                            _book_account(
                                rng,
                                seat_idx[nc_seatmonth],
                                nc_created,
                                acc_created_arr,
                                acc_per_seat,
                            )
                        ],
                        None,
                    ),
                ]
            ),
            lead_score=np.concatenate([score_conv, score_nc]),
            qualified_at=np.concatenate([qual_at, nc_qual]),
            converted_opportunity_id=np.concatenate([opp_ids[from_lead], np.full(n_nc, None)]),
            converted_at=np.concatenate(
                [conv_at, np.full(n_nc, np.datetime64("NaT"), dtype="datetime64[s]")]
            ),
        )
    ).sort_values("created_at", kind="stable", ignore_index=True)
    leads["lead_id"] = lead_ids  # ids in creation order
    lead_of_opp = dict(
        zip(
            leads["converted_opportunity_id"].dropna(),
            leads.loc[leads["converted_opportunity_id"].notna(), "lead_id"],
            strict=True,
        )
    )
    opportunities["lead_id"] = opportunities["opportunity_id"].map(lead_of_opp)

    # activities ----------------------------------------------------------------------------------
    a_counts = rng.poisson(cfg.activities_per_rep_month * cfg.scale * ramp)
    a_sm = np.repeat(np.arange(len(seat_idx)), a_counts)
    n_act = len(a_sm)
    a_time = _uniform_in_month(rng, months, month_idx[a_sm]).astype("datetime64[s]")
    a_acc = _book_account(rng, seat_idx[a_sm], a_time, acc_created_arr, acc_per_seat)
    activities = pd.DataFrame(
        dict(
            activity_id=[f"{cfg.id_prefix}X{i:07d}" for i in range(n_act)],
            rep_id=reps["rep_id"].to_numpy()[rep_of[a_sm]],
            account_id=accounts["account_id"].to_numpy()[a_acc],
            activity_type=rng.choice(ACTIVITY_TYPES, n_act, p=[0.2, 0.35, 0.3, 0.1, 0.05]),
            occurred_at=a_time,
        )
    )

    # recurring revenue: each won deal adds amount/12 a month from the next month until churn ------
    won_m = keep & is_closed & won
    w_acc = o_acc[won_m]
    w_start = (pd.DatetimeIndex(close_time[won_m]).to_period("M") - months[0]).map(
        lambda d: d.n
    ).to_numpy() + 1
    acc_churn_after = rng.geometric(
        cfg.account_churn_monthly, n_acc
    )  # months of life after first revenue
    w_start = np.maximum(w_start, 0)  # deals won in the burn-in bill from the first month
    first_rev = pd.Series(w_start).groupby(w_acc).min()
    churn_month = np.full(n_acc, 10_000)
    churn_month[first_rev.index.to_numpy()] = (
        first_rev.to_numpy() + acc_churn_after[first_rev.index.to_numpy()]
    )
    lengths = np.clip(np.minimum(churn_month[w_acc], n_months) - w_start, 0, None)
    r_deal = np.repeat(np.arange(len(w_acc)), lengths)
    r_month = w_start[r_deal] + (
        np.arange(len(r_deal)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    revenue = (
        pd.DataFrame(
            dict(
                account_id=accounts["account_id"].to_numpy()[w_acc[r_deal]],
                month=months[r_month].astype(str) if len(r_month) else [],
                product=product[won_m][r_deal],
                revenue=np.round(amount[won_m][r_deal] / 12, 2),
            )
        )
        .groupby(["account_id", "month", "product"], as_index=False, sort=True)["revenue"]
        .sum()
    )
    revenue["month"] = pd.PeriodIndex(revenue["month"], freq="M")

    # csat, tickets, feedback -----------------------------------------------------------------------
    c_counts = rng.poisson(3 * cfg.scale, len(seat_idx))
    c_sm = np.repeat(np.arange(len(seat_idx)), c_counts)
    c_lat = 3.9 + 0.35 * ability[rep_of[c_sm]] + rng.normal(0, 0.8, len(c_sm))
    c_time = _uniform_in_month(rng, months, month_idx[c_sm]).astype("datetime64[s]")
    csat = pd.DataFrame(
        dict(
            response_id=[f"{cfg.id_prefix}C{i:06d}" for i in range(len(c_sm))],
            account_id=accounts["account_id"].to_numpy()[
                _book_account(rng, seat_idx[c_sm], c_time, acc_created_arr, acc_per_seat)
            ],
            rep_id=reps["rep_id"].to_numpy()[rep_of[c_sm]],
            responded_at=c_time,
            score=np.clip(np.round(c_lat), 1, 5).astype(int),
        )
    )
    t_counts = rng.poisson(4 * cfg.scale, len(seat_idx))
    t_sm = np.repeat(np.arange(len(seat_idx)), t_counts)
    n_t = len(t_sm)
    prio = rng.choice(TICKET_PRIORITIES, n_t, p=[0.35, 0.4, 0.2, 0.05])
    res_mean_h = np.select(
        [prio == "urgent", prio == "high", prio == "medium"], [8.0, 24.0, 48.0], 96.0
    )
    opened = _uniform_in_month(rng, months, month_idx[t_sm]).astype("datetime64[s]")
    resolved = opened + (rng.gamma(1.5, res_mean_h / 1.5) * 3600).astype("timedelta64[s]")
    resolved = np.where(resolved < np.datetime64(as_of_end, "s"), resolved, np.datetime64("NaT"))
    tickets = pd.DataFrame(
        dict(
            ticket_id=[f"{cfg.id_prefix}T{i:06d}" for i in range(n_t)],
            account_id=accounts["account_id"].to_numpy()[
                _book_account(rng, seat_idx[t_sm], opened, acc_created_arr, acc_per_seat)
            ],
            rep_id=np.where(rng.random(n_t) < 0.8, reps["rep_id"].to_numpy()[rep_of[t_sm]], None),
            opened_at=opened,
            resolved_at=resolved,
            priority=prio,
            escalated=rng.random(n_t) < np.where(prio == "urgent", 0.35, 0.08),
            reopened=~np.isnat(resolved) & (rng.random(n_t) < 0.06),
        )
    )
    f_counts = rng.poisson(1.5, len(seat_idx))
    f_sm = np.repeat(np.arange(len(seat_idx)), f_counts)
    f_team = seat_idx[f_sm] // cfg.reps_per_team
    feedback = pd.DataFrame(
        dict(
            feedback_id=[f"{cfg.id_prefix}F{i:06d}" for i in range(len(f_sm))],
            rep_id=reps["rep_id"].to_numpy()[rep_of[f_sm]],
            given_by=np.where(
                rng.random(len(f_sm)) < 0.8, teams["manager_name"].to_numpy()[f_team], "peer"
            ),
            given_at=_uniform_in_month(rng, months, month_idx[f_sm]).astype("datetime64[s]"),
            quality_score=rng.choice([2, 3, 4, 5], len(f_sm), p=[0.1, 0.3, 0.4, 0.2]),
            topic=rng.choice(FEEDBACK_TOPICS, len(f_sm)),
        )
    )

    # skill assessments: every active rep, each quarter-end month, all skills ------------------------
    q_mask = np.isin(month_idx, [i for i, p in enumerate(months) if p.month in (3, 6, 9, 12)])
    sa_sm = np.flatnonzero(q_mask)
    sa_rows = []
    for skill in SKILLS:
        at = (
            months.start_time.values[month_idx[sa_sm]]
            + np.timedelta64(14, "D")
            + np.timedelta64(10, "h")
        ).astype("datetime64[s]")
        r = rep_of[sa_sm]
        gain_at = skill_gain_at[skill][r]
        gained = ~np.isnat(gain_at) & (gain_at <= at)
        score = (
            60
            + cfg.skill_ability_loading[skill] * 10 * ability[r]
            + cfg.course_skill_gain[skill] * gained
            + rng.normal(0, cfg.skill_noise_sd, len(r))
        )
        sa_rows.append(
            pd.DataFrame(
                dict(
                    rep_id=reps["rep_id"].to_numpy()[r],
                    assessed_at=at,
                    skill=skill,
                    score=np.clip(score, 0, 100).round(1),
                )
            )
        )
    skill_assessments = pd.concat(sa_rows, ignore_index=True)

    # quotas: expected revenue of a fully ramped average rep, with ramp and a 12% stretch ----------
    win_p = float(np.prod(base))
    avg_deal = (
        float(sum(PRODUCTS[p][0] * PRODUCTS[p][1] for p in prod_names)) * np.exp(0.45**2 / 2) * 0.97
    )
    q_base = cfg.opps_per_rep_month * cfg.scale * win_p * avg_deal * 1.12
    q_amount = np.round(q_base * month_factor[month_idx] * growth[month_idx] * ramp, -4)
    # quotas are plans set in advance: reps in seat at the end already have the next months' quotas
    last = month_idx == n_months - 1
    k = np.tile(np.arange(1, QUOTA_PLAN_MONTHS + 1), int(last.sum()))
    plan_rep = np.repeat(rep_of[last], QUOTA_PLAN_MONTHS)
    plan_month = pd.period_range(months[-1] + 1, periods=QUOTA_PLAN_MONTHS, freq="M")[k - 1]
    plan_ramp = np.clip((np.repeat(tenure[last], QUOTA_PLAN_MONTHS) + k + 1) / 3, 0.33, 1.0)
    plan_factor = np.array([MONTH_FACTORS[p.month - 1] for p in plan_month])
    plan_amount = np.round(
        q_base * plan_factor * (1 + cfg.annual_growth) ** ((n_months - 1 + k) / 12) * plan_ramp, -4
    )
    quotas = pd.DataFrame(
        dict(
            rep_id=reps["rep_id"].to_numpy()[np.concatenate([rep_of, plan_rep])],
            month=months[month_idx].append(plan_month),
            quota_amount=np.concatenate([q_amount, plan_amount]),
        )
    )

    tables = dict(
        teams=teams,
        reps=reps.drop(columns=["seat", "ability"]),
        quotas=quotas,
        accounts=accounts,
        leads=leads,
        opportunities=opportunities.reset_index(drop=True),
        stage_history=stage_history,
        opportunity_snapshots=opportunity_snapshots,
        activities=activities,
        revenue=revenue,
        csat=csat,
        tickets=tickets,
        feedback=feedback,
        trainings=trainings,
        skill_assessments=skill_assessments,
    )
    manifest = {
        "generator": "analysis.data.synth",
        "config": {k: v for k, v in asdict(cfg).items()},
        "as_of": str(as_of.date()),
        "truth": {
            "stage_conversion": cfg.stage_probs,
            "stage_conversion_note": "the first three steps are the same for every deal; "
            "negotiation->closed_won is shifted by rep ability "
            f"({cfg.ability_prob_shift} per SD, centred over deals) and raised by "
            "negotiation_training_close_rate_pp for deals entering negotiation after the rep "
            "completed NEG-101; a skipped qualification counts as passed",
            "skip_qualification_prob": cfg.skip_qualification_prob,
            "overall_win_probability_average_rep": round(win_p, 4),
            "month_factors": dict(zip(range(1, 13), MONTH_FACTORS, strict=True)),
            "annual_growth": cfg.annual_growth,
            "negotiation_training_close_rate_pp": cfg.negotiation_close_pp,
            "course_skill_gain_points": cfg.course_skill_gain,
            "skill_ability_loading": cfg.skill_ability_loading,
            "skills_without_outcome_relation": [
                s for s, v in cfg.skill_ability_loading.items() if v == 0
            ],
            "lead_source_conversion": {s: LEAD_SOURCES[s][1] for s in src_names},
            "year_end_pull_prob": cfg.year_end_pull_prob,
            "songkran_delay_prob": cfg.songkran_delay_prob,
            "account_churn_monthly": cfg.account_churn_monthly,
        },
        "rep_ability": dict(zip(reps["rep_id"], np.round(ability, 4), strict=True)),
        "negotiation_training_completed": {
            reps.at[i, "rep_id"]: str(pd.Timestamp(neg_done[i]))
            for i in range(len(reps))
            if not np.isnat(neg_done[i])
        },
    }
    return tables, manifest


def write_sample(path: str | Path, cfg: SynthConfig | None = None, *, fmt: str = "csv") -> Path:
    """Generate the sample dataset and write it, with dataset.yaml and manifest.json, to `path`."""
    cfg = cfg or SynthConfig()
    tables, manifest = generate(cfg)
    meta = {
        "name": "sample",
        "description": "Synthetic Thai B2B software company (analysis.data.synth); not real data.",
        "contract_version": CONTRACT_VERSION,
        "timezone": "Asia/Bangkok",
        "currency": "THB",
        "as_of": manifest["as_of"],
        "generator": {
            "seed": cfg.seed,
            "n_teams": cfg.n_teams,
            "reps_per_team": cfg.reps_per_team,
            "months": cfg.months,
            "end_month": cfg.end_month,
            "scale": cfg.scale,
        },
    }
    path = write_dataset(tables, path, meta=meta, fmt=fmt)
    text = json.dumps(manifest, ensure_ascii=False, indent=2, default=str)
    (Path(path) / "manifest.json").write_text(text, encoding="utf-8")
    return Path(path)


# The large company of the scale benchmarks (`write_scaled` at scale 1): 300 teams of 10 seats
# (about 4,000 reps over 36 months with attrition), about 5 million opportunities with their stage
# history and weekly snapshots, and 50 million activities.
LARGE_TEAMS = 300
LARGE = dict(reps_per_team=10, opps_per_rep_month=38.0, activities_per_rep_month=474.0)
TEAMS_PER_SHARD = 10


def scaled_configs(
    scale: float, seed: int = SynthConfig.seed, teams_per_shard: int = TEAMS_PER_SHARD
) -> list[SynthConfig]:
    """The shards of the benchmark company at `scale` (1 = the large company; rows grow
    linearly with it): `teams_per_shard` teams each, their own seed, ids prefixed S000-, ..."""
    if not scale > 0:
        raise ValueError(f"scale: {scale} must be > 0")
    n_teams = max(1, round(LARGE_TEAMS * scale))
    n_shards = -(-n_teams // teams_per_shard)
    return [
        SynthConfig(
            seed=seed + k,
            n_teams=min(teams_per_shard, n_teams - k * teams_per_shard),
            team_offset=k * teams_per_shard,
            id_prefix=f"S{k:03d}-",
            **LARGE,
        )
        for k in range(n_shards)
    ]


def _arrow_shard(cfg: SynthConfig) -> dict[str, pa.Table]:
    """One shard's tables in their on-disk Parquet form (run in a worker process)."""
    tables, _ = generate(cfg)
    return {name: to_arrow(df, TABLES[name]) for name, df in tables.items()}


def write_scaled(
    path: str | Path,
    scale: float = 1.0,
    *,
    jobs: int = 1,
    progress=print,
    teams_per_shard: int = TEAMS_PER_SHARD,
) -> Path:
    """Generate the benchmark company at `scale` into `path` as one Parquet file per table.

    Shards (`scaled_configs`) are generated `jobs` at a time in worker processes and appended to
    the files as they arrive, so memory holds a few shards, never the whole company. Returns
    `path`, which also gets dataset.yaml (the generator settings; no manifest of effects).
    """
    import multiprocessing

    import pyarrow.parquet as pq

    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    configs = scaled_configs(scale, teams_per_shard=teams_per_shard)
    writers: dict[str, pq.ParquetWriter] = {}
    rows: dict[str, int] = {}
    ctx = multiprocessing.get_context("spawn")
    try:
        with ctx.Pool(max(1, min(jobs, len(configs)))) as pool:
            for k, shard in enumerate(pool.imap(_arrow_shard, configs)):
                for name, table in shard.items():
                    if name not in writers:
                        writers[name] = pq.ParquetWriter(path / f"{name}.parquet", table.schema)
                    writers[name].write_table(table)
                    rows[name] = rows.get(name, 0) + table.num_rows
                progress(f"  shard {k + 1}/{len(configs)} written")
    finally:
        for writer in writers.values():
            writer.close()
    cfg = configs[0]
    meta = {
        "name": f"bench-{scale:g}",
        "description": "Synthetic benchmark company (analysis.data.synth.write_scaled); not real data.",
        "contract_version": CONTRACT_VERSION,
        "timezone": "Asia/Bangkok",
        "currency": "THB",
        "as_of": str(cfg.months_index[-1].end_time.date()),
        "generator": {
            "scale": scale,
            "teams": sum(c.n_teams for c in configs),
            "shards": len(configs),
            "seed": cfg.seed,
            "months": cfg.months,
            "end_month": cfg.end_month,
            **LARGE,
        },
        "rows": rows,
    }
    (path / "dataset.yaml").write_text(
        yaml.safe_dump(meta, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return path


def config_digest(cfg: SynthConfig) -> str:
    """Short digest of a config (used to name cached test datasets)."""
    return hashlib.sha256(json.dumps(asdict(cfg), sort_keys=True).encode()).hexdigest()[:12]
