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
    "opportunities",
    "stage_history",
    "snapshots",
]


def draw_deals(s: Draws) -> None:
    """How many deals each active rep-month creates (seasonality, growth, ramp, a burn-in before
    the window), and each deal's account, type, product and amount.
    """
    acc_created_arr, acc_per_seat, cfg, hire_month, months, n_months, rng, seat_month_rep = s.take(
        "acc_created_arr",
        "acc_per_seat",
        "cfg",
        "hire_month",
        "months",
        "n_months",
        "rng",
        "seat_month_rep",
    )
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
    created = uniform_in_month(rng, ext_months, o_month)
    o_acc = book_account(rng, o_seat, created, acc_created_arr, acc_per_seat)
    deal_type = rng.choice(DEAL_TYPES, n_opp, p=[0.5, 0.2, 0.15, 0.15])
    prod_names = list(PRODUCTS)
    product = rng.choice(prod_names, n_opp, p=[PRODUCTS[p][1] for p in prod_names])
    median = np.array([PRODUCTS[p][0] for p in product])
    type_factor = np.select([deal_type == "new_business", deal_type == "renewal"], [1.2, 0.6], 0.9)
    amount = np.round(median * type_factor * rng.lognormal(0, 0.45, n_opp), -3)
    s.put(
        amount=amount,
        created=created,
        deal_type=deal_type,
        growth=growth,
        month_factor=month_factor,
        month_idx=month_idx,
        n_opp=n_opp,
        o_acc=o_acc,
        o_rep=o_rep,
        prod_names=prod_names,
        product=product,
        ramp=ramp,
        rep_of=rep_of,
        seat_idx=seat_idx,
        tenure=tenure,
    )


def walk_stages(s: Draws) -> None:
    """Each deal's walk through the stages (ability and training move the closing step), when it
    enters each stage and when it closes (year-end push, Songkran delay).
    """
    ability, as_of_end, cfg, created, n_opp, neg_done, o_rep, rng = s.take(
        "ability", "as_of_end", "cfg", "created", "n_opp", "neg_done", "o_rep", "rng"
    )
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
    s.put(
        base=base,
        close_time=close_time,
        enter=enter,
        is_closed=is_closed,
        keep=keep,
        last_stage=last_stage,
        skip_q=skip_q,
        stage_now=stage_now,
        won=won,
    )


def plan_close_dates(s: Draws) -> None:
    """Each deal's stage at the end of the data and its expected close date: planned at creation,
    sometimes pulled in, pushed while it passes.
    """
    as_of_end, cfg, close_time, created, enter, is_closed, last_stage, n_opp, rng, stage_now = (
        s.take(
            "as_of_end",
            "cfg",
            "close_time",
            "created",
            "enter",
            "is_closed",
            "last_stage",
            "n_opp",
            "rng",
            "stage_now",
        )
    )
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
    e_cur = created.astype("datetime64[s]") + as_days(rng.gamma(4.0, 12.0, n_opp))
    e_first = e_cur.copy()
    ev_time = np.full((n_opp, 4), np.datetime64("NaT"), dtype="datetime64[s]")
    ev_value = np.full((n_opp, 4), np.datetime64("NaT"), dtype="datetime64[s]")
    pull_time = created.astype("datetime64[s]") + (
        (e_cur - created.astype("datetime64[s]")) * rng.uniform(0.2, 0.7, n_opp)
    ).astype("timedelta64[s]")
    pulled_to = np.maximum(e_cur - as_days(rng.uniform(10, 30, n_opp)), pull_time + as_days(3))
    pull_in = (rng.random(n_opp) < cfg.pull_in_prob) & (pull_time < end_open) & (pulled_to < e_cur)
    ev_time[pull_in, 0], ev_value[pull_in, 0] = pull_time[pull_in], pulled_to[pull_in]
    e_cur = np.where(pull_in, pulled_to, e_cur)
    for k in range(1, 4):
        push = e_cur < end_open
        pushed_to = e_cur + as_days(rng.uniform(10, 45, n_opp))
        ev_time[push, k], ev_value[push, k] = e_cur[push], pushed_to[push]
        e_cur = np.where(push, pushed_to, e_cur)
    s.put(
        e_cur=e_cur,
        e_first=e_first,
        end_open=end_open,
        entered_before=entered_before,
        ev_time=ev_time,
        ev_value=ev_value,
        stage_now=stage_now,
        stage_reached_idx=stage_reached_idx,
    )


def opportunities(s: Draws) -> None:
    """The opportunities table: forecast calls, re-scoped amounts, loss reasons."""
    (
        accounts,
        amount,
        cfg,
        close_time,
        created,
        deal_type,
        e_cur,
        end_open,
        is_closed,
        keep,
        n_opp,
        o_acc,
        o_rep,
        product,
        reps,
        rng,
        stage_now,
        stage_reached_idx,
        won,
    ) = s.take(
        "accounts",
        "amount",
        "cfg",
        "close_time",
        "created",
        "deal_type",
        "e_cur",
        "end_open",
        "is_closed",
        "keep",
        "n_opp",
        "o_acc",
        "o_rep",
        "product",
        "reps",
        "rng",
        "stage_now",
        "stage_reached_idx",
        "won",
    )
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
                is_closed, None, forecast_call(stage_reached_idx, won, u_call)
            ),
        )
    )[keep]
    s.put(
        amount_first=amount_first,
        opp_ids=opp_ids,
        opportunities=opportunities,
        rescope_time=rescope_time,
        rescoped=rescoped,
        u_call=u_call,
    )


def stage_history(s: Draws) -> None:
    """The stage_history table: every stage entered before the end (skipped qualifications left
    out).
    """
    close_time, enter, entered_before, is_closed, keep, last_stage, opp_ids, skip_q, won = s.take(
        "close_time",
        "enter",
        "entered_before",
        "is_closed",
        "keep",
        "last_stage",
        "opp_ids",
        "skip_q",
        "won",
    )
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
    s.put(stage_history=stage_history)


def snapshots(s: Draws) -> None:
    """The opportunity_snapshots table: each open deal's stage, amount and expected close every
    Monday.
    """
    (
        amount,
        amount_first,
        as_of,
        created,
        e_first,
        end_open,
        enter,
        ev_time,
        ev_value,
        keep,
        last_stage,
        months,
        n_opp,
        opp_ids,
        rescope_time,
        rescoped,
        u_call,
        won,
    ) = s.take(
        "amount",
        "amount_first",
        "as_of",
        "created",
        "e_first",
        "end_open",
        "enter",
        "ev_time",
        "ev_value",
        "keep",
        "last_stage",
        "months",
        "n_opp",
        "opp_ids",
        "rescope_time",
        "rescoped",
        "u_call",
        "won",
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
            forecast_category=forecast_call(s_stage, won[s_opp], u_call[s_opp]),
        )
    ).sort_values(["snapshot_date", "opportunity_id"], ignore_index=True)
    s.put(opportunity_snapshots=opportunity_snapshots)
