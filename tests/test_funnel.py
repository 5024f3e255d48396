"""Funnel analysis on the hand-written tests/fixtures/funnel dataset (month under test: March 2026).

Deals (rep; created; stage history; amount now):
  p1 r1 02-02: prospecting, qualification 02-10, proposal 02-20, negotiation 03-05, won 03-20; 100
  p2 r1 02-05: prospecting, proposal 02-12 (qualification skipped), lost 03-10; 50
  p3 r2 02-07: prospecting, lost 02-20; 30
  p4 r2 03-03: prospecting, qualification 03-15; open; 40
  p5 r1 01-10: prospecting, qualification 01-20, lost 02-05, proposal 03-02 (reopened); open; 60
  p6 r2 03-10: prospecting, won 03-25 (straight from prospecting); 20
All at 09:00. Furthest stage (skips count as passed): p1 4, p2 2, p3 0, p4 1, p5 2, p6 4.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analysis import funnel as f
from analysis.data.dataset import load_dataset
from analysis.data.synth import SynthConfig, write_sample
from analysis.metrics.kpis import kpis_for
from conftest import FIXTURES, SMALL_CONFIG

MARCH = pd.Period("2026-03", "M")
FUNNEL = FIXTURES / "funnel"


@pytest.fixture(scope="module")
def fd():
    return f.prepare(load_dataset(FUNNEL), MARCH)


@pytest.fixture(scope="module")
def fd_snap(tmp_path_factory):
    path = tmp_path_factory.mktemp("funnel") / "data"
    shutil.copytree(FUNNEL, path)
    (path / "snapshots.csv.txt").rename(path / "opportunity_snapshots.csv")
    return f.prepare(load_dataset(path), MARCH)


def _rows(frame, key):
    return frame.set_index(key)


def test_cohort_conversion_counts_skips_as_passed(fd):
    c = f.cohort_conversion(fd)
    feb = _rows(c[c["cohort"].eq(pd.Period("2026-02", "M"))], "stage")
    # February cohort: p1, p2, p3; p2 skipped qualification and counts as having reached it
    assert feb["created"].tolist() == [3] * 5
    assert feb["reached"].tolist() == [3, 2, 2, 1, 1]
    assert feb.loc["qualification", "rate"] == pytest.approx(2 / 3)
    assert (feb["age_months"] == 1).all() and (feb["still_open"] == 0).all()
    mar = _rows(c[c["cohort"].eq(MARCH)], "stage")
    # March cohort: p4 (open at qualification), p6 (won straight from prospecting)
    assert mar["reached"].tolist() == [2, 2, 1, 1, 1]
    assert mar["still_open"].iloc[0] == pytest.approx(0.5) and (mar["age_months"] == 0).all()


def test_step_conversion(fd):
    s = _rows(f.step_conversion(fd), "from_stage")
    # step 0: all 6 reached; passed p1 p2 p4 p5 p6; resolved all (p3 lost at prospecting)
    assert (s.loc["prospecting", "passed"], s.loc["prospecting", "resolved"]) == (5, 6)
    # step 1: reached 5; passed p1 p2 p5 p6; p4 still open at qualification -> not resolved
    assert (s.loc["qualification", "passed"], s.loc["qualification", "resolved"]) == (4, 4)
    # step 2: reached p1 p2 p5 p6; passed p1 p6; p2 lost at proposal; p5 open (reopened)
    assert (s.loc["proposal", "passed"], s.loc["proposal", "resolved"]) == (2, 3)
    assert s.loc["proposal", "rate"] == pytest.approx(2 / 3)
    assert (s.loc["negotiation", "passed"], s.loc["negotiation", "resolved"]) == (2, 2)


def test_a_past_month_reads_each_deal_as_known_then():
    # at the end of February p5 was lost (02-05; reopened only on 03-02) and p1 and p2 were open
    # at proposal: qualification -> proposal is p1 and p2 (p2 skipped) passed, p5 lost there: 2/3
    feb = f.prepare(load_dataset(FUNNEL), pd.Period("2026-02", "M"))
    opps = feb.opps.set_index("opportunity_id")
    assert opps.loc["p5", "stage"] == "closed_lost" and opps.loc["p1", "stage"] == "proposal"
    s = _rows(f.step_conversion(feb), "from_stage")
    assert (s.loc["qualification", "passed"], s.loc["qualification", "resolved"]) == (2, 3)


def test_flow_transitions_in_the_month(fd):
    t = f.flow_transitions(fd)
    got = {(r.from_stage, r.to_stage, r.kind): r.n for r in t.itertuples()}
    assert got == {
        ("proposal", "negotiation", "forward"): 1,  # p1 03-05
        ("negotiation", "closed_won", "won"): 1,  # p1 03-20
        ("proposal", "closed_lost", "lost"): 1,  # p2 03-10
        ("prospecting", "qualification", "forward"): 1,  # p4 03-15
        ("closed_lost", "proposal", "reopened"): 1,  # p5 03-02
        ("prospecting", "closed_won", "won"): 1,  # p6 03-25
    }
    conv = _rows(f.flow_conversion(fd), "stage")
    assert conv.loc["prospecting", "rate"] == 1.0 and conv.loc["proposal", "rate"] == 0.5
    assert conv.loc["qualification", "exits"] == 0 and np.isnan(conv.loc["qualification", "rate"])


def test_waterfall_without_snapshots(fd):
    w = f.waterfall(fd)
    # start of March: p1 100, p2 50 (p5 was lost on 02-05) | created p4 40, p6 20 | reopened p5
    # 60 (03-02) | won p1 100 + p6 20 | lost p2 50 | end: p4 40, p5 60
    got = [w[k] for k in ("open_start", "created", "reopened", "won", "lost", "open_end")]
    assert got == [150, 60, 60, 120, 50, 100]
    assert (w["n_reopened"], w["unexplained"], w["n_unexplained"]) == (1, 0, 0)
    assert w["increased"] is None and w["slipped"] is None and not w["has_snapshots"]
    assert w["open_end"] == kpis_for(fd.ds, MARCH, team="north")["open_pipeline_amount"]


def test_waterfall_with_snapshots(fd_snap):
    w = f.waterfall(fd_snap)
    # start = last snapshot before 03-01: p1 80, p2 50 (p5 lost on 02-05)
    assert w["open_start"] == 130
    assert w["created"] == 65  # first snapshots: p4 45 (03-09), p6 20 (03-16)
    assert w["reopened"] == 60  # p5, first snapshot after reopening on 03-02: 03-09, 60
    # recorded in March: p1 80 -> 100 (03-09, +20); p4 45 -> 40 (03-16, -5)
    assert (w["increased"], w["decreased"]) == (20, 5)
    assert (w["won"], w["lost"], w["open_end"]) == (120, 50, 100)
    assert w["open_end"] == 130 + 65 + 60 + 20 - 5 - 120 - 50 and w["unexplained"] == 0
    # p4 was due in March when created (03-30) and is open at the end due 04-20: slipped 40
    assert (w["slipped"], w["n_slipped"]) == (40, 1)
    # p6 was due in April when created and was won in March: pulled in 20
    assert (w["pulled_in"], w["n_pulled_in"]) == (20, 1)
    assert w["open_end"] == kpis_for(fd_snap.ds, MARCH, team="north")["open_pipeline_amount"]


def _snap_funnel(tmp_path, change=None):
    """The fixture with its snapshots, its deals changed by `change` (a function of the
    opportunities frame), prepared for March."""
    path = tmp_path / "data"
    shutil.copytree(FUNNEL, path)
    (path / "snapshots.csv.txt").rename(path / "opportunity_snapshots.csv")
    if change is not None:
        opps = pd.read_csv(path / "opportunities.csv", dtype=str, keep_default_na=False)
        change(opps).to_csv(path / "opportunities.csv", index=False)
    return f.prepare(load_dataset(path), MARCH)


def test_waterfall_shows_what_the_records_do_not_explain(tmp_path):
    # every closed deal's amount x 10: the closing amounts disagree with what the snapshots
    # recorded while the deals were open (p1 100 -> 1000, p6 20 -> 200, p2 50 -> 500), so the
    # terms no longer meet: won 1200, lost 500, unexplained = 900 + 180 + 450
    def tenfold(o):
        closed = o["closed_at"].ne("")
        return o.assign(
            amount=o["amount"].where(~closed, (o["amount"].astype(float) * 10).astype(str))
        )

    w = f.waterfall(_snap_funnel(tmp_path / "a", tenfold))
    assert (w["won"], w["lost"]) == (1200, 500)
    assert w["unexplained"] == 1530 and w["n_unexplained"] == 3
    # a deal in the pipeline at the start that left the team's deals without a closing (moved
    # to another team's rep during the month): lost 0, and its 50 unexplained
    fd = _snap_funnel(tmp_path / "b")
    fd.tables.con.execute("DELETE FROM f_deals WHERE opportunity_id = 'p2'")
    gone = f.waterfall(fd)
    assert gone["lost"] == 0 and gone["unexplained"] == -50 and gone["n_unexplained"] == 1


def test_slippage_per_rep(fd_snap):
    s = _rows(f.slippage(fd_snap), "rep_id")
    # r1: p1 pushed 03-15 -> 03-31 (16 days), p2 03-05 -> 03-25 (20 days); p5 never; 3 deals seen
    assert (s.loc["r1", "open_deals"], s.loc["r1", "deals_pushed"], s.loc["r1", "pushes"]) == (
        3,
        2,
        2,
    )
    assert s.loc["r1", "avg_push_days"] == 18 and s.loc["r1", "push_rate"] == pytest.approx(2 / 3)
    # r2: p4 pushed 03-30 -> 04-20 (21 days); p3, p6 not
    assert (
        s.loc["r2", "open_deals"],
        s.loc["r2", "deals_pushed"],
        s.loc["r2", "avg_push_days"],
    ) == (3, 1, 21)
    assert f.slippage(f.prepare(load_dataset(FUNNEL), MARCH)).empty  # needs snapshots


def test_win_rates(fd):
    by_stage = _rows(f.win_rates(fd, "stage_reached"), "group")
    # closed in the window: p1 won (reached 4), p2 lost (2), p3 lost (0), p6 won (4); p5 reopened
    assert (by_stage.loc["prospecting", "won"], by_stage.loc["prospecting", "closed"]) == (2, 4)
    assert (by_stage.loc["qualification", "won"], by_stage.loc["qualification", "closed"]) == (2, 3)
    assert by_stage.loc["negotiation", "rate"] == 1.0
    by_rep = _rows(f.win_rates(fd, "rep"), "group")
    assert by_rep.loc["r1", "rate"] == 0.5 and by_rep.loc["r2", "rate"] == 0.5
    by_source = _rows(f.win_rates(fd, "lead_source"), "group")
    assert by_source.loc["referral", "won"] == 1 and by_source.loc["(no lead)", "closed"] == 3
    with pytest.raises(ValueError, match="by: 'region'"):
        f.win_rates(fd, "region")


def test_time_in_stage_and_cycles(fd):
    t = _rows(f.time_in_stage(fd), "stage")
    # prospecting stays: 8 (p1), 7 (p2), 13 (p3), 12 (p4), 10 (p5), 15 (p6)
    assert t.loc["prospecting", "n"] == 6 and t.loc["prospecting", "median_days"] == 11.0
    assert t.loc["prospecting", "p80_days"] == pytest.approx(13.0)
    assert t.loc["proposal", "median_days"] == pytest.approx((13 + 26) / 2)  # p1, p2
    # closed in the window: p1 won after 46 days, p6 won after 15, p2 lost after 33, p3 after 13
    cycles = f.cycle_lengths(fd)
    assert list(cycles.itertuples(index=False, name=None)) == [
        ("won", 15.0, 1),
        ("won", 46.0, 1),
        ("lost", 13.0, 1),
        ("lost", 33.0, 1),
    ]


def test_the_cycle_chart_weighs_each_length_by_its_deals():
    """The cycle lengths come counted (`cycle_lengths`: a length and how many deals had it); the
    chart's bars and medians are those of the deals: 3 deals of 10 days and 1 of 20 are a
    median of 10 and a density of 3/4 in the bin of 10."""
    from analysis.funnel.estimators import weighted_median
    from analysis.reports.plots import plot_cycle_lengths

    counted = pd.DataFrame({"outcome": ["won", "won"], "days": [10.0, 20.0], "deals": [3, 1]})
    one_each = pd.DataFrame({"outcome": ["won"] * 4, "days": [10.0, 10.0, 10.0, 20.0]})
    heights = []
    for cycles in (counted, one_each):
        ax = plot_cycle_lengths(cycles, lang="en").axes[0]
        heights.append(sorted(round(p.get_height() * 7, 6) for p in ax.patches))
        assert "n=4" in ax.get_legend().get_texts()[0].get_text()
        assert "10" in ax.get_legend().get_texts()[0].get_text()
    assert heights[0] == heights[1] == [0.25, 0.75]  # bins [7, 14) and [14, 21)
    assert weighted_median([10.0, 20.0], [3, 1]) == 10.0
    assert weighted_median([10.0, 20.0], [2, 2]) == 15.0
    assert weighted_median([3.0, 1.0, 2.0], [1, 1, 1]) == 2.0
    assert np.isnan(weighted_median([], []))


def test_kaplan_meier_keeps_open_deals_as_censored(fd):
    km = f.time_to_close(fd)
    # events 13, 15, 33, 46; censored p4 at 28.625 days and p5 at 80.625 days (end of March)
    assert km["t"].tolist() == [0, 13, 15, 28.625, 33, 46, 80.625]
    expected = [
        1,
        5 / 6,
        5 / 6 * 4 / 5,
        5 / 6 * 4 / 5,
        5 / 6 * 4 / 5 * 2 / 3,
        5 / 6 * 4 / 5 * 2 / 3 * 1 / 2,
        5 / 6 * 4 / 5 * 2 / 3 * 1 / 2,
    ]
    assert km["survival"].to_numpy() == pytest.approx(expected)
    assert km["at_risk"].tolist() == [6, 6, 5, 4, 3, 2, 1]


def test_kaplan_meier_counts_ties_and_many_deals_in_one_pass():
    """Ties of events and censorings are counted at their time, and a company's worth of deals
    (durations in seconds, so about one distinct time per deal) takes moments: the per-time loop
    this replaced was quadratic, and the 300-team company's survival chart (1.8M deals) ran for
    over five minutes before it was stopped."""
    from analysis.funnel import kaplan_meier

    km = kaplan_meier([2, 1, 3, 1, 2], [1, 1, 0, 0, 1])
    assert km["t"].tolist() == [0, 1, 2, 3]
    assert km["events"].tolist() == [0, 1, 2, 0] and km["censored"].tolist() == [0, 1, 0, 1]
    assert km["at_risk"].tolist() == [5, 5, 3, 1]
    assert km["survival"].to_numpy() == pytest.approx([1, 4 / 5, 4 / 5 / 3, 4 / 5 / 3])
    n = 300_000
    durations = np.random.default_rng(1).permutation(n) / 7.0 + 0.5  # distinct, positive
    start = time.perf_counter()
    km = kaplan_meier(durations, np.ones(n, dtype=bool))
    assert time.perf_counter() - start < 5
    # all distinct, all events: after the i-th event, S = (n - i) / n
    assert np.allclose(km["survival"].to_numpy()[1:], (n - np.arange(1, n + 1)) / n)
    assert km["at_risk"].tolist()[:3] == [n, n, n - 1]


def test_lead_funnel_and_deciles(fd):
    lf = _rows(f.lead_funnel(fd), "step")
    assert lf["n"].tolist() == [3, 2, 1]
    assert lf.loc["qualified", "median_days"] == pytest.approx(1.25)  # 0.5 (l1) and 2.0 (l3)
    assert lf.loc["converted", "median_days"] == 1.0
    assert f.lead_score_deciles(fd).empty  # fewer than 10 scored leads: no deciles
    ttc = f.time_to_convert(fd)
    assert ttc["events"].sum() == 1 and ttc["censored"].sum() == 2


def test_rep_test_uses_fisher_for_small_tables(fd):
    row = f.rep_win_rate_test(fd).iloc[0]
    # 2 reps, 1 won and 1 lost each: every expected count is 1 -> Fisher's exact, p = 1
    assert row["test"] == "Fisher's exact" and row["p"] == pytest.approx(1.0) and row["n"] == 4


def test_wilson_reference_values():
    # Newcombe (1998), Statistics in Medicine 17:857-872, Table I: 81/263 -> Wilson 0.2553 to 0.3662
    low, high = f.wilson_interval([81], [263])
    assert (round(low[0], 4), round(high[0], 4)) == (0.2553, 0.3662)
    low, high = f.wilson_interval([0], [0])
    assert np.isnan(low[0]) and np.isnan(high[0])


def test_wilson_interval_is_scipys_for_every_count_at_once():
    """`wilson_interval` computes all (k, n) in one pass (the company's reps, one scipy call
    each, took 4.9 s); each interval equals scipy's `binomtest(k, n).proportion_ci` to the last
    bit, including k = 0, k = n and n = 1, at 95% and 80%."""
    from scipy import stats

    pairs = [(k, n) for n in (1, 2, 3, 7, 20, 263, 5000) for k in sorted({0, 1, n // 3, n - 1, n})]
    k, n = (np.array(v) for v in zip(*pairs, strict=True))
    for confidence in (0.95, 0.8):
        low, high = f.wilson_interval(k, n, confidence)
        for i, (ki, ni) in enumerate(pairs):
            ci = stats.binomtest(int(ki), int(ni)).proportion_ci(confidence, method="wilson")
            assert (low[i], high[i]) == (ci.low, ci.high), (ki, ni, confidence)


def test_wilson_interval_covers_at_its_nominal_rate():
    rng = np.random.default_rng(7)
    p, n, sims = 0.3, 40, 2000
    k = rng.binomial(n, p, sims)
    low, high = f.wilson_interval(k, np.full(sims, n))
    coverage = np.mean((low <= p) & (p <= high))
    assert 0.93 <= coverage <= 0.97, coverage


@pytest.fixture(scope="module")
def small(small_dataset):
    return load_dataset(small_dataset)


MONTHS = list(
    pd.period_range(pd.Period(SMALL_CONFIG.end_month, "M") - 11, SMALL_CONFIG.end_month, freq="M")
)


@settings(
    max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(month=st.sampled_from(MONTHS), team=st.sampled_from([None, "bangkok", "chiang-mai"]))
def test_waterfall_explains_every_unit_on_the_sample_and_matches_the_kpi(small, month, team):
    w = f.waterfall(f.prepare(small, month, team))
    assert abs(w["unexplained"]) < 0.5 and w["n_unexplained"] == 0  # to the currency unit
    kpi = kpis_for(small, month, team=team)["open_pipeline_amount"]
    assert w["open_end"] == pytest.approx(kpi)
    assert w["open_start"] == pytest.approx(
        kpis_for(small, month - 1, team=team)["open_pipeline_amount"]
    )


def test_sample_recovers_the_configured_stage_probabilities(tmp_path):
    """On the default sample, each step's cohort conversion interval contains the configured
    probability (the closing step also depends on rep ability and training, so it is checked
    against the rate implied by the manifest instead)."""
    cfg = SynthConfig()
    path = write_sample(tmp_path / "sample", cfg)
    ds = load_dataset(path)
    truth = json.loads((path / "manifest.json").read_text())["truth"]
    # some lost deals are reopened and won later, passing the steps they had failed
    probs = truth["stage_conversion_with_reopened"]
    assert probs["qualification->proposal"] > cfg.stage_probs["qualification->proposal"]
    fd = f.prepare(ds, pd.Period(cfg.end_month, "M"), months=cfg.months)
    steps = f.step_conversion(fd, cohorts=cfg.months)
    for row, (name, p) in zip(steps.itertuples(), list(probs.items())[:3], strict=False):
        assert row.step == name.replace("->", " -> ")
        assert row.ci_low <= p <= row.ci_high, (name, p, row.rate, row.ci_low, row.ci_high)
    closing = steps.iloc[3]
    assert closing.rate > cfg.stage_probs["negotiation->closed_won"]  # training lifts it


def test_cli_funnel_json():
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "funnel",
            "--data",
            str(FUNNEL),
            "--month",
            "2026-03",
            "--team",
            "north",
            "--json",
        ],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    w = out["waterfall"]
    terms = ("open_start", "created", "reopened", "won", "lost", "open_end", "unexplained")
    assert [w[k] for k in terms] == [150, 60, 60, 120, 50, 100, 0]
    assert w["increased"] is None  # no snapshots in this fixture
    rows = {r["from_stage"]: r for r in out["step_conversion"]}
    assert (
        rows["proposal"]["rate"] == pytest.approx(2 / 3) and 0 < rows["proposal"]["ci_low"] < 2 / 3
    )
    assert {r["group"] for r in out["win_rates"]["rep"]} == {"r1", "r2"}
    assert out["rep_win_rate_test"]["test"] == "Fisher's exact"
    assert "NaN" not in proc.stdout


def test_cycle_chart_has_weekly_bins_even_for_a_few_close_deals():
    """Three deals closed within two days of creation: one weekly bin, not seaborn's zero."""
    from analysis.reports.plots import plot_cycle_lengths

    cycles = pd.DataFrame({"outcome": ["won", "won", "lost"], "days": [0.0, 1.5, 2.0]})
    fig = plot_cycle_lengths(cycles, lang="th")
    edges = sorted({round(p.get_x(), 6) for p in fig.axes[0].patches})
    assert edges == [0.0]  # both outcomes share the bin [0, 7)
    widths = {round(p.get_width(), 6) for p in fig.axes[0].patches}
    assert widths == {7.0}


