"""Small inference primitives shared by the skill-effects analysis, with fixed-shape results.

`diff_in_means` and `diff_in_diff` are checked against a textbook example (Wooldridge, Example
13.3) in tests/test_inference.py; `staggered_did` is the estimator the report uses for training
effects, built on the same DiD cell formula.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import stats

__all__ = [
    "Z_POWER",
    "diff_in_means",
    "diff_in_diff",
    "did_cells",
    "staggered_did",
    "mde_from_se",
    "spearman",
]

Z_POWER = stats.norm.ppf(0.975) + stats.norm.ppf(0.80)  # 5% two-sided, 80% power


def diff_in_means(y, group) -> dict:
    """Mean of y where group is true minus where it is false; Welch t-test and its 95% interval."""
    y, g = np.asarray(y, dtype="float64"), np.asarray(group, dtype=bool)
    res = stats.ttest_ind(y[g], y[~g], equal_var=False)
    ci = res.confidence_interval(0.95)
    return {
        "estimate": float(y[g].mean() - y[~g].mean()),
        "ci_low": float(ci.low),
        "ci_high": float(ci.high),
        "p": float(res.pvalue),
        "n": int(len(y)),
    }


def did_cells(t_pre, t_post, c_pre, c_post):
    """(treated after - before) - (control after - before): the one DiD formula used here."""
    return (np.asarray(t_post) - np.asarray(t_pre)) - (np.asarray(c_post) - np.asarray(c_pre))


def diff_in_diff(y, treated, post) -> dict:
    """2 x 2 difference in differences of cell means, with the OLS interaction's robust (HC1)
    95% interval: y ~ treated + post + treated:post."""
    import statsmodels.api as sm

    y = np.asarray(y, dtype="float64")
    t, p = np.asarray(treated, dtype=bool), np.asarray(post, dtype=bool)
    means = {(a, b): y[(t == a) & (p == b)].mean() for a in (False, True) for b in (False, True)}
    estimate = float(
        did_cells(means[True, False], means[True, True], means[False, False], means[False, True])
    )
    x = sm.add_constant(np.column_stack([t, p, t & p]).astype("float64"))
    fit = sm.OLS(y, x).fit(cov_type="HC1")
    low, high = fit.conf_int()[3]
    return {
        "estimate": estimate,
        "ci_low": float(low),
        "ci_high": float(high),
        "p": float(fit.pvalues[3]),
        "n": int(len(y)),
    }


def mde_from_se(se: float) -> float:
    """Minimum detectable effect at 80% power and 5% two-sided, for an estimate with this SE."""
    return float(Z_POWER * se) if np.isfinite(se) else np.nan


def _window_sums(x: np.ndarray, start: np.ndarray, length: int) -> np.ndarray:
    """Sum of x[:, start : start + length] for every row and every start (clipped to the data):
    returns reps x len(start)."""
    c = np.concatenate([np.zeros((x.shape[0], 1)), np.cumsum(x, axis=1)], axis=1)
    lo = np.clip(start, 0, x.shape[1])
    hi = np.clip(start + length, 0, x.shape[1])
    return c[:, hi] - c[:, lo]


def staggered_did(
    wins: np.ndarray,
    trials: np.ndarray,
    treated_rows: np.ndarray,
    event: np.ndarray,
    control_rows: np.ndarray,
    *,
    window: int = 6,
    shift: int = 0,
    rng: np.random.Generator | None = None,
    n_boot: int = 1000,
    n_perm: int = 1000,
) -> dict:
    """DiD of a rate (wins / trials, reps x months) around each treated rep's event month.

    For treated rep i with event month e_i: after = months e_i+1 .. e_i+window, before =
    e_i-window .. e_i-1 (both moved back by `shift`, for the pre-trend placebo). Its change is
    compared with the pooled change of the control reps over the same calendar months; the
    estimate is the mean over treated reps with deals in both windows. Returns estimate, se (the
    standard deviation of a bootstrap over treated and control reps), ci_low and ci_high (estimate
    +- t(n - 1, 0.975) x se), p (permutation of who was treated when) and n (treated reps used).

    The interval is the bootstrap-SE t interval, not the percentile interval: with 15 treated reps
    the percentile interval covered the true effect 93% of the time in simulation, this one 95%
    (tests/test_inference.py checks the coverage).
    """
    rng = rng or np.random.default_rng(0)
    events = np.unique(event)
    pre_start, post_start = events - window - shift, events + 1 - shift
    sums = {
        (k, w): _window_sums(x, s, window)
        for k, x in (("w", wins), ("n", trials))
        for w, s in (("pre", pre_start), ("post", post_start))
    }  # each: all reps x unique events
    col = np.searchsorted(events, event)

    def estimate(t_rows, t_cols, c_weights):
        n = {w: sums["n", w][t_rows, t_cols] for w in ("pre", "post")}
        ok = (n["pre"] > 0) & (n["post"] > 0)
        rate = {
            w: sums["w", w][t_rows, t_cols] / np.where(n[w] > 0, n[w], np.nan)
            for w in ("pre", "post")
        }
        ctrl = {
            w: (c_weights @ sums["w", w]) / np.where((c := c_weights @ sums["n", w]) > 0, c, np.nan)
            for w in ("pre", "post")
        }  # (..., events)
        d = did_cells(
            rate["pre"], rate["post"], ctrl["pre"][..., t_cols], ctrl["post"][..., t_cols]
        )
        d = np.where(ok, d, np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # no usable rep: NaN, dropped later
            return np.nanmean(d, axis=-1), ok

    c_w = np.zeros(wins.shape[0])
    c_w[control_rows] = 1.0
    point, ok = estimate(treated_rows, col, c_w)
    n_used = int(ok.sum())
    out = {"estimate": float(point), "n": n_used, "ci_low": np.nan, "ci_high": np.nan}
    out.update(p=np.nan, se=np.nan)
    if n_used < 2 or len(control_rows) < 2 or not np.isfinite(point):
        return out
    # bootstrap: resample treated reps and control reps (multinomial weights)
    t_idx = rng.integers(0, len(treated_rows), (n_boot, len(treated_rows)))
    cw = np.zeros((n_boot, wins.shape[0]))
    picks = rng.integers(0, len(control_rows), (n_boot, len(control_rows)))
    np.add.at(cw, (np.repeat(np.arange(n_boot), len(control_rows)), control_rows[picks].ravel()), 1)
    boot = np.array(
        [estimate(treated_rows[t_idx[b]], col[t_idx[b]], cw[b])[0] for b in range(n_boot)]
    )
    boot = boot[np.isfinite(boot)]
    out["se"] = se = float(np.std(boot, ddof=1))
    half = stats.t.ppf(0.975, n_used - 1) * se
    out["ci_low"], out["ci_high"] = float(point) - half, float(point) + half
    # permutation: the same event months given to random reps of the pool
    pool = np.concatenate([treated_rows, control_rows])
    null = np.empty(n_perm)
    for b in range(n_perm):
        perm = rng.permutation(pool)
        chosen, rest = perm[: len(treated_rows)], perm[len(treated_rows) :]
        w = np.zeros(wins.shape[0])
        w[rest] = 1.0
        null[b] = estimate(chosen, rng.permutation(col), w)[0]
    null = null[np.isfinite(null)]
    out["p"] = float((1 + np.sum(np.abs(null) >= abs(point))) / (1 + len(null)))
    return out


def spearman(x, y, axis=-1):
    """Spearman's rho along `axis` (vectorised, for scipy.stats.bootstrap)."""
    rx, ry = stats.rankdata(x, axis=axis), stats.rankdata(y, axis=axis)
    rx = rx - rx.mean(axis=axis, keepdims=True)
    ry = ry - ry.mean(axis=axis, keepdims=True)
    den = np.sqrt((rx**2).sum(axis=axis) * (ry**2).sum(axis=axis))
    with np.errstate(invalid="ignore", divide="ignore"):
        return (rx * ry).sum(axis=axis) / den
