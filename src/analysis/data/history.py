"""Which of a dataset's values have a past (issue 20): the history tables it has, and the fields
it holds only as they are now ("final-only").

A CRM export records a deal's amount, expected close date and forecast category as they are at
export time (at close, for a closed deal), and its stage as it is now. Only two tables give those
a past: `opportunity_snapshots` (amounts and dates at each month end) and `stage_history` (every
stage change). The import records what it found in dataset.yaml (`history`), `import` and
`validate` print it, and the reports say "as known now" wherever a final-only value feeds a past
month (`reports.capabilities.final_only`).
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["HISTORY_TABLES", "history", "describe"]

# a history table -> the opportunity fields it gives a past
HISTORY_TABLES: dict[str, tuple[str, ...]] = {
    "stage_history": ("stage",),
    "opportunity_snapshots": ("amount", "expected_close_date", "forecast_category"),
}


def history(present: Iterable[str]) -> dict:
    """For the tables `present`: which history tables there are, and the final-only fields.

    >>> history(["teams", "reps", "opportunities", "stage_history"])["final_only"]
    ['opportunities.amount', 'opportunities.expected_close_date', 'opportunities.forecast_category']
    """
    present = set(present)
    return {
        "tables": {name: name in present for name in HISTORY_TABLES},
        "final_only": [
            f"opportunities.{field}"
            for name, fields in HISTORY_TABLES.items()
            if name not in present
            for field in fields
        ],
    }


def describe(flags: dict) -> str:
    """One line for the import summary and `validate`.

    >>> print(describe(history(["opportunities", "opportunity_snapshots"])))
    history: stage_history no, opportunity_snapshots yes; final-only (known only as they are now): opportunities.stage
    """
    tables = ", ".join(f"{n} {'yes' if has else 'no'}" for n, has in flags["tables"].items())
    final = ", ".join(flags["final_only"])
    return f"history: {tables}" + (
        f"; final-only (known only as they are now): {final}" if final else "; no final-only field"
    )
