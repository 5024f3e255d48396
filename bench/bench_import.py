"""Mapped-import benchmark: rows per second and peak memory of `python -m analysis import`.

Run with `make bench` (or `python bench/bench_import.py [--rows N] [--runs N] [--smoke]`). Writes a
Salesforce-style export of N opportunity rows with the 5 columns the mapping reads (Opportunity
ID, Opportunity Owner, Stage, Amount as "฿1,234.00", Created Date as d/m/yyyy in the Buddhist era)
plus 3 columns it ignores, then times `import_dataset` in a fresh process per run: read, map
(slugs, stage map, amounts, dates, derived teams and reps), validate, write CSV. Peak memory is
that process's maximum resident set size (interpreter and libraries included). Target (issue 8): 2 million rows in under 60 s and
under 4 GB. Prints the median and range over the runs and writes
bench/results/import-<timestamp>.json with machine info.
"""

from __future__ import annotations

import os
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
from _results import finish_rows, measured, rows_args, rows_result

MAPPING = textwrap.dedent(
    """\
    dataset: {name: import benchmark, timezone: Asia/Bangkok, currency: THB}
    tables:
      teams:
        source: export.csv
        distinct: true
        columns:
          team_id: {value: all}
          team_name: {value: All reps}
          manager_name: {value: "-"}
          region: {value: Thailand}
      reps:
        source: export.csv
        distinct: true
        date_format: "%d/%m/%Y"
        buddhist_era: true
        columns:
          rep_id: {column: Opportunity Owner, slug: true, prefix: rep}
          rep_name: Opportunity Owner
          team_id: {value: all}
          hire_date: {column: Created Date, aggregate: min}
          territory: {value: "-"}
      opportunities:
        source: export.csv
        date_format: "%d/%m/%Y"
        buddhist_era: true
        columns:
          opportunity_id: Opportunity ID
          account_id: {value: a}
          rep_id: {column: Opportunity Owner, slug: true, prefix: rep}
          created_at: Created Date
          expected_close_date: Created Date
          closed_at: {column: Created Date, only_when: {stage: [closed_won, closed_lost]}}
          stage:
            column: Stage
            map: {Prospecting: prospecting, Qualification: qualification,
                  Proposal/Price Quote: proposal, Negotiation/Review: negotiation,
                  Closed Won: closed_won, Closed Lost: closed_lost}
          amount: Amount
          product: {value: all products}
          deal_type: {value: new_business}
    """
)
STAGES = [
    "Prospecting",
    "Qualification",
    "Proposal/Price Quote",
    "Negotiation/Review",
    "Closed Won",
    "Closed Lost",
]


def write_export(path: Path, rows: int, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    owners = np.array([f"Rep {i:04d}" for i in range(3000)])
    days = pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 1095, rows), unit="D")
    be = days.strftime("%d/%m/") + (days.year + 543).astype(str)
    amount = rng.integers(1_000, 5_000_000, rows)
    frame = pd.DataFrame(
        {
            "Opportunity ID": np.char.add("006", np.arange(rows).astype(str)),
            "Opportunity Name": "deal",
            "Opportunity Owner": owners[rng.integers(0, len(owners), rows)],
            "Stage": np.array(STAGES)[rng.integers(0, len(STAGES), rows)],
            "Amount": [f"฿{a:,.2f}" for a in amount],
            "Created Date": be,
            "Probability (%)": "50",
            "Next Step": "call back",
        }
    )
    frame.to_csv(path, index=False)


def one_run(work: Path, run: int) -> dict:
    code = textwrap.dedent(
        f"""
        import json, resource, time
        from analysis.data.importer import import_dataset
        start = time.perf_counter()
        r = import_dataset({str(work / "mapping.yaml")!r}, [{str(work / "export.csv")!r}],
                           {str(work / f"out{run}")!r})
        seconds = time.perf_counter() - start
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        print(json.dumps({{"seconds": seconds, "peak_bytes": peak, "rows": r.rows}}))
        """
    )
    env = {**os.environ, "AEM_CACHE_DIR": "off"}
    return measured(code, env)


def main(argv=None) -> int:
    args = rows_args(__doc__.splitlines()[0], argv)
    rows, runs = args.rows, args.runs
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "mapping.yaml").write_text(MAPPING, encoding="utf-8")
        write_export(work / "export.csv", rows)
        size = (work / "export.csv").stat().st_size
        results = [one_run(work, i) for i in range(runs)]
    result = rows_result(rows, results, source_bytes=size)
    what = f"import of {rows:,} rows ({size / 1e6:.0f} MB CSV, 5 columns mapped)"
    how = "cold (a fresh process per run, cache off)"
    return finish_rows("import", result, what, how, args.smoke, args.out)


if __name__ == "__main__":
    raise SystemExit(main())
