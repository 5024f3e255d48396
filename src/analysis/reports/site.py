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
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from analysis import __version__
from analysis.data.dataset import Dataset
from analysis.i18n import Lang, fmt_currency, fmt_date, fmt_month, fmt_percent, t
from analysis.metrics.kpis import kpi_table
from analysis.metrics.scorecards import RAG_COLORS, rag_cell_attributes, rag_status
from analysis.reports import fonts
from analysis.reports.text import cell_html

__all__ = [
    "HEADLINE_FILE",
    "INDEX_DATA",
    "PublishError",
    "check_writable",
    "collect",
    "headlines",
    "shareable",
    "write_index",
]

HEADLINE_FILE = "headline.json"
_MONTH_DIR = r"\d{4}-\d{2}"


def headlines(
    ds: Dataset,
    month: pd.Period,
    scope_ids: list[str],
    targets: dict[str, dict[str, float]] | None = None,
) -> dict[str, dict]:
    """The figures the index shows for each report, by team id and "company": revenue, quota
    attainment and win rate for the month (the KPI engine's values), the attainment's
    red/amber/green status against the scope's own target (`targets[scope_id]`), and the date
    the data run to."""
    out = {}
    teams = kpi_table(ds, [month], level="team").set_index("scope_id")
    company = kpi_table(ds, [month], level="company").iloc[0]

    def value(row, key):
        return None if pd.isna(row[key]) else float(row[key])

    for sid in scope_ids:
        row = company if sid == "company" else teams.loc[sid]
        attainment = value(row, "quota_attainment")
        target = (targets or {}).get(sid, {}).get("quota_attainment")
        out[sid] = {
            "month": str(month),
            "revenue": value(row, "revenue"),
            "quota_attainment": attainment,
            "win_rate": value(row, "win_rate"),
            "status": rag_status(attainment, target, higher_is_better=True),
            "as_of": ds.as_of.strftime("%Y-%m-%d"),
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


INDEX_DATA = "index.json"


class PublishError(ValueError):
    """The reports folder cannot take what the batch would publish (exit 2, nothing written)."""


def check_writable(reports_dir: Path, month: str) -> None:
    """Raise PublishError, naming the path and why, when the reports of `month` could not be
    published under `reports_dir`: a file where a folder goes, or a folder this user cannot
    write (tried by creating a file, so a read-only mount counts too). Checked before anything
    is rendered, so a batch that cannot publish writes nothing."""
    for folder in (reports_dir, reports_dir / month):
        existing = folder
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise PublishError(
                f"{existing} is a file, where the reports need a folder ({folder}): move the "
                "file away, or give REPORTS another folder"
            )
        try:
            fd, probe = tempfile.mkstemp(prefix=".write-test-", dir=existing)
        except OSError as exc:
            raise PublishError(
                f"cannot write in {existing} ({exc.strerror}), where the reports of {month} go: "
                "nothing was rendered; fix its permissions or give REPORTS another folder"
            ) from None
        os.close(fd)
        os.unlink(probe)
        if existing != folder:  # the rest is created when the first report is published
            return


def _read_headline(folder: Path, problems: list[str]) -> dict:
    try:
        head = json.loads((folder / HEADLINE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        problems.append(f"{folder / HEADLINE_FILE}: unreadable ({exc}); listed without figures")
        return {}
    return head if isinstance(head, dict) else {}


def _month_entries(month_dir: Path, problems: list[str]) -> list[dict]:
    """The published reports of one month folder as the index lists them: the company first,
    then the teams, lowest quota attainment first (teams without one last)."""
    entries = []
    folders = sorted(
        (p for p in month_dir.iterdir() if p.is_dir() and not p.name.startswith(".")),
        key=lambda p: (p.name != "company", p.name),
    )
    for folder in folders:
        formats = [f for f in ("html", "pdf") if (folder / f"report.{f}").is_file()]
        if "html" not in formats:
            continue
        head = _read_headline(folder, problems)
        entries.append(
            {
                "id": folder.name,
                "name": str(head.get("scope_name") or folder.name),
                "revenue": head.get("revenue"),
                "quota_attainment": head.get("quota_attainment"),
                "win_rate": head.get("win_rate"),
                "status": head.get("status") if head.get("status") in RAG_COLORS else None,
                "as_of": head.get("as_of"),
                "currency": head.get("currency", "THB"),
                "formats": formats,
            }
        )

    def worst_first(e: dict):
        a = e["quota_attainment"]
        return (e["id"] != "company", a is None, a if isinstance(a, (int, float)) else 0.0, e["id"])

    return sorted(entries, key=worst_first)


def _previous(reports_dir: Path) -> dict[str, list[dict]]:
    """What the last index listed, by month ({} when there is none or it cannot be read)."""
    try:
        data = json.loads((reports_dir / INDEX_DATA).read_text(encoding="utf-8"))
        return {str(k): list(v) for k, v in data["months"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def collect(reports_dir: Path) -> tuple[dict[str, list[dict]], list[str]]:
    """Every published report by month (newest first), and the problems met reading them.

    A month folder that cannot be read keeps the entries the last index gave it (`index.json`),
    so one unreadable folder never takes published reports off the index; an unreadable
    headline lists its report without figures."""
    import re

    problems: list[str] = []
    if not reports_dir.is_dir():
        return {}, problems
    before = _previous(reports_dir)
    months: dict[str, list[dict]] = {}
    for month_dir in sorted(reports_dir.iterdir(), reverse=True):
        if not re.fullmatch(_MONTH_DIR, month_dir.name):
            continue
        if not month_dir.is_dir():
            if month_dir.exists():
                problems.append(f"{month_dir} is a file, not a month folder: not listed")
            continue
        try:
            entries = _month_entries(month_dir, problems)
        except OSError as exc:
            entries = before.get(month_dir.name, [])
            problems.append(
                f"{month_dir} cannot be read ({exc.strerror}): "
                + (
                    f"its {len(entries)} report(s) stay listed as the last index listed them"
                    if entries
                    else "not listed"
                )
            )
        if entries:
            months[month_dir.name] = entries
    return months, problems


def _write_atomic(target: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}-", suffix=target.suffix, dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        shareable(Path(tmp), 0o666)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_index(
    reports_dir: Path,
    lang: Lang = "th",
    buddhist_era: bool = True,
    warn: Callable[[str], None] | None = None,
) -> Path:
    """(Re)write reports/index.html (and index.json, the same list for scripts) from the
    published folders; atomic (temp file + rename). Problems reading a folder go to `warn` and
    never drop a listed report (`collect`); a failure to write raises PublishError naming the
    file and why, and leaves the previous index as it was."""
    months, problems = collect(reports_dir)
    for problem in problems:
        (warn or print)(f"Index: {problem}")
    sections, nav = [], []
    for month_name, entries in months.items():
        month = pd.Period(month_name, "M")
        label = fmt_month(month, lang, buddhist_era=buddhist_era)
        nav.append(f'<a href="#m{_e(month_name)}">{_e(label)}</a>')
        rows = []
        for e in entries:
            folder = f"{month_name}/{e['id']}"
            # the name opens the HTML report (the phone's format); the PDF beside it
            name = f'<a href="{_e(f"{folder}/report.html")}">{cell_html(e["name"])}</a>'
            links = " · ".join(
                f'<a href="{_e(f"{folder}/report.{fmt}")}">{fmt.upper()}</a>'
                for fmt in e["formats"]
                if fmt != "html"
            )
            status = e.get("status")
            tint = rag_cell_attributes(status)
            rows.append(
                "<tr>"
                f"<td>{name}</td>"
                f"<td{tint}>{_e(fmt_percent(e['quota_attainment']))}"
                + (f" · {_e(t(f'status_{status}', lang))}" if status else "")
                + "</td>"
                f"<td>{_e(fmt_currency(e['revenue'], e['currency']))}</td>"
                f'<td class="wide">{_e(fmt_percent(e.get("win_rate")))}</td>'
                f"<td>{links}</td>"
                "</tr>"
            )
        as_of = sorted({e["as_of"] for e in entries if e.get("as_of")})
        as_of_text = (
            f'<p class="as-of">{_e(t("data_as_of", lang))} '
            + ", ".join(
                _e(fmt_date(pd.Timestamp(d), lang, buddhist_era=buddhist_era)) for d in as_of
            )
            + "</p>"
            if as_of
            else ""
        )
        sections.append(
            f'<h2 id="m{_e(month_name)}">{_e(label)}</h2>{as_of_text}'
            '<div class="scroll"><table class="report-table"><thead><tr>'
            f"<th>{_e(t('index_report', lang))}</th>"
            f"<th>{_e(t('quota_attainment_short', lang))}</th>"
            f"<th>{_e(t('revenue', lang))}</th>"
            f'<th class="wide">{_e(t("win_rate_short", lang))}</th>'
            f"<th>{_e(t('index_files', lang))}</th>"
            "</tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>"
        )
    if len(nav) > 1:  # every published month, newest first, one tap away
        sections.insert(0, f'<nav class="months">{" · ".join(nav)}</nav>')
    body = "".join(sections) or f"<p>{_e(t('index_empty', lang))}</p>"
    page = _PAGE.format(
        lang=lang,
        title=_e(t("index_title", lang)),
        body=body,
        footer=_e(f"analysis {__version__}"),
    )
    page = page.replace("/*FONT_FACES*/", fonts.css_font_faces(page), 1)
    target = reports_dir / "index.html"
    try:
        reports_dir.mkdir(parents=True, exist_ok=True)
        data = {"version": __version__, "months": months}
        _write_atomic(reports_dir / INDEX_DATA, json.dumps(data, ensure_ascii=False, indent=1))
        _write_atomic(target, page)
    except OSError as exc:
        raise PublishError(
            f"cannot write the index {target} ({exc.strerror}); the reports themselves are in "
            f"their folders under {reports_dir}"
        ) from None
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
p.as-of {{ color: #5f6b77; margin: 0.2rem 0 0.6rem; }}
nav.months {{ line-height: 2; }}
div.scroll {{ overflow-x: auto; }}
table.report-table td {{ white-space: nowrap; }}
table.report-table td:first-child {{ white-space: normal; word-break: keep-all; }}
@media (max-width: 40rem) {{ body {{ padding: 0.8rem; }} table.report-table {{ font-size: 0.85rem; }}
  table.report-table th, table.report-table td {{ padding: 0.3rem; }} .wide {{ display: none; }} }}
</style></head>
<body><h1>{title}</h1>{body}<footer>{footer}</footer></body></html>
"""
