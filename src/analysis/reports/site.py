"""The browsable site: reports/index.html lists every published month and report with links to
both formats and a headline figure or two, usable from a file share or any static host (one
self-contained page, relative links, no scripts).

Each published report folder carries `headline.json` (written with the report, so it always
matches it); the index is rebuilt from those files after every run.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from pathlib import Path

import pandas as pd

from analysis import __version__
from analysis.data.dataset import Dataset
from analysis.i18n import Lang, fmt_currency, fmt_month, fmt_percent, t
from analysis.metrics.kpis import kpi_table
from analysis.reports import fonts

__all__ = ["HEADLINE_FILE", "headlines", "shareable", "write_index"]

HEADLINE_FILE = "headline.json"
_MONTH_DIR = r"\d{4}-\d{2}"


def headlines(ds: Dataset, month: pd.Period, scope_ids: list[str]) -> dict[str, dict]:
    """The figures the index shows for each report: revenue and quota attainment for the month
    (the KPI engine's values), by team id, and "company"."""
    out = {}
    teams = kpi_table(ds, [month], level="team").set_index("scope_id")
    company = kpi_table(ds, [month], level="company").iloc[0]
    for sid in scope_ids:
        row = company if sid == "company" else teams.loc[sid]
        out[sid] = {
            "month": str(month),
            "revenue": None if pd.isna(row["revenue"]) else float(row["revenue"]),
            "quota_attainment": None
            if pd.isna(row["quota_attainment"])
            else float(row["quota_attainment"]),
            "currency": ds.currency,
        }
    return out


def shareable(path: Path, mode: int) -> None:
    """Give `path` the permissions a plain create would under the user's umask (0o666 files,
    0o777 folders): mkstemp and mkdtemp make them private, but reports are read from file shares
    and static hosts by other users."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


def _e(text) -> str:
    return html.escape(str(text))


def write_index(reports_dir: Path, lang: Lang = "th", buddhist_era: bool = True) -> Path:
    """(Re)write reports/index.html from the published folders; atomic (temp file + rename)."""
    import re

    months = sorted(
        (p for p in reports_dir.iterdir() if p.is_dir() and re.fullmatch(_MONTH_DIR, p.name)),
        reverse=True,
    )
    sections = []
    for month_dir in months:
        month = pd.Period(month_dir.name, "M")
        rows = []
        folders = sorted(
            (p for p in month_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
            key=lambda p: (p.name != "company", p.name),  # the company first
        )
        for folder in folders:
            if not (folder / "report.html").is_file():
                continue
            head = {}
            if (folder / HEADLINE_FILE).is_file():
                head = json.loads((folder / HEADLINE_FILE).read_text(encoding="utf-8"))
            name = head.get("scope_name") or folder.name
            links = " · ".join(
                f'<a href="{_e(f"{month_dir.name}/{folder.name}/report.{fmt}")}">{fmt.upper()}</a>'
                for fmt in ("html", "pdf")
                if (folder / f"report.{fmt}").is_file()
            )
            rows.append(
                "<tr>"
                f"<td>{_e(name)}</td>"
                f"<td>{_e(fmt_currency(head.get('revenue'), head.get('currency', 'THB')))}</td>"
                f"<td>{_e(fmt_percent(head.get('quota_attainment')))}</td>"
                f"<td>{links}</td>"
                "</tr>"
            )
        if rows:
            sections.append(
                f"<h2>{_e(fmt_month(month, lang, buddhist_era=buddhist_era))}</h2>"
                '<table class="report-table"><thead><tr>'
                f"<th>{_e(t('index_report', lang))}</th><th>{_e(t('revenue', lang))}</th>"
                f"<th>{_e(t('quota_attainment_short', lang))}</th><th>{_e(t('index_files', lang))}</th>"
                "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
            )
    body = "".join(sections) or f"<p>{_e(t('index_empty', lang))}</p>"
    page = _PAGE.format(
        lang=lang,
        title=_e(t("index_title", lang)),
        body=body,
        footer=_e(f"analysis {__version__}"),
    )
    page = page.replace("/*FONT_FACES*/", fonts.css_font_faces(page), 1)
    reports_dir.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".html", dir=reports_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(page)
    shareable(Path(tmp), 0o666)
    target = reports_dir / "index.html"
    os.replace(tmp, target)
    return target


_PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
/*FONT_FACES*/
body {{ font-family: 'Noto Sans', 'Noto Sans Thai', sans-serif; margin: 0 auto; max-width: 60rem;
  padding: 1.5rem; color: #1d2630; line-height: 1.5; }}
h1 {{ color: #1f5fa8; }} h2 {{ border-bottom: 1px solid #d8dee4; margin-top: 2rem; }}
table.report-table {{ border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }}
table.report-table th, table.report-table td {{ padding: 0.4rem 0.6rem; text-align: right;
  border-bottom: 1px solid #d8dee4; }}
table.report-table th:first-child, table.report-table td:first-child {{ text-align: left; }}
footer {{ color: #5f6b77; font-size: 0.8rem; margin-top: 2rem; }}
@media (max-width: 40rem) {{ body {{ padding: 0.8rem; }} table.report-table {{ font-size: 0.85rem; }}
  table.report-table th, table.report-table td {{ padding: 0.3rem; }} }}
</style></head>
<body><h1>{title}</h1>{body}<footer>{footer}</footer></body></html>
"""
