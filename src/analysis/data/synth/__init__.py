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
  pass while the deal is open; a third of deals change amount once (where a weekly snapshot records
  it before the deal closes, so every closing amount was seen in the pipeline). Weekly snapshots (Mondays)
  record each open deal's stage, amount and expected close date.
- A few lost deals (`reopen_prob`) are reopened 1-6 weeks later at the stage they were lost from
  and close again (won with `reopen_win_prob`) or are still open at the end: the stage history
  shows the loss, the return and the second close, and the snapshots both open periods.
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

from analysis.data.synth.catalogue import TEAM_CATALOGUE
from analysis.data.synth.config import SynthConfig, config_digest
from analysis.data.synth.sample import generate, write_sample
from analysis.data.synth.scaled import scaled_configs, write_scaled

__all__ = [
    "SynthConfig",
    "generate",
    "write_sample",
    "write_scaled",
    "scaled_configs",
    "config_digest",
    "TEAM_CATALOGUE",
]
