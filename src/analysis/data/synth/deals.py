"""Opportunities from creation to close: the stage walk, close dates, stage history and
weekly snapshots."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data.contract import (
    DEAL_TYPES,
    STAGES,
)
from analysis.data.synth.catalogue import (
    LOSS_REASONS,
    PRODUCTS,
)
from analysis.data.synth.common import (
    Draws,
    as_days,
    book_account,
    forecast_call,
    uniform_in_month,
)
from analysis.data.synth.config import BURN_IN, MONTH_FACTORS

__all__ = [
    "draw_deals",
    "walk_stages",
    "plan_close_dates",
    "reopen_lost",
    "opportunities",
    "stage_history",
    "snapshots",
]


def draw_deals(s: Draws) -> None:
    """How many deals each active rep-month creates (seasonality, growth, ramp, a burn-in before
    the window), and each deal's account, type, product and amount.
    """
    # opportunities -----------------------------------------------------------------------------
    s.month_factor = np.array([MONTH_FACTORS[p.month - 1] for p in s.months])
    s.growth = (1 + s.cfg.annual_growth) ** (np.arange(s.n_months) / 12)
    s.seat_idx, s.month_idx = np.nonzero(s.seat_month_rep >= 0)
    s.rep_of = s.seat_month_rep[s.seat_idx, s.month_idx]
    s.tenure = s.month_idx - s.hire_month[s.rep_of]
    s.ramp = np.clip((s.tenure + 1) / 3, 0.33, 1.0)
    # Deals start BURN_IN months before the window (the first seat holders were hired earlier), so
    # the first months already have a mature pipeline instead of a start-up dip.
    ext_months = pd.period_range(s.months[0] - BURN_IN, s.months[-1], freq="M")
    ext_smr = np.concatenate(
        [np.repeat(s.seat_month_rep[:, :1], BURN_IN, axis=1), s.seat_month_rep], axis=1
    )
    e_seat, e_month = np.nonzero(ext_smr >= 0)
    e_rep = ext_smr[e_seat, e_month]
    e_ramp = np.clip((e_month - BURN_IN - s.hire_month[e_rep] + 1) / 3, 0.33, 1.0)
    e_factor = np.array([MONTH_FACTORS[p.month - 1] for p in ext_months])[e_month]
    e_growth = (1 + s.cfg.annual_growth) ** ((e_month - BURN_IN) / 12)
    counts = s.rng.poisson(s.cfg.opps_per_rep_month * s.cfg.scale * e_factor * e_growth * e_ramp)
    o_seat = np.repeat(e_seat, counts)
    o_month = np.repeat(e_month, counts)
    s.o_rep = np.repeat(e_rep, counts)
    s.n_opp = len(s.o_rep)
    s.created = uniform_in_month(s.rng, ext_months, o_month)
    s.o_acc = book_account(s.rng, o_seat, s.created, s.acc_created_arr, s.acc_per_seat)
    s.deal_type = s.rng.choice(DEAL_TYPES, s.n_opp, p=[0.5, 0.2, 0.15, 0.15])
    s.prod_names = list(PRODUCTS)
    s.product = s.rng.choice(s.prod_names, s.n_opp, p=[PRODUCTS[p][1] for p in s.prod_names])
    median = np.array([PRODUCTS[p][0] for p in s.product])
    type_factor = np.select(
        [s.deal_type == "new_business", s.deal_type == "renewal"], [1.2, 0.6], 0.9
    )
    s.amount = np.round(median * type_factor * s.rng.lognormal(0, 0.45, s.n_opp), -3)


def walk_stages(s: Draws) -> None:
    """Each deal's walk through the stages (ability and training move the closing step), when it
    enters each stage and when it closes (year-end push, Songkran delay).
    """
    # stage walk: each step passes with the configured probability, shifted linearly by rep
    # ability (so the average over reps is exactly the configured value)
    steps = list(s.cfg.stage_probs)
    s.base = np.array([s.cfg.stage_probs[step] for step in steps])
    # Rep ability moves only the closing step (negotiation -> won), centred over the deals: the
    # earlier steps are then the same for every deal, so the configured probabilities are exactly
    # what a stage-by-stage conversion should recover (a shift on every step would select better
    # reps into later stages and bias the later steps upwards).
    deal_ability = s.ability[s.o_rep] - s.ability[s.o_rep].mean()
    p_step = np.repeat(s.base[None, :], s.n_opp, axis=0)
    p_step[:, 3] = np.clip(p_step[:, 3] + s.cfg.ability_prob_shift * deal_ability, 0.02, 0.98)
    mean_days = np.array([s.cfg.stage_mean_days[stage] for stage in STAGES[:4]])
    durations = s.rng.gamma(2.0, mean_days[None, :] / 2.0, (s.n_opp, 4))
    u = s.rng.random((s.n_opp, 4))
    # a deal that passes qualification may skip recording it (no qualification row in the history);
    # skipping changes the record, not the outcome
    s.skip_q = (u[:, 0] < p_step[:, 0]) & (u[:, 1] < p_step[:, 1])
    s.skip_q &= s.rng.random(s.n_opp) < s.cfg.skip_qualification_prob
    durations[s.skip_q, 1] = 0.0
    s.enter = s.created.astype("datetime64[s]")[:, None] + np.cumsum(
        np.concatenate([np.zeros((s.n_opp, 1)), durations[:, :3]], axis=1) * 86400, axis=1
    ).astype("timedelta64[s]")
    # training effect on the last step, for deals entering negotiation after completion
    trained = ~np.isnat(s.neg_done[s.o_rep]) & (s.neg_done[s.o_rep] <= s.enter[:, 3])
    p_step[:, 3] = np.clip(p_step[:, 3] + s.cfg.negotiation_close_pp * trained, 0, 0.98)
    passed = u < p_step
    reached = np.cumprod(passed, axis=1).astype(bool)  # reached[:, k]: passed step k
    n_passed = reached.sum(axis=1)  # 0..4
    s.won = n_passed == 4
    s.last_stage = np.minimum(n_passed, 3)  # index of the last open stage entered
    s.close_time = s.enter[np.arange(s.n_opp), s.last_stage] + (
        durations[np.arange(s.n_opp), s.last_stage] * 86400
    ).astype("timedelta64[s]")
    # year-end push and Songkran delay
    ct = pd.DatetimeIndex(s.close_time)
    pull = (ct.month == 1) & (ct.day <= 20) & (s.rng.random(s.n_opp) < s.cfg.year_end_pull_prob)
    pulled_to = (
        pd.to_datetime(pd.DataFrame({"year": ct.year - 1, "month": 12, "day": 20}))
        + pd.to_timedelta(s.rng.integers(0, 11 * 86400, s.n_opp), unit="s")
    ).to_numpy()
    s.close_time = np.where(
        pull & (pulled_to > s.enter[np.arange(s.n_opp), s.last_stage]), pulled_to, s.close_time
    )
    ct = pd.DatetimeIndex(s.close_time)
    delay = (
        (ct.month == 4)
        & (ct.day >= 10)
        & (ct.day <= 20)
        & (s.rng.random(s.n_opp) < s.cfg.songkran_delay_prob)
    )
    s.close_time = np.where(delay, s.close_time + np.timedelta64(7, "D"), s.close_time)
    s.close_time = s.close_time.astype("datetime64[s]")
    s.is_closed = s.close_time < np.datetime64(s.as_of_end, "s")
    s.keep = s.created.astype("datetime64[s]") < np.datetime64(s.as_of_end, "s")


def plan_close_dates(s: Draws) -> None:
    """Each deal's stage at the end of the data and its expected close date: planned at creation,
    sometimes pulled in, pushed while it passes.
    """
    # expected close date: planned at creation, sometimes pulled in, pushed each time it passes
    # while the deal is still open (up to three times; after that the CRM date goes stale)
    s.end_open = np.where(s.is_closed, s.close_time, np.datetime64(s.as_of_end, "s"))
    s.e_cur = s.created.astype("datetime64[s]") + as_days(s.rng.gamma(4.0, 12.0, s.n_opp))
    s.e_first = s.e_cur.copy()
    s.ev_time = np.full((s.n_opp, 4), np.datetime64("NaT"), dtype="datetime64[s]")
    s.ev_value = np.full((s.n_opp, 4), np.datetime64("NaT"), dtype="datetime64[s]")
    pull_time = s.created.astype("datetime64[s]") + (
        (s.e_cur - s.created.astype("datetime64[s]")) * s.rng.uniform(0.2, 0.7, s.n_opp)
    ).astype("timedelta64[s]")
    pulled_to = np.maximum(
        s.e_cur - as_days(s.rng.uniform(10, 30, s.n_opp)), pull_time + as_days(3)
    )
    pull_in = (
        (s.rng.random(s.n_opp) < s.cfg.pull_in_prob)
        & (pull_time < s.end_open)
        & (pulled_to < s.e_cur)
    )
    s.ev_time[pull_in, 0], s.ev_value[pull_in, 0] = pull_time[pull_in], pulled_to[pull_in]
    s.e_cur = np.where(pull_in, pulled_to, s.e_cur)
    for k in range(1, 4):
        push = s.e_cur < s.end_open
        pushed_to = s.e_cur + as_days(s.rng.uniform(10, 45, s.n_opp))
        s.ev_time[push, k], s.ev_value[push, k] = s.e_cur[push], pushed_to[push]
        s.e_cur = np.where(push, pushed_to, s.e_cur)


def reopen_lost(s: Draws) -> None:
    """Some lost deals are reopened later: the deal re-enters the stage it was lost from and
    closes a second time (won or lost), or is still open at the end. On a generator of its own, so
    every other draw of the sample stays the same."""
    rng = np.random.default_rng([s.cfg.seed, 11])
    u, gap, won2, days2 = (
        rng.random(s.n_opp),
        as_days(rng.uniform(7, 45, s.n_opp)),
        rng.random(s.n_opp) < s.cfg.reopen_win_prob,
        as_days(rng.gamma(2.0, 12.0, s.n_opp)),
    )
    s.loss2 = rng.choice(LOSS_REASONS, s.n_opp)
    s.reopen_time = s.close_time + gap
    s.reopened = (
        s.is_closed
        & ~s.won
        & (u < s.cfg.reopen_prob)
        & (s.reopen_time < np.datetime64(s.as_of_end, "s"))
    )
    s.close2 = s.reopen_time + days2
    s.won2 = won2


def state_at(s: Draws, t: np.datetime64) -> dict[str, np.ndarray]:
    """Every deal as the CRM held it at instant `t` (exclusive), from the simulation itself:
    present (created before t), closed, when, won, the open stage's index, and whether the deal is
    in its second life (reopened before t). `metrics.asof.as_of` must give the same from the
    exported tables."""
    t = np.datetime64(t, "s")
    present = s.created.astype("datetime64[s]") < t
    second = s.reopened & (s.reopen_time < t)
    first_closed = (s.close_time < t) & ~second
    second_closed = second & (s.close2 < t)
    closed = first_closed | second_closed
    closed_at = np.where(second_closed, s.close2, np.where(first_closed, s.close_time, _NAT))
    won = np.where(second, s.won2, s.won)
    stage_idx = np.zeros(s.n_opp, dtype=int)
    for k in range(4):
        stage_idx = np.where((s.enter[:, k] < t) & (k <= s.last_stage), k, stage_idx)
    stage_idx = np.where(second, s.last_stage, stage_idx)
    stage = np.where(
        closed, np.where(won, "closed_won", "closed_lost"), np.array(STAGES)[stage_idx]
    )
    return dict(
        present=present,
        closed=closed,
        closed_at=closed_at.astype("datetime64[s]"),
        won=won,
        stage_idx=stage_idx,
        stage=stage,
        second=second,
    )


_NAT = np.datetime64("NaT", "s")


def _expected_close_at(s: Draws, t: np.datetime64, second: np.ndarray) -> np.ndarray:
    """The expected close date the CRM showed at `t`: planned, pulled in and pushed by the
    events before `t`; in a reopened deal's second life, 30 days after reopening."""
    e = s.e_first.copy()
    for j in range(4):
        e = np.where(s.ev_time[:, j] < t, s.ev_value[:, j], e)
    return np.where(second, s.reopen_time + as_days(30), e)


