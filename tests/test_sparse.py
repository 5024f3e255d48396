"""Issue 15, part 4: reports that adapt to the data they get. A sparse CRM export (only the
required tables, four stages, no stage history, snapshots, quotas, skills or leads, a year of
data: conftest.write_sparse_export) is rendered in English and in Thai, and the reports must
contain none of the faults a reader found on such an export: stage steps at "100.0%" without a
history to measure them, identical cohort columns, quota headings and an empty attainment chart,
past months' values as known now said nowhere, a backtest method that did not run, the same "no
data" sentence again and again, "Benjamini-Hochberg over the 0 tests", columns of dashes."""

from __future__ import annotations

import html as html_lib
import re
import shutil
from pathlib import Path

import pytest
import yaml

from analysis.i18n import t
from analysis.reports.batch import run_monthly
from conftest import write_sparse_export

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("kernels")]

MONTH = "2026-10"


@pytest.fixture(scope="module")
def sparse(tmp_path_factory):
    """The export, and its reports for one team and the company in each language."""
    root = tmp_path_factory.mktemp("sparse")
    data = write_sparse_export(root / "data")
    out = {}
    for lang in ("en", "th"):
        params = root / f"params-{lang}"
        params.mkdir()
        defaults = yaml.safe_load(Path("params/_defaults.yaml").read_text(encoding="utf-8"))
        defaults |= {"lang": lang, "buddhist_era": lang == "th"}
        (params / "_defaults.yaml").write_text(yaml.safe_dump(defaults), encoding="utf-8")
        results = run_monthly(
            data,
            teams=["east", "company"],
            renderer="builtin",
            jobs=2,
            reports_dir=root / f"reports-{lang}",
            build_dir=root / f"build-{lang}",
            params_dir=params,
            echo=lambda _m: None,
        )
        assert all(r.ok for r in results), [r.error for r in results]
        out[lang] = root / f"reports-{lang}" / MONTH
    yield data, out
    shutil.rmtree(root, ignore_errors=True)


def _text(page: Path) -> str:
    raw = page.read_text(encoding="utf-8").replace("<wbr>", "")
    raw = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", " ", raw, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", raw))


def _tables(page: Path) -> list[list[list[str]]]:
    """Every table of a page as rows of cell texts (header row first)."""
    raw = page.read_text(encoding="utf-8").replace("<wbr>", "")
    tables = []
    for table in re.findall(r"<table\b.*?</table>", raw, flags=re.S):
        rows = []
        for row in re.findall(r"<tr\b.*?</tr>", table, flags=re.S):
            cells = re.findall(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", row, flags=re.S)
            rows.append([html_lib.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in cells])
        tables.append(rows)
    return tables


@pytest.mark.parametrize("lang", ["en", "th"])
@pytest.mark.parametrize("scope", ["east", "company"])
def test_a_sparse_export_gets_a_report_without_the_faults(sparse, lang, scope):
    _, out = sparse
    page = out[lang] / scope / "report.html"
    text = _text(page)
    # no section that needs a stage history, quotas, skills or leads: not even its heading
    for key in ("step_table", "cohorts", "flow", "time_in_stage", "funnel", "rep_chart"):
        assert t(key, lang) not in text, (key, scope, lang)
    for key in ("fc_section_quota", "fx_section_skill_outcome", "leads", "lead_deciles"):
        assert t(key, lang) not in text, (key, scope, lang)
    assert t("win_by_dim", lang, dim=t("dim_lead_source", lang)) not in text
    assert t("win_by_dim", lang, dim=t("dim_stage_reached", lang)) not in text
    assert "step-table" not in page.read_text(encoding="utf-8")
    # no heading speaks of quotas, and no KPI row is there that the data cannot fill
    for key in ("trend", "league", "fc_section_forecast", "teams_worst_first"):
        assert t(key, lang) not in text, (key, scope, lang)
    assert t(f"{'teams_worst_first' if scope == 'company' else 'trend'}_no_quota", lang) in text
    from analysis.i18n import kpi_label

    for key in ("quota_attainment", "pipeline_coverage", "csat_avg", "customer_churn_rate"):
        assert kpi_label(key, lang) not in text, (key, scope, lang)
    # what the data cannot show: said once, each line once
    for need in ("stage_history", "opportunity_snapshots", "quotas", "skills_or_training", "leads"):
        assert text.count(t(f"cap_{need}", lang)) == 1, (need, scope, lang)
    assert text.count(t("cap_title", lang)) == 1
    # values known only as they are now are flagged where they feed a past month
    assert t("as_known_now", lang) in text and t("fc_optimistic_note", lang) in text
    # the method says what ran: no 12-fold backtest, no Benjamini-Hochberg over 0 tests
    assert not re.search(r"over 12 cutoffs|12 จุดตัด", text)
    assert "0 tests" not in text and "0 การทดสอบ" not in text
    # no sentence is printed twice
    sentences = [s.strip() for s in re.split(r"(?<=[.!?])\s+|\n", text) if len(s.strip()) > 60]
    repeated = {s for s in sentences if sentences.count(s) > 1}
    assert not repeated, repeated
    # no table column of dashes only, and no table without rows
    for rows in _tables(page):
        assert len(rows) > 1, rows
        for j, head in enumerate(rows[0]):
            column = [r[j] for r in rows[1:] if j < len(r)]
            assert set(column) != {"–"}, (head, scope, lang)


def test_the_sparse_export_is_what_the_test_says(sparse):
    """The fixture's shape, checked: only the required tables, four stages, no history."""
    from analysis.data.dataset import load_dataset

    data, _ = sparse
    ds = load_dataset(data)
    assert sorted(ds.tables) == ["opportunities", "reps", "teams"]
    assert set(ds["opportunities"]["stage"]) == {
        "prospecting",
        "proposal",
        "closed_won",
        "closed_lost",
    }
    months = ds["opportunities"]["created_at"].dt.to_period("M")
    assert months.nunique() >= 12 and ds.currency == "USD"
