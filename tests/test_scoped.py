"""Issue 21: a team's analysis gets only its team's rows (`analysis.data.scoped`), read in DuckDB
for a dataset left on disk, so no other team's row reaches pandas."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from analysis import funnel
from analysis.data.dataset import load_dataset
from analysis.data.scoped import scoped
from analysis.data.synth import write_sample
from analysis.metrics.asof import as_of
from analysis.months import next_month_start
from conftest import SMALL_CONFIG


@pytest.fixture(scope="module")
def parquet(tmp_path_factory) -> Path:
    return write_sample(tmp_path_factory.mktemp("scoped") / "data", SMALL_CONFIG, fmt="parquet")


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns), kind="stable", ignore_index=True)


def _by_hand(ds, reps: set[str]) -> dict[str, pd.DataFrame]:
    """Each table's rows of `reps`, by the rules of `data.scoped` written out in pandas."""
    out = {"teams": ds["teams"]}
    opps = ds["opportunities"][ds["opportunities"]["rep_id"].isin(reps)]
    accounts = ds["accounts"][
        ds["accounts"]["owner_rep_id"].isin(reps)
        | ds["accounts"]["account_id"].isin(opps["account_id"])
    ]
    for name in ds.tables:
        frame = ds[name]
        if name == "accounts":
            out[name] = accounts
        elif name in ("stage_history", "opportunity_snapshots"):
            out[name] = frame[frame["opportunity_id"].isin(opps["opportunity_id"])]
        elif name == "revenue":
            out[name] = frame[frame["account_id"].isin(accounts["account_id"])]
        elif "rep_id" in frame.columns:
            out[name] = frame[frame["rep_id"].isin(reps)]
    return out


def test_a_teams_slice_holds_its_rows_of_every_table_read_on_disk_or_in_memory(
    parquet, monkeypatch
):
    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    lazy, eager = load_dataset(parquet, lazy=True), load_dataset(parquet, lazy=False)
    team = eager["teams"]["team_id"].iloc[0]
    reps = set(eager["reps"].loc[eager["reps"]["team_id"].eq(team), "rep_id"])
    expected = _by_hand(eager, reps)
    on_disk, in_memory = scoped(lazy, reps), scoped(eager, reps)
    assert all(lazy.tables.loaded(t) is None for t in lazy.tables)  # nothing read whole
    assert sorted(on_disk.tables) == sorted(eager.tables) == sorted(expected)
    for name, frame in expected.items():
        assert 0 < len(frame) <= len(eager[name]), name
        want = _sorted(frame)
        pd.testing.assert_frame_equal(_sorted(on_disk[name]), want, obj=name)
        pd.testing.assert_frame_equal(_sorted(in_memory[name]), want, obj=name)
    # only the tables asked for; revenue still follows the accounts in scope
    (only,) = scoped(lazy, reps, ["revenue"]).tables.values()
    pd.testing.assert_frame_equal(_sorted(only), _sorted(expected["revenue"]))
    assert len(expected["opportunities"]) < len(eager["opportunities"])  # another team exists
    assert on_disk.as_of == eager.as_of and on_disk.content_hash == ""


def test_a_funnel_reads_no_other_teams_rows_and_sums_what_pandas_counts(parquet, monkeypatch):
    """Issue 21. On a dataset left on disk, a team's funnel reads its own rows only (one
    `data.scoped` read, of its reps) and the company's reads none into pandas: its sums are
    made by DuckDB over the files. Every figure equals the one the pandas reference computes
    deal by deal from the whole company's pandas cut (`funnel_pandas`), in the latest month and
    earlier ones, for teams and the company."""
    import funnel_pandas

    from analysis.funnel import inputs

    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    lazy, eager = load_dataset(parquet, lazy=True), load_dataset(parquet, lazy=False)
    reads = _spy_on_scoped(monkeypatch, inputs)
    last = eager.latest_complete_month
    for team, month in [(t, last) for t in eager["teams"]["team_id"][:2]] + [
        (None, last),
        (eager["teams"]["team_id"][0], last - 5),
        (None, eager.first_month + 3),  # a window reaching back before the data
    ]:
        reads.clear()
        fd = funnel.prepare(lazy, month, team)
        mine = funnel_pandas.outputs(funnel, fd)
        # only the directories (a row a team, a row a rep) are read whole
        loaded = {t for t in lazy.tables if lazy.tables.loaded(t) is not None}
        assert loaded <= {"teams", "reps"}, (team, loaded)
        if team is None:
            assert reads == []  # nothing of the company's facts is read into pandas
        else:
            reps = set(eager["reps"].loc[eager["reps"]["team_id"].eq(team), "rep_id"])
            assert len(reads) == 1 and reads[0][0] == reps
            assert set(reads[0][1]["opportunities"]["rep_id"]) <= reps
            assert set(reads[0][1]["leads"]["rep_id"]) <= reps
        before = funnel_pandas.outputs(funnel_pandas, funnel_pandas.prepare(eager, month, team))
        funnel_pandas.assert_same(mine, before, f"{team} {month}")