def opportunities(s: Draws) -> None:
    """The opportunities table: forecast calls, re-scoped amounts, loss reasons."""
    # forecast calls: their own generator, so adding them left every other table unchanged
    s.u_call = np.random.default_rng([s.cfg.seed, 7]).random(s.n_opp)
    st = state_at(s, s.extracted_at)
    # the CRM records the actual date on closing
    expected_close = np.where(
        st["closed"], st["closed_at"], _expected_close_at(s, s.extracted_at, st["second"])
    )
    # amounts: a third of deals are re-scoped once while open
    s.rescoped = s.rng.random(s.n_opp) < s.cfg.rescope_prob
    s.amount_first = np.where(
        s.rescoped, np.round(s.amount * s.rng.uniform(0.75, 1.25, s.n_opp), -3), s.amount
    )
    s.rescope_time = s.created.astype("datetime64[s]") + (
        (s.end_open - s.created.astype("datetime64[s]")) * s.rng.uniform(0.2, 0.9, s.n_opp)
    ).astype("timedelta64[s]")
    # a re-scope shows in the next Monday's snapshot, so it counts only where that snapshot is
    # taken while the deal is still open: every amount a deal closes at was recorded while open
    day = s.rescope_time.astype("datetime64[D]")
    to_monday = (7 - (day.astype("int64") + 3) % 7) % 7  # 1970-01-01 was a Thursday
    next_monday = (day + np.where(to_monday == 0, 7, to_monday)).astype("datetime64[s]")
    s.rescoped &= next_monday < s.end_open
    loss = s.rng.choice(LOSS_REASONS, s.n_opp)  # drawn for every deal: the draws stay aligned
    loss = np.where(st["closed"] & ~st["won"], np.where(st["second"], s.loss2, loss), None)
    # the amount the CRM showed: re-scoped deals change once while open
    amount = np.where(
        s.rescoped & (s.rescope_time >= np.datetime64(s.extracted_at, "s")),
        s.amount_first,
        s.amount,
    )
    s.opp_ids = np.array([f"{s.cfg.id_prefix}O{i:06d}" for i in range(s.n_opp)])
    s.opportunities = pd.DataFrame(
        dict(
            opportunity_id=s.opp_ids,
            account_id=s.accounts["account_id"].to_numpy()[s.o_acc],
            rep_id=s.reps["rep_id"].to_numpy()[s.o_rep],
            lead_id=None,
            created_at=s.created.astype("datetime64[s]"),
            expected_close_date=pd.DatetimeIndex(expected_close).normalize(),
            closed_at=st["closed_at"],
            stage=st["stage"],
            amount=amount,
            product=s.product,
            deal_type=s.deal_type,
            loss_reason=loss,
            forecast_category=np.where(
                st["closed"], None, forecast_call(st["stage_idx"], st["won"], s.u_call)
            ),
        )
    )[st["present"]]


