"""Analytics for Account Executive Managers: data contract, KPIs and monthly team reports.

The analyst's API (README "Python API"; `analysis.api`):

- `analysis.load(path=None)`: the validated dataset (default $AEM_DATA_DIR, else the sample)
- `analysis.kpis(ds, team=, rep=, month=, last=, level=)`: KPIs by month, with names
- `analysis.deals(ds, team=, rep=, month=)`: deals with rep, team and account names
- `analysis.trend(kpis, key)`: a chart of one KPI over the months, a line per team or rep
- `analysis.revenue_forecast(ds, team=, month=, horizon=)`: the forecast and its backtest
- `analysis.skill_effects(ds, team=, month=)`: the skill and training tests, one row each
- `analysis.export(frame, "name.xlsx")`: a table to Excel or CSV under build/exports/

`analysis.paths` names the project's folders (PROJECT_ROOT, SAMPLE_DATA_DIR, PARAMS_DIR,
REPORTS_DIR). The packages below hold the rest: `analysis.data`, `analysis.metrics`,
`analysis.funnel`, `analysis.forecast`, `analysis.effects`, `analysis.reports`
(docs/architecture.md).

Importing `analysis` in a Jupyter kernel (or after matplotlib) registers the Thai-capable fonts
with matplotlib, so an analyst's own charts show Thai labels, as the report charts do.
"""

from __future__ import annotations

import sys
from importlib import import_module
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aem-analysis")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+local"

_API = ("load", "kpis", "deals", "trend", "revenue_forecast", "skill_effects", "export")

__all__ = ["__version__", *_API]


def __getattr__(name: str):
    # The API is imported on first use: `python -m analysis` and the submodules stay light.
    if name in _API:
        return getattr(import_module("analysis.api"), name)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_API})


# In a Jupyter kernel (or once matplotlib is in use), Thai shows in the analyst's own charts too.
# Elsewhere matplotlib is not imported just for this: the CLI and the batch's workers stay light.
if "ipykernel" in sys.modules or "matplotlib" in sys.modules:
    from analysis.reports.fonts import use_in_matplotlib

    use_in_matplotlib()
