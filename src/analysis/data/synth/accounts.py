"""Accounts and what they give back: recurring revenue with churn, CSAT and tickets."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data.contract import (
    TICKET_PRIORITIES,
)
from analysis.data.synth.catalogue import (
    ACCOUNT_SECTORS,
    ACCOUNT_WORDS,
    INDUSTRIES,
    TEAM_CATALOGUE,
)
from analysis.data.synth.common import (
    Draws,
    book_account,
    uniform_in_month,
)

__all__ = ["accounts", "revenue", "csat", "tickets"]


def accounts(s: Draws) -> None:
    """Each seat's book of accounts (a fifth new during the window), owned by the seat's last rep."""
    # accounts: each seat has a book of accounts; owner = the seat's rep at the end ------------------
    s.acc_per_seat = max(3, int(round(25 * s.cfg.scale)))
    acc_seat = np.repeat(np.arange(s.n_seats), s.acc_per_seat)
    s.n_acc = len(acc_seat)
    last_rep_of_seat = np.array(
        [row[row >= 0][-1] if (row >= 0).any() else -1 for row in s.seat_month_rep]
    )
    # a seat vacant at the very end hands its accounts to its previous rep's record (still valid ids)
    acc_owner = last_rep_of_seat[acc_seat]
    acc_team = acc_seat // s.cfg.reps_per_team
    acc_created = s.start - pd.to_timedelta(s.rng.integers(30, 2000, s.n_acc), unit="D")
    # a fifth of the book is new during the window
    new_mask = s.rng.random(s.n_acc) < 0.2
    new_mask[:: s.acc_per_seat] = False  # each seat's first account predates everything
    acc_created = acc_created.where(
        ~new_mask,
        s.start
        + pd.to_timedelta(
            s.rng.integers(0, max(1, (s.as_of - s.start).days - 30), s.n_acc), unit="D"
        ),
    )
    prov_choice = []
    lat, lon = np.empty(s.n_acc), np.empty(s.n_acc)
    for i in range(s.n_acc):
        provinces = TEAM_CATALOGUE[(acc_team[i] + s.cfg.team_offset) % len(TEAM_CATALOGUE)][3]
        p = provinces[int(s.rng.integers(len(provinces)))]
        prov_choice.append(p[0])
        lat[i], lon[i] = p[1] + s.rng.normal(0, 0.08), p[2] + s.rng.normal(0, 0.08)
    s.accounts = pd.DataFrame(
        dict(
            account_id=[f"{s.cfg.id_prefix}A{i:05d}" for i in range(s.n_acc)],
            account_name=[
                f"บริษัท {ACCOUNT_WORDS[i % len(ACCOUNT_WORDS)]}"
                f"{ACCOUNT_SECTORS[(i // len(ACCOUNT_WORDS)) % len(ACCOUNT_SECTORS)]} จำกัด"
                for i in range(s.n_acc)
            ],
            industry=s.rng.choice(INDUSTRIES, s.n_acc),
            province=prov_choice,
            latitude=lat.round(5),
            longitude=lon.round(5),
            owner_rep_id=s.reps["rep_id"].to_numpy()[acc_owner],
            created_date=acc_created.normalize(),
        )
    )
    s.acc_created_arr = s.accounts["created_date"].to_numpy()


def revenue(s: Draws) -> None:
    """The revenue table: each won deal bills amount/12 a month from the next month until its
    account churns.
    """
    # recurring revenue: each won deal adds amount/12 a month from the next month until churn ------
    won_m = s.keep & s.is_closed & s.won
    w_acc = s.o_acc[won_m]
    w_start = (pd.DatetimeIndex(s.close_time[won_m]).to_period("M") - s.months[0]).map(
        lambda d: d.n
    ).to_numpy() + 1
    acc_churn_after = s.rng.geometric(
        s.cfg.account_churn_monthly, s.n_acc
    )  # months of life after first revenue
    w_start = np.maximum(w_start, 0)  # deals won in the burn-in bill from the first month
    first_rev = pd.Series(w_start).groupby(w_acc).min()
    churn_month = np.full(s.n_acc, 10_000)
    churn_month[first_rev.index.to_numpy()] = (
        first_rev.to_numpy() + acc_churn_after[first_rev.index.to_numpy()]
    )
    lengths = np.clip(np.minimum(churn_month[w_acc], s.n_months) - w_start, 0, None)
    r_deal = np.repeat(np.arange(len(w_acc)), lengths)
    r_month = w_start[r_deal] + (
        np.arange(len(r_deal)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    s.revenue = (
        pd.DataFrame(
            dict(
                account_id=s.accounts["account_id"].to_numpy()[w_acc[r_deal]],
                month=s.months[r_month].astype(str) if len(r_month) else [],
                product=s.product[won_m][r_deal],
                revenue=np.round(s.amount[won_m][r_deal] / 12, 2),
            )
        )
        .groupby(["account_id", "month", "product"], as_index=False, sort=True)["revenue"]
        .sum()
    )
    s.revenue["month"] = pd.PeriodIndex(s.revenue["month"], freq="M")


def csat(s: Draws) -> None:
    """The csat table: responses whose score follows the rep's ability."""
    # csat, tickets, feedback -----------------------------------------------------------------------
    c_counts = s.rng.poisson(3 * s.cfg.scale, len(s.seat_idx))
    c_sm = np.repeat(np.arange(len(s.seat_idx)), c_counts)
    c_lat = 3.9 + 0.35 * s.ability[s.rep_of[c_sm]] + s.rng.normal(0, 0.8, len(c_sm))
    c_time = uniform_in_month(s.rng, s.months, s.month_idx[c_sm]).astype("datetime64[s]")
    s.csat = pd.DataFrame(
        dict(
            response_id=[f"{s.cfg.id_prefix}C{i:06d}" for i in range(len(c_sm))],
            account_id=s.accounts["account_id"].to_numpy()[
                book_account(s.rng, s.seat_idx[c_sm], c_time, s.acc_created_arr, s.acc_per_seat)
            ],
            rep_id=s.reps["rep_id"].to_numpy()[s.rep_of[c_sm]],
            responded_at=c_time,
            score=np.clip(np.round(c_lat), 1, 5).astype(int),
        )
    )