def stage_history(s: Draws) -> None:
    """The stage_history table: every stage entered before the end (skipped qualifications left
    out).
    """
    # every stage entered before the extraction, skipping skipped qualifications; a reopened
    # deal's first close, its return to the stage it was lost from, and its second close
    t = np.datetime64(s.extracted_at, "s")
    present = s.created.astype("datetime64[s]") < t
    sh_parts = []
    for k, stage in enumerate(STAGES[:4]):
        m = present & (k <= s.last_stage) & (s.enter[:, k] < t) & ~((k == 1) & s.skip_q)
        sh_parts.append(
            pd.DataFrame(dict(opportunity_id=s.opp_ids[m], stage=stage, entered_at=s.enter[m, k]))
        )
    for m, stage, when in (
        (present & (s.close_time < t), np.where(s.won, "closed_won", "closed_lost"), s.close_time),
        (s.reopened & (s.reopen_time < t), np.array(STAGES)[s.last_stage], s.reopen_time),
        (s.reopened & (s.close2 < t), np.where(s.won2, "closed_won", "closed_lost"), s.close2),
    ):
        sh_parts.append(
            pd.DataFrame(dict(opportunity_id=s.opp_ids[m], stage=stage[m], entered_at=when[m]))
        )
    s.stage_history = pd.concat(sh_parts, ignore_index=True).sort_values(
        ["opportunity_id", "entered_at"], kind="stable", ignore_index=True
    )