def test_waterfall_of_a_team_without_deals_is_all_zero(tmp_path):
    """A new team (one rep hired this month, no deal yet) failed with "Cannot cast
    DatetimeArray to dtype float64" when the waterfall matched snapshots to no deal."""
    path = tmp_path / "data"
    shutil.copytree(FUNNEL, path)
    (path / "snapshots.csv.txt").rename(path / "opportunity_snapshots.csv")
    with open(path / "teams.csv", "a", encoding="utf-8") as out:
        out.write("east,East,Nok,East\n")
    with open(path / "reps.csv", "a", encoding="utf-8") as out:
        out.write("r9,Nid,east,2026-03-02,Rayong,\n")
    fd = f.prepare(load_dataset(path), MARCH, "east")
    assert not fd.has_deals and not fd.has_history
    w = f.waterfall(fd)
    assert [w[k] for k in ("open_start", "created", "won", "lost", "open_end")] == [0] * 5
    assert w["unexplained"] == 0 and w["n_unexplained"] == 0
    assert f.slippage(fd).empty and f.flow_transitions(fd).empty
    assert f.cycle_lengths(fd).empty and f.time_to_close(fd)["survival"].tolist() == [1.0]


def test_the_funnel_shows_only_the_stages_the_data_uses(tmp_path):
    """Issue 20: an export with fewer stages maps several of its own to one contract stage and
    leaves others unused; the funnel then showed every unused stage, with every won deal as
    having passed it. Here no deal was ever in negotiation (p1's negotiation step is gone):
    the funnel has prospecting, qualification, proposal and won."""
    path = tmp_path / "data"
    shutil.copytree(FUNNEL, path)
    history = pd.read_csv(path / "stage_history.csv")
    history[history["stage"].ne("negotiation")].to_csv(path / "stage_history.csv", index=False)
    fd = f.prepare(load_dataset(path), MARCH)
    assert fd.stages == ("prospecting", "qualification", "proposal")
    c = f.cohort_conversion(fd)
    feb = _rows(c[c["cohort"].eq(pd.Period("2026-02", "M"))], "stage")
    # February cohort by hand: p1 won (passed all), p2 reached proposal, p3 lost at prospecting
    assert list(feb.index) == ["prospecting", "qualification", "proposal", "closed_won"]
    assert feb["reached"].tolist() == [3, 2, 2, 1]
    s = _rows(f.step_conversion(fd), "from_stage")
    assert list(s["to_stage"]) == ["qualification", "proposal", "closed_won"]
    # proposal -> won: reached p1 p2 p5 p6; passed p1 p6; p2 lost there; p5 open (reopened)
    assert (s.loc["proposal", "passed"], s.loc["proposal", "resolved"]) == (2, 3)
    assert list(f.time_in_stage(fd)["stage"]) == ["prospecting", "qualification", "proposal"]
    assert list(f.flow_conversion(fd)["stage"]) == ["prospecting", "qualification", "proposal"]
    groups = f.win_rates(fd, "stage_reached")["group"].tolist()
    assert groups == ["prospecting", "qualification", "proposal"]


