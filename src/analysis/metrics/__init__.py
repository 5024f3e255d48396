"""The KPIs of the role, one implementation for every level (company, team, rep) and month.

`registry` defines each KPI (label, unit, direction, formula); `sql` computes the families of
KPIs in DuckDB and `kpis` assembles them into the KPI table (`kpi_table`, `kpis_for`); `asof`
cuts a dataset at a date (what was known then); `scorecards` adds the red/amber/green status,
the league table and the coaching view.

>>> from analysis.metrics import KPIS
>>> KPIS["win_rate"].formula
'deals_won / (deals_won + deals_lost)'
"""

from analysis.metrics.asof import as_of
from analysis.metrics.kpis import kpi_table, kpis_for, missing_kpis, open_pipeline, scope_reps
from analysis.metrics.registry import FAMILIES, KPI, KPIS

__all__ = [
    "KPI",
    "KPIS",
    "FAMILIES",
    "kpi_table",
    "kpis_for",
    "missing_kpis",
    "open_pipeline",
    "scope_reps",
    "as_of",
]