def test_a_teams_forecast_reads_no_other_teams_rows_and_forecasts_what_it_did(parquet, monkeypatch):
    """A team's forecast inputs (`forecast.prepare(ds, month, team)`) come from its slice: on a
    dataset left on disk no table of facts is read whole, the one read is of the team's reps,
    and the forecast, its backtest and its metrics equal those made from the whole company's
    inputs."""
    from analysis import forecast
    from analysis.forecast import inputs

    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    lazy, eager = load_dataset(parquet, lazy=True), load_dataset(parquet, lazy=False)
    month = eager.latest_complete_month
    team = eager["teams"]["team_id"].iloc[1]
    reps = set(eager["reps"].loc[eager["reps"]["team_id"].eq(team), "rep_id"])
    reads = _spy_on_scoped(monkeypatch, inputs)
    options = forecast.ForecastOptions(samples=200, folds=4)
    data = forecast.prepare(lazy, month, team)
    loaded = {t for t in lazy.tables if lazy.tables.loaded(t) is not None}
    assert loaded <= {"teams", "reps"}, loaded
    assert len(reads) == 1 and reads[0][0] == reps
    assert set(reads[0][1]["opportunities"]["rep_id"]) <= reps
    assert set(data.pipeline["team_id"]) == {team} and set(data.won["team_id"]) == {team}
    mine = forecast.forecast_scope(data, team, options)
    whole = forecast.forecast_scope(forecast.prepare(eager, month), team, options)
    for part in ("forecast", "backtest", "metrics"):
        pd.testing.assert_frame_equal(getattr(mine, part), getattr(whole, part), obj=part)
    with pytest.raises(ValueError, match="prepared for"):
        forecast.forecast_scope(data, None, options)


def _pipeline_by_hand(ds, month: pd.Period):
    """The forecast's pipeline and won deals summed as `forecast.inputs` sums them, from the
    pandas cut (`as_of`) a deal at a time: each deal open at a month end (`open_pipeline` of
    the cut), its stage then (`stage_at`), its expected close in months (0 to 4), its category
    at the month's end (latest snapshot's, else its own), and when it was won by the cut."""
    from analysis.metrics.asof import known_from, latest_before, stage_at
    from analysis.metrics.kpis import open_pipeline
    from analysis.months import month_range

    cut = as_of(ds, next_month_start(month))
    team_of = cut["reps"].set_index("rep_id")["team_id"]
    pipe = open_pipeline(cut, month_range(min(ds.first_month, month), month))
    stage = pd.Series(stage_at(cut, pipe["opportunity_id"], pipe["month"].dt.end_time))
    open_stages = ["prospecting", "qualification", "proposal", "negotiation"]
    stage = stage.where(stage.isin(open_stages), "prospecting")
    origin = pd.PeriodIndex(pipe["month"], freq="M").asi8
    due = pd.PeriodIndex(pipe["expected_close_month"], freq="M").asi8 - origin
    opps = cut["opportunities"]
    w = opps[opps["stage"].eq("closed_won")]
    won = pd.DataFrame(
        {
            "opportunity_id": w["opportunity_id"],
            "team_id": w["rep_id"].map(team_of),
            "created": pd.PeriodIndex(known_from(cut, w), freq="M").asi8,
            "closed": pd.PeriodIndex(w["closed_at"], freq="M").asi8,
            "amount": w["amount"],
        }
    )
    now = origin == month.ordinal
    category = pipe["opportunity_id"].map(opps.set_index("opportunity_id")["forecast_category"])
    snaps = cut["opportunity_snapshots"].rename(columns={"snapshot_date": "t"})
    seen = latest_before(
        snaps,
        "forecast_category",
        pipe["opportunity_id"],
        pd.Series(next_month_start(month), index=pipe.index),
    )
    category = seen.where(seen.notna(), category).where(now)
    by_id = won.set_index("opportunity_id")
    rows = pd.DataFrame(
        {
            "team_id": pipe["rep_id"].map(team_of),
            "origin": origin,
            "stage": stage.to_numpy(),
            "due": due.clip(0, 4),
            "category": category.to_numpy(dtype=object),
            "won": pipe["opportunity_id"].map(by_id["closed"]).fillna(-1).astype("int64"),
            "n": 1,
            "amount": pipe["amount"],
            "won_amount": pipe["opportunity_id"].map(by_id["amount"]).fillna(0.0),
        }
    )
    keys = ["team_id", "origin", "stage", "due", "category", "won"]
    pipeline = rows.groupby(keys, dropna=False, as_index=False)[["n", "amount", "won_amount"]].sum()
    won = won.groupby(["team_id", "created", "closed"], as_index=False)["amount"].sum()
    return pipeline, won


