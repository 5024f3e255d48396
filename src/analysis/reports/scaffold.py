"""A params folder for an imported dataset that fits its data (`analysis import --params`).

- Language and calendar: `--lang`, else from the dataset: Thai with Buddhist-era years for a baht
  or Bangkok dataset, English with Gregorian years otherwise (a US-dollar export was given Thai
  reports).
- Targets: the project's default KPI targets were the sample's (win rate 0.25 made every team of a
  real export green). Each target is instead the median of the scope's own KPI over the dataset's
  last 12 complete months, rounded (per team in its file, the company's in `_defaults.yaml`);
  `quota_attainment` stays 1.0 (meeting quota is the target by definition) where there are quotas.
  Every file says `targets_provisional: true`, and the reports say the targets are provisional
  until someone sets them and removes the key.

Existing files are never overwritten.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from analysis.data.dataset import Dataset
from analysis.i18n import Lang
from analysis.metrics.registry import KPIS
from analysis.reports.params import DEFAULTS_FILE

__all__ = ["derived_targets", "infer_lang", "scaffold_params"]

# the decimals a derived target keeps, by its KPI's unit (others: 2)
_DECIMALS = {"ratio": 2, "multiple": 1, "score": 1, "hours": 0, "days": 0}
_HISTORY_MONTHS = 12


def infer_lang(currency: str, timezone: str) -> Lang:
    """Thai for a baht or Bangkok dataset, English otherwise.

    >>> infer_lang("USD", "America/New_York"), infer_lang("THB", "UTC")
    ('en', 'th')
    """
    return "th" if currency.upper() == "THB" or timezone == "Asia/Bangkok" else "en"


def derived_targets(ds: Dataset, keys: list[str]) -> dict[str | None, dict[str, float]]:
    """Per team id (None: the company), each KPI of `keys` as the median of its monthly values
    over the dataset's last 12 complete months, rounded by unit; a KPI the data cannot give is
    left out. `quota_attainment` is 1.0 where the dataset has quotas."""
    from analysis.metrics.kpis import kpi_table

    end = ds.latest_complete_month
    months = pd.period_range(end - (_HISTORY_MONTHS - 1), end, freq="M")
    out: dict[str | None, dict[str, float]] = {}
    for level in ("company", "team"):
        table = kpi_table(ds, months, level=level)
        for scope_id, rows in table.groupby("scope_id", sort=False):
            targets: dict[str, float] = {}
            for key in keys:
                if key == "quota_attainment":
                    if ds.has("quotas"):
                        targets[key] = 1.0
                    continue
                median = pd.to_numeric(rows[key], errors="coerce").median()
                if pd.notna(median):
                    targets[key] = round(float(median), _DECIMALS.get(KPIS[key].unit, 2))
            out[None if level == "company" else str(scope_id)] = targets
    return out


def _write(path: Path, header: str, content: dict) -> None:
    text = yaml.safe_dump(content, allow_unicode=True, sort_keys=False)
    path.write_text(f"{header}\n{text}", encoding="utf-8")


def scaffold_params(
    ds: Dataset, params_dir: Path, defaults: Path, lang: Lang | None = None
) -> list[Path]:
    """Write `params_dir`/_defaults.yaml (the project's `defaults` with the dataset's language,
    calendar and company targets) and one file per team (its name and targets), each marked
    `targets_provisional`; files that exist are kept. Returns the files written."""
    lang = lang or infer_lang(ds.currency, ds.timezone)
    base = yaml.safe_load(defaults.read_text(encoding="utf-8")) if defaults.is_file() else {}
    keys = [k for k in (base or {}).get("targets", {}) if k in KPIS] or list(KPIS)
    targets = derived_targets(ds, keys)
    params_dir.mkdir(parents=True, exist_ok=True)
    provisional = (
        "# targets: the median of the data's own last 12 complete months at import, not set by\n"
        "# anyone (the reports say so); set them and remove targets_provisional."
    )
    written = []
    path = params_dir / DEFAULTS_FILE
    if not path.exists():
        content = {
            **(base or {}),
            "lang": lang,
            "buddhist_era": lang == "th",
            "targets": targets.get(None, {}),
            "targets_provisional": True,
        }
        header = f"# Defaults for every team of {ds.name} (imported); see {defaults.name}.\n"
        _write(path, header + provisional, content)
        written.append(path)
    for row in ds["teams"].itertuples():
        path = params_dir / f"{row.team_id}.yaml"
        if not path.exists():
            content = {
                "team_id": row.team_id,
                "display_name": row.team_name,
                "targets": targets.get(str(row.team_id), {}),
                "targets_provisional": True,
            }
            _write(path, f"# {row.manager_name}'s team (imported)\n{provisional}", content)
            written.append(path)
    return written
