"""What a team's report is made from, as one digest per team: the batch re-renders a team only
when its digest changed, so a month re-run after one team's deals changed re-renders that team
and the company, not every team (issue 21).

A team's report reads three kinds of data, and its digest covers each:

- **its slice** (`data.scoped`): every row of its reps, their deals and the deals' history, the
  accounts they own or sell to and those accounts' revenue; hashed row by row in DuckDB over the
  tables' files (`slice_digests`), one pass per table for all teams at once;
- **its KPIs and its reps'**, all months, as the KPI engine computed them for the whole company
  (a team's KPI can depend on another team's rows: an account another team won first);
- **the company-wide figures every team report shows** (`company_facts`): the dataset's
  metadata, tables and data note, which KPIs it cannot give and why, the teams and reps tables,
  the stages in use, the company's lost value by reason this month, and the company's skill and
  training tests a small team's report pools.

A change to another team's rows that moves none of these leaves the team's digest, and its
report, as they were; one that moves a company-wide figure changes every team's digest.
`tests/test_report.py` renders a team before and after changes to another team's data and
checks the report is unchanged wherever the digest is.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import numpy as np
import pandas as pd

from analysis.data import cache, engine
from analysis.data.dataset import Dataset

__all__ = ["team_digests", "slice_digests", "company_facts"]

# table -> SQL giving (team_id, the table's row as `x`) for every team whose slice holds the row;
# `rt` is reps (rep_id, team_id), `acc` the accounts of each team (owned or dealt with)
_ROWS = {
    "by_rep": "SELECT rt.team_id, x FROM {t} x JOIN rt ON x.rep_id = rt.rep_id",
    "accounts": "SELECT acc.team_id, x FROM accounts x JOIN acc USING (account_id)",
    "revenue": "SELECT acc.team_id, x FROM revenue x JOIN acc USING (account_id)",
    "by_deal": (
        "SELECT rt.team_id, x FROM {t} x JOIN opportunities o USING (opportunity_id) "
        "JOIN rt ON o.rep_id = rt.rep_id"
    ),
}
_WHOLE = ("teams", "reps")  # in `company_facts`: every report reads them


def slice_digests(ds: Dataset) -> dict[str, dict[str, list]]:
    """team -> table -> [rows, sum of the rows' 64-bit hashes mod 2**64, as text]: the content of
    each team's slice (`data.scoped`'s rule), independent of row order. Once per dataset content
    (on-disk cache: 5 s for the 300-team benchmark company, in every batch run)."""
    key = (ds.content_hash, ",".join(ds.tables))
    return cache.memo("slice-digests", key, lambda: _slice_digests(ds))


def _slice_digests(ds: Dataset) -> dict[str, dict[str, list]]:
    from analysis.data.contract import TABLES

    con = engine.connect(ds, files_first=True)  # the files, whichever tables are loaded here
    out: dict[str, dict[str, list]] = {}
    try:
        con.execute("CREATE TEMP TABLE rt AS SELECT rep_id, team_id FROM reps")
        acc = [
            "SELECT o.account_id, rt.team_id FROM opportunities o "
            "JOIN rt ON o.rep_id = rt.rep_id WHERE o.account_id IS NOT NULL"
        ]
        if ds.has("accounts"):
            acc.append(
                "SELECT a.account_id, rt.team_id FROM accounts a "
                "JOIN rt ON a.owner_rep_id = rt.rep_id"
            )
        con.execute(f"CREATE TEMP TABLE acc AS {' UNION '.join(acc)}")
        for name in ds.tables:
            if name in _WHOLE:
                continue
            if name in _ROWS:
                rows = _ROWS[name]
            elif "rep_id" in TABLES[name].column_names:
                rows = _ROWS["by_rep"].format(t=name)
            else:
                rows = _ROWS["by_deal"].format(t=name)
            for team, n, h in con.execute(f"""
                SELECT team_id, count(*), (sum(hash(x)::HUGEINT) % 18446744073709551616)::TEXT
                FROM ({rows}) GROUP BY team_id""").fetchall():
                out.setdefault(team, {})[name] = [n, h]
    finally:
        con.close()
    return out


def _frame_digest(frame: pd.DataFrame) -> str:
    """A frame's content, row order kept: floats cut to 10 significant digits first, so digits a
    different summation order moves (DuckDB's threads) do not count as a change."""
    frame = frame.reset_index(drop=True).copy()
    for c in frame.columns:
        if pd.api.types.is_float_dtype(frame[c]):
            x = frame[c].to_numpy("float64", na_value=np.nan)
            with np.errstate(divide="ignore", invalid="ignore"):
                mag = np.floor(np.log10(np.abs(x)))
                mag = np.where(np.isfinite(mag), mag, 0.0)
                frame[c] = np.round(x * 10.0 ** (9 - mag))  # 10 digits, as an integer
            frame[f"{c} exponent"] = mag
    h = hashlib.sha256(json.dumps(list(map(str, frame.columns))).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def company_facts(ds: Dataset, month: pd.Period) -> str:
    """The digest of what every team's report shows of the whole company (module doc)."""
    from analysis import effects
    from analysis.funnel.inputs import stages_in_use
    from analysis.metrics.kpis import missing_kpis
    from analysis.reports import capabilities
    from analysis.review.deals import company_losses

    h = hashlib.sha256()

    def part(name: str, value) -> None:
        h.update(name.encode() + b"\0" + str(value).encode() + b"\0")

    part("dataset", [ds.name, ds.timezone, ds.currency, str(ds.as_of), str(ds.first_month)])
    part("tables", sorted(ds.tables))
    part("missing", sorted(missing_kpis(ds, "team").items()))
    part("warnings", [str(w) for w in ds.warnings])
    part(
        "data_note",
        [
            capabilities.data_note(ds, lang, buddhist_era=be)
            for lang in ("th", "en")
            for be in (1, 0)
        ],
    )
    for name in _WHOLE:
        part(name, _frame_digest(ds[name].sort_values(list(ds[name].columns[:1]))))
    part("stages", stages_in_use(ds))
    part("losses", _frame_digest(company_losses(ds, month).reset_index()))
    if ds.has("skill_assessments") or ds.has("trainings"):
        table = effects.effects_table(effects.prepare(ds, month))  # cached for the kernels
        part("effects", _frame_digest(table))
    return h.hexdigest()


def team_digests(ds: Dataset, month: pd.Period, team_ids: Iterable[str]) -> dict[str, str]:
    """team id -> the digest of everything its report for `month` is made from (module doc)."""
    from analysis.metrics.kpis import kpi_table, shared_kpi_table, shared_kpi_tables

    team_ids = list(team_ids)
    if not team_ids:
        return {}
    shared_kpi_tables(ds)  # every level in one pass: the reports read the company's too
    company = company_facts(ds, month)
    slices = slice_digests(ds)
    months = list(pd.period_range(ds.first_month, month, freq="M"))
    kpis = {}
    for level in ("team", "rep"):
        shared = shared_kpi_table(ds, level)
        kpis[level] = kpi_table(ds, months, level=level) if shared is None else shared
    reps = ds["reps"][["rep_id", "team_id"]]
    out = {}
    for team in team_ids:
        members = set(reps.loc[reps["team_id"].eq(team), "rep_id"])
        h = hashlib.sha256(company.encode())
        h.update(json.dumps(slices.get(team, {}), sort_keys=True).encode())
        for level, ids in (("team", {team}), ("rep", members)):
            table = kpis[level]
            rows = table[table["scope_id"].isin(ids)]
            h.update(_frame_digest(rows.sort_values(["scope_id", "month"], kind="stable")).encode())
        out[team] = h.hexdigest()
    return out