def _same_sums(a: pd.DataFrame, b: pd.DataFrame, keys: list[str], obj: str) -> None:
    a, b = (
        f.assign(**{k: f[k].astype(object).where(f[k].notna(), "-") for k in keys})
        .sort_values(keys, ignore_index=True)
        .astype({k: "str" for k in keys})
        for f in (a, b)
    )
    pd.testing.assert_frame_equal(a, b[a.columns], check_dtype=False, obj=obj)


@pytest.mark.parametrize("back", [0, 7])
def test_the_companys_forecast_inputs_are_summed_in_duckdb_as_the_pandas_cut_has_them(
    parquet, monkeypatch, back
):
    """The company's forecast inputs are summed in DuckDB over the files: on a dataset left on
    disk no table of facts reaches pandas; the pipeline (by team, origin, stage, expected close,
    category and month won) and the won deals equal the pandas cut's deals summed by hand
    (`as_of`, a deal at a time; the sample reopens closed deals, so a closing undone later
    counts as the cut has it); and the forecast, backtest, metrics and category roll-up equal
    those made from the dataset in memory."""
    from analysis import forecast

    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    lazy, eager = load_dataset(parquet, lazy=True), load_dataset(parquet, lazy=False)
    month = eager.latest_complete_month - back
    data = forecast.prepare(lazy, month)
    loaded = {t for t in lazy.tables if lazy.tables.loaded(t) is not None}
    assert loaded <= {"teams", "reps"}, loaded
    pipeline, won = _pipeline_by_hand(eager, month)
    assert pipeline["category"].notna().any() and (pipeline["won"] >= 0).any()
    keys = ["team_id", "origin", "stage", "due", "category", "won"]
    _same_sums(data.pipeline, pipeline, keys, "pipeline")
    _same_sums(data.won, won, ["team_id", "created", "closed"], "won")
    whole = forecast.prepare(eager, month)
    options = forecast.ForecastOptions(samples=200, folds=4)
    mine, in_memory = (forecast.forecast_scope(d, None, options) for d in (data, whole))
    for part in ("forecast", "backtest", "metrics"):
        pd.testing.assert_frame_equal(getattr(mine, part), getattr(in_memory, part), obj=part)
    pd.testing.assert_frame_equal(
        forecast.category_rollup(data), forecast.category_rollup(whole), obj="categories"
    )


def test_the_effects_read_only_small_tables_and_count_negotiations_as_the_cut_does(
    parquet, monkeypatch
):
    """The effects' inputs at company scale: on a dataset left on disk only the small tables are
    read (teams, reps, skills, trainings); the negotiation panel, counted in DuckDB, equals the
    one from the pandas cut of every deal."""
    import numpy as np

    from analysis import effects

    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    lazy, eager = load_dataset(parquet, lazy=True), load_dataset(parquet, lazy=False)
    for month in (eager.latest_complete_month, eager.latest_complete_month - 5):
        data = effects.prepare(lazy, month)
        loaded = {t for t in lazy.tables if lazy.tables.loaded(t) is not None}
        assert loaded <= {"teams", "reps", "skill_assessments", "trainings"}, loaded
        # by the pandas cut: closed deals that reached negotiation, per rep and close month
        cut = as_of(eager, next_month_start(month))
        closed = cut["opportunities"][cut["opportunities"]["closed_at"].notna()]
        h = cut["stage_history"]
        closed = closed[
            closed["opportunity_id"].isin(h.loc[h["stage"].eq("negotiation"), "opportunity_id"])
        ]
        shape = data.panel["won"].shape
        want = {"neg_closed": np.zeros(shape), "neg_won": np.zeros(shape)}
        r = pd.Index(data.reps["rep_id"]).get_indexer(closed["rep_id"])
        t = closed["closed_at"].dt.to_period("M").astype("int64") - data.months[0].ordinal
        np.add.at(want["neg_closed"], (r, t), 1)
        np.add.at(want["neg_won"], (r, t), closed["stage"].eq("closed_won").to_numpy())
        assert want["neg_closed"].sum() > 0
        for key, value in want.items():
            np.testing.assert_array_equal(data.panel[key], value, err_msg=key)


