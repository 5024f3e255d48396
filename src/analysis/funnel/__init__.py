"""Pipeline conversion: how deals move through the funnel, for a team (or the company) and a month.

`prepare(ds, month, team)` (`inputs`) puts the scope's deals, stage history, snapshots and leads,
as known at the end of the month (the cut of `metrics.asof.as_of`, in SQL, so nothing later is
used), into DuckDB tables (`inputs.FunnelTables`); every other function sums them there and
returns a tidy frame (or a dict for the waterfall). Only those sums reach pandas, so the company's
funnel at scale (1.8 million deals in the benchmark company's trailing year) costs what a team's
does plus DuckDB's scan of the files; `tests/funnel_pandas` is the same funnel computed deal by
deal in pandas, which the tests hold it to. Rates come with a Wilson interval (ci_low, ci_high).

Two views of stage conversion, labelled as such:
- cohort: of the opportunities created in a month, the share that ever reached each later stage,
  with the cohort's age and the share still open, so an immature cohort is not misread;
- flow: the stage transitions observed in the month (from stage_history), whatever the deals' age.
Skips: a deal that reaches a later stage without a record of an earlier one (e.g. prospecting ->
proposal) counts as having passed the skipped stage in the cohort view; in the flow view the
transition is counted once, from the stage it left to the stage it entered ("skip").
Reopened deals (a closed stage followed by an open one in the history) count in the flow view as
"reopened"; in the cohort view a deal's furthest stage is what counts.

The parts: `inputs`, `estimators` (Wilson, Kaplan-Meier), `conversion`, `timing`, `movement`
(the waterfall and slippage) and `leads`.
"""

from analysis.funnel.conversion import (
    cohort_conversion,
    flow_conversion,
    flow_transitions,
    furthest_stage,
    rep_win_rate_test,
    step_conversion,
    win_rates,
)
from analysis.funnel.estimators import kaplan_meier, weighted_median, wilson_interval
from analysis.funnel.inputs import STAGE_INDEX, FunnelData, prepare
from analysis.funnel.leads import lead_funnel, lead_score_deciles
from analysis.funnel.movement import pipeline_health, slippage, waterfall
from analysis.funnel.timing import cycle_lengths, time_in_stage, time_to_close, time_to_convert

__all__ = [
    "FunnelData",
    "STAGE_INDEX",
    "prepare",
    "wilson_interval",
    "kaplan_meier",
    "weighted_median",
    "furthest_stage",
    "cohort_conversion",
    "step_conversion",
    "flow_transitions",
    "flow_conversion",
    "win_rates",
    "time_in_stage",
    "cycle_lengths",
    "time_to_close",
    "time_to_convert",
    "waterfall",
    "slippage",
    "lead_funnel",
    "lead_score_deciles",
    "rep_win_rate_test",
    "pipeline_health",
]
