"""Leads: those that became deals and those that never converted."""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis.data.synth.catalogue import (
    LEAD_SOURCES,
)
from analysis.data.synth.common import (
    Draws,
    book_account,
    uniform_in_month,
)

__all__ = ["leads"]


def leads(s: Draws) -> None:
    """The leads table: 60% of deals come from a lead, plus leads that never convert, per source at
    its configured rate; fills opportunities.lead_id.
    """
    # leads: 60% of deals come from a lead; plus leads that never convert -----------------------
    s.src_names = list(LEAD_SOURCES)
    src_share = np.array([LEAD_SOURCES[name][0] for name in s.src_names])
    src_conv = np.array([LEAD_SOURCES[name][1] for name in s.src_names])
    opp_keep_idx = np.flatnonzero(s.keep)
    from_lead = opp_keep_idx[s.rng.random(len(opp_keep_idx)) < 0.6]
    conv_src_p = src_share * src_conv / (src_share * src_conv).sum()
    conv_src = s.rng.choice(len(s.src_names), len(from_lead), p=conv_src_p)
    lag = (s.rng.gamma(2.0, 6.0, len(from_lead)) * 86400).astype("timedelta64[s]")
    conv_at = s.created.astype("datetime64[s]")[from_lead]
    lead_created = conv_at - lag
    qual_at = lead_created + (
        (conv_at - lead_created) * s.rng.uniform(0.2, 0.8, len(from_lead))
    ).astype("timedelta64[s]")
    # non-converting leads: per source, enough that each source converts at its configured rate
    n_conv_src = np.bincount(conv_src, minlength=len(s.src_names))
    n_nonconv_src = s.rng.poisson(n_conv_src * (1 - src_conv) / src_conv)
    nc_src = np.repeat(np.arange(len(s.src_names)), n_nonconv_src)
    n_nc = len(nc_src)
    nc_seatmonth = s.rng.integers(0, len(s.seat_idx), n_nc)
    nc_created = uniform_in_month(s.rng, s.months, s.month_idx[nc_seatmonth]).astype(
        "datetime64[s]"
    )
    nc_qual = np.where(
        s.rng.random(n_nc) < 0.3,
        nc_created + (s.rng.gamma(2.0, 4.0, n_nc) * 86400).astype("timedelta64[s]"),
        np.datetime64("NaT"),
    )
    nc_qual = np.where(nc_qual < np.datetime64(s.as_of_end, "s"), nc_qual, np.datetime64("NaT"))
    n_leads = len(from_lead) + n_nc
    lead_ids = np.array([f"{s.cfg.id_prefix}L{i:06d}" for i in range(n_leads)])
    score_conv = np.clip(s.rng.beta(5, 3, len(from_lead)) * 100, 0, 100).round(0)
    score_nc = np.clip(s.rng.beta(3, 4, n_nc) * 100, 0, 100).round(0)
    s.leads = pd.DataFrame(
        dict(
            lead_id=lead_ids,
            created_at=np.concatenate([lead_created, nc_created]),
            source=np.array(s.src_names)[np.concatenate([conv_src, nc_src])],
            rep_id=np.concatenate(
                [
                    s.reps["rep_id"].to_numpy()[s.o_rep[from_lead]],
                    s.reps["rep_id"].to_numpy()[s.rep_of[nc_seatmonth]],
                ]
            ),
            account_id=np.concatenate(
                [
                    s.accounts["account_id"].to_numpy()[s.o_acc[from_lead]],
                    np.where(
                        s.rng.random(n_nc) < 0.5,
                        s.accounts["account_id"].to_numpy()[
                            book_account(
                                s.rng,
                                s.seat_idx[nc_seatmonth],
                                nc_created,
                                s.acc_created_arr,
                                s.acc_per_seat,
                            )
                        ],
                        None,
                    ),
                ]
            ),
            lead_score=np.concatenate([score_conv, score_nc]),
            qualified_at=np.concatenate([qual_at, nc_qual]),
            converted_opportunity_id=np.concatenate([s.opp_ids[from_lead], np.full(n_nc, None)]),
            converted_at=np.concatenate(
                [conv_at, np.full(n_nc, np.datetime64("NaT"), dtype="datetime64[s]")]
            ),
        )
    ).sort_values("created_at", kind="stable", ignore_index=True)
    s.leads["lead_id"] = lead_ids  # ids in creation order
    lead_of_opp = dict(
        zip(
            s.leads["converted_opportunity_id"].dropna(),
            s.leads.loc[s.leads["converted_opportunity_id"].notna(), "lead_id"],
            strict=True,
        )
    )
    s.opportunities["lead_id"] = s.opportunities["opportunity_id"].map(lead_of_opp)