@pytest.mark.parametrize("scope", ["team", "company"])
def test_a_deal_review_reads_only_its_deals_of_its_months(parquet, monkeypatch, scope):
    """The coaching review of a team on a dataset left on disk reads its deals and snapshots
    alone (the company's lost value by reason is summed in DuckDB), the company's review every
    rep's; both only the deals still open or closed in the months it looks at, with their
    snapshots (the company's 5 million deals and 20 million snapshots, read whole, held 2.5 GB
    of the company report's kernel). Each says what it said from the whole tables in memory,
    including whether the scope has any history before the months compared (`lost_before`)."""
    from analysis import review
    from analysis.review import deals as review_deals

    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    lazy, eager = load_dataset(parquet, lazy=True), load_dataset(parquet, lazy=False)
    month = eager.latest_complete_month
    team = eager["teams"]["team_id"].iloc[0] if scope == "team" else None
    read = []
    real = review_deals.scoped
    monkeypatch.setattr(
        review_deals, "scoped", lambda *a, **kw: read.append(kw.get("since")) or real(*a, **kw)
    )
    for early in (eager.first_month, eager.first_month + 2, eager.first_month + 4):
        want = review.lost_before(eager, early, team)
        assert review.lost_before(lazy, early, team) == want, early
    assert review.lost_before(eager, eager.first_month, team) is None  # no history before it
    calls = {
        "loss_reasons": lambda ds: review.loss_reasons(ds, month, team),
        "slipped": lambda ds: review.slipped_deals(ds, month, team),
        "aged": lambda ds: pd.Series(review.aged_open_deals(ds, month, team, 60)),
        "concentration": lambda ds: pd.Series(review.concentration(ds, month, team)),
        "lost_before": lambda ds: pd.Series([review.lost_before(ds, month, team)]),
    }
    for key, call in calls.items():
        got, want = call(lazy), call(eager)
        if isinstance(want, pd.Series):
            pd.testing.assert_series_equal(got, want, obj=key)
        else:
            assert len(want) > 0, key
            pd.testing.assert_frame_equal(got, want, obj=key, check_exact=False)
    for kind, frame in review.biggest_deals(lazy, month, team).items():
        pd.testing.assert_frame_equal(frame, review.biggest_deals(eager, month, team)[kind])
    loaded = {t for t in lazy.tables if lazy.tables.loaded(t) is not None}
    assert loaded <= {"teams", "reps", "accounts", "quotas"}, loaded
    assert read and all(since is not None for since in read)  # always a window
    window = review_deals.scoped(lazy, set(lazy["reps"]["rep_id"]), ["opportunities"])
    kept = review_deals.scope_deals(lazy, team, review_deals._since(month))
    assert 0 < len(kept) < len(window["opportunities"])  # the window left deals out


def test_on_a_benchmark_company_one_teams_changed_deals_change_only_its_key(tmp_path, monkeypatch):
    """Issue 21's incremental key at scale: on a small benchmark company (6 teams, Parquet), a new
    export in which one team's open deals changed value changes that team's data digest and no
    other's; one of its September losses given another reason moves a company-wide figure every
    team's report shows (the company's lost value by reason), so every team's key changes."""
    from analysis.data.synth import write_scaled
    from analysis.reports.dependencies import team_digests

    monkeypatch.setenv("AEM_CACHE_DIR", str(tmp_path / "cache"))
    data = write_scaled(tmp_path / "bench", 0.02, progress=lambda _m: None)
    month = pd.Period("2026-09", "M")
    teams = sorted(pd.read_parquet(data / "teams.parquet")["team_id"])
    before = team_digests(load_dataset(data), month, teams)
    assert len(set(before.values())) == len(teams)
    changed = teams[2]
    reps = pd.read_parquet(data / "reps.parquet")
    members = set(reps.loc[reps["team_id"].eq(changed), "rep_id"])
    opps = pd.read_parquet(data / "opportunities.parquet")
    mine = opps["rep_id"].isin(members)
    open_ = mine & ~opps["stage"].isin(["closed_won", "closed_lost"])
    assert open_.sum() > 10
    opps.loc[open_, "amount"] = opps.loc[open_, "amount"] + 1000.0
    opps.to_parquet(data / "opportunities.parquet", index=False)
    after = team_digests(load_dataset(data), month, teams)
    assert [t for t in teams if after[t] != before[t]] == [changed]
    lost = (
        mine
        & opps["stage"].eq("closed_lost")
        & opps["closed_at"].dt.strftime("%Y-%m").eq("2026-09")
    )
    opps.loc[lost[lost].index[:1], "loss_reason"] = "another reason"
    opps.to_parquet(data / "opportunities.parquet", index=False)
    moved = team_digests(load_dataset(data), month, teams)
    assert all(moved[t] != after[t] for t in teams)


def _spy_on_scoped(monkeypatch, module) -> list:
    """`module.scoped` replaced by a wrapper that records each call's (rep ids, result)."""
    reads = []

    def spy(ds, rep_ids, tables=None, **kw):
        out = scoped(ds, rep_ids, tables, **kw)
        reads.append((set(rep_ids), out))
        return out

    monkeypatch.setattr(module, "scoped", spy)
    return reads