def snapshots(s: Draws) -> None:
    """The opportunity_snapshots table: each open deal's stage, amount and expected close every
    Monday.
    """
    # weekly pipeline snapshots (Mondays) of open deals: stage, amount and expected close that day
    t = np.datetime64(s.extracted_at, "s")
    snap_days = (
        pd.date_range(s.months[0].start_time, s.as_of, freq="W-MON")
        .to_numpy()
        .astype("datetime64[s]")
    )
    snap_days = snap_days[snap_days < t]
    # open from creation to the (first) close, and in a reopened deal's second life
    created = s.created.astype("datetime64[s]")
    lives = (
        (created, np.minimum(s.end_open, t), created < t),
        (s.reopen_time, np.minimum(s.close2, t), s.reopened & (s.reopen_time < t)),
    )
    parts = []
    for life, (begin, end, alive) in enumerate(lives):
        first = np.searchsorted(snap_days, begin, side="left")
        count = np.where(alive, np.searchsorted(snap_days, end, side="left") - first, 0).clip(0)
        s_opp = np.repeat(np.arange(s.n_opp), count)
        s_day = snap_days[
            np.repeat(first, count)
            + np.arange(count.sum())
            - np.repeat(np.cumsum(count) - count, count)
        ]
        parts.append((s_opp, s_day, np.full(len(s_opp), life == 1)))
    s_opp, s_day, second = (np.concatenate(x) for x in zip(*parts, strict=True))
    s_stage = np.zeros(len(s_opp), dtype=int)
    for k in range(4):
        s_stage = np.where((k <= s.last_stage[s_opp]) & (s.enter[s_opp, k] <= s_day), k, s_stage)
    s_stage = np.where(second, s.last_stage[s_opp], s_stage)
    s_expected = s.e_first[s_opp]
    for j in range(4):
        s_expected = np.where(s.ev_time[s_opp, j] <= s_day, s.ev_value[s_opp, j], s_expected)
    s_expected = np.where(second, s.reopen_time[s_opp] + as_days(30), s_expected)
    s_amount = np.where(
        s.rescoped[s_opp] & (s_day < s.rescope_time[s_opp]), s.amount_first[s_opp], s.amount[s_opp]
    )
    s.opportunity_snapshots = pd.DataFrame(
        dict(
            snapshot_date=pd.DatetimeIndex(s_day).normalize(),
            opportunity_id=s.opp_ids[s_opp],
            stage=np.array(STAGES)[s_stage],
            amount=s_amount,
            expected_close_date=pd.DatetimeIndex(s_expected).normalize(),
            forecast_category=forecast_call(
                s_stage, np.where(second, s.won2[s_opp], s.won[s_opp]), s.u_call[s_opp]
            ),
        )
    ).sort_values(["snapshot_date", "opportunity_id"], ignore_index=True)
