"""The funnel computed in pandas from the pandas cut, deal by deal: the reference `analysis.funnel`
(summed in DuckDB) is checked against (`tests/test_funnel_sums.py`)."""

import pandas as pd

from funnel_pandas.conversion import (
    cohort_conversion,
    flow_conversion,
    flow_transitions,
    furthest_stage,
    rep_win_rate_test,
    step_conversion,
    win_rates,
)
from funnel_pandas.inputs import FunnelData, prepare
from funnel_pandas.leads import lead_funnel, lead_score_deciles
from funnel_pandas.movement import pipeline_health, slippage, waterfall
from funnel_pandas.timing import cycle_lengths, time_in_stage, time_to_close, time_to_convert

__all__ = [
    "outputs",
    "assert_same",
    "FunnelData",
    "prepare",
    "furthest_stage",
    "cohort_conversion",
    "step_conversion",
    "flow_transitions",
    "flow_conversion",
    "win_rates",
    "rep_win_rate_test",
    "time_in_stage",
    "cycle_lengths",
    "time_to_close",
    "time_to_convert",
    "waterfall",
    "slippage",
    "lead_funnel",
    "lead_score_deciles",
    "pipeline_health",
]


def outputs(m, fd) -> dict:
    """Every figure of the funnel `fd`, by the module `m` (`analysis.funnel`, or the pandas
    reference `funnel_pandas`); the cycle lengths counted as `analysis.funnel` counts them."""
    cycles = m.cycle_lengths(fd)
    if "deals" not in cycles:  # the reference's, a row a deal
        cycles = (
            cycles.groupby(["outcome", "days"], as_index=False, dropna=False)
            .size()
            .rename(columns={"size": "deals"})
            .sort_values(["outcome", "days"], ascending=[False, True], ignore_index=True)
        )
    return {
        "waterfall": pd.Series(m.waterfall(fd)),
        "steps": m.step_conversion(fd),
        "flow": m.flow_conversion(fd),
        "cohorts": m.cohort_conversion(fd),
        "stage_reached": m.win_rates(fd, "stage_reached"),
        "rep": m.win_rates(fd, "rep"),
        "time_in_stage": m.time_in_stage(fd),
        "slippage": m.slippage(fd),
        "leads": m.lead_funnel(fd),
        "lead_source": m.win_rates(fd, "lead_source"),
        "product": m.win_rates(fd, "product"),
        "deal_type": m.win_rates(fd, "deal_type"),
        "transitions": m.flow_transitions(fd),
        "cycles": cycles,
        "time_to_close": m.time_to_close(fd),
        "time_to_convert": m.time_to_convert(fd),
        "deciles": m.lead_score_deciles(fd),
        "rep_test": m.rep_win_rate_test(fd, permutations=200),
        "furthest": m.furthest_stage(fd).sort_index(),
    }


def assert_same(mine: dict, reference: dict, where: str) -> None:
    """Each figure of `mine` equals the reference's (`outputs`), values and types (an empty
    frame: its columns)."""
    assert mine.keys() == reference.keys()
    for key, value in mine.items():
        if isinstance(value, pd.Series):
            pd.testing.assert_series_equal(value, reference[key], obj=f"{where} {key}")
        else:
            # no rows: the columns agree (an empty group has no type to agree on)
            empty = value.empty and reference[key].empty
            pd.testing.assert_frame_equal(
                value, reference[key], obj=f"{where} {key}", check_dtype=not empty
            )