def _shape(name: str, root) -> object:
    """A dataset of one shape the funnel meets: the path of its folder."""
    from conftest import HOSTILE, write_sparse_export

    path = root / name
    if name == "hostile":
        return HOSTILE.build(path)[0]
    if name == "sparse":
        return write_sparse_export(path)
    if name == "tiny":
        return FIXTURES / "tiny"
    if name == "undated":  # an export that leaves some deals' creation dates out
        data = write_sample(path, SynthConfig(n_teams=2, reps_per_team=3, months=14, scale=0.4))
        opps = pd.read_csv(data / "opportunities.csv", dtype=str, keep_default_na=False)
        opps.loc[opps.index % 7 == 3, "created_at"] = ""
        opps.to_csv(data / "opportunities.csv", index=False)
        return data
    shutil.copytree(FUNNEL, path)
    if name in ("snapshots", "snapshots only"):
        (path / "snapshots.csv.txt").rename(path / "opportunity_snapshots.csv")
    if name == "snapshots only":
        (path / "stage_history.csv").unlink()
    return path


@pytest.mark.parametrize(
    "shape", ["history", "snapshots", "snapshots only", "sparse", "hostile", "tiny", "undated"]
)
def test_the_funnel_sums_in_duckdb_what_pandas_counts_deal_by_deal(shape, tmp_path):
    """Issue 21: the funnel is summed in DuckDB (`funnel.inputs.FunnelTables`), for a team and
    for the company alike. On every shape of data it meets (stage history or not, snapshots or
    not, leads or not, deals without a creation date, names with markup, a team that lost
    everything, a new team), each figure equals the one the pandas reference computes deal by
    deal from the pandas cut (`tests/funnel_pandas`, the funnel as it was computed before), for
    every team and the company, in the latest month and four months earlier."""
    import funnel_pandas

    ds = load_dataset(_shape(shape, tmp_path))
    last = ds.latest_complete_month
    for month in (last,) if shape == "hostile" else (last, last - 4):
        for team in [None, *ds["teams"]["team_id"]]:
            mine = funnel_pandas.outputs(f, f.prepare(ds, month, team))
            reference = funnel_pandas.outputs(funnel_pandas, funnel_pandas.prepare(ds, month, team))
            funnel_pandas.assert_same(mine, reference, f"{shape} {team} {month}")