def tickets(s: Draws) -> None:
    """The tickets table: priority sets the time to resolve; open at the end means unresolved."""
    t_counts = s.rng.poisson(4 * s.cfg.scale, len(s.seat_idx))
    t_sm = np.repeat(np.arange(len(s.seat_idx)), t_counts)
    n_t = len(t_sm)
    prio = s.rng.choice(TICKET_PRIORITIES, n_t, p=[0.35, 0.4, 0.2, 0.05])
    res_mean_h = np.select(
        [prio == "urgent", prio == "high", prio == "medium"], [8.0, 24.0, 48.0], 96.0
    )
    opened = uniform_in_month(s.rng, s.months, s.month_idx[t_sm]).astype("datetime64[s]")
    resolved = opened + (s.rng.gamma(1.5, res_mean_h / 1.5) * 3600).astype("timedelta64[s]")
    resolved = np.where(resolved < np.datetime64(s.as_of_end, "s"), resolved, np.datetime64("NaT"))
    s.tickets = pd.DataFrame(
        dict(
            ticket_id=[f"{s.cfg.id_prefix}T{i:06d}" for i in range(n_t)],
            account_id=s.accounts["account_id"].to_numpy()[
                book_account(s.rng, s.seat_idx[t_sm], opened, s.acc_created_arr, s.acc_per_seat)
            ],
            rep_id=np.where(
                s.rng.random(n_t) < 0.8, s.reps["rep_id"].to_numpy()[s.rep_of[t_sm]], None
            ),
            opened_at=opened,
            resolved_at=resolved,
            priority=prio,
            escalated=s.rng.random(n_t) < np.where(prio == "urgent", 0.35, 0.08),
            reopened=~np.isnat(resolved) & (s.rng.random(n_t) < 0.06),
        )
    )
