"""The whole batch over the hostile fixture (tests/fixtures/hostile, issue 18): every team it
can is published, the one it cannot is named, names are text in every output, nothing is
unbounded; and each invalid variant stops the batch before anything is written."""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pypdfium2 as pdfium
import pytest
import yaml
from PIL import Image

from analysis.reports.batch import run_monthly

SPEC = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "hostile" / "hostile.yaml").read_text(encoding="utf-8")
)
MONTH = SPEC["month"]
SCRIPT_URL = re.compile(r"""(href|src)\s*=\s*["']?\s*(javascript|vbscript|data:text/html)""", re.I)


def _pdf_text(path: Path) -> str:
    pdf = pdfium.PdfDocument(str(path))
    return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


@pytest.fixture(scope="module")
def batch(hostile, tmp_path_factory):
    data, params = hostile
    out = tmp_path_factory.mktemp("hostile-batch")
    lines: list[str] = []
    results = run_monthly(
        data,
        month=MONTH,
        renderer="builtin",
        jobs=2,
        params_dir=params,
        reports_dir=out / "reports",
        build_dir=out / "build",
        echo=lines.append,
    )
    return {r.team_id: r for r in results}, out / "reports" / MONTH, lines


@pytest.mark.e2e
@pytest.mark.xdist_group("kernels")
def test_the_batch_publishes_every_team_it_can_and_names_the_one_it_cannot(batch):
    results, month, lines = batch
    teams = [*SPEC["teams"], SPEC["weak"]["new_team"][0], "phuket", "company"]
    assert sorted(results) == sorted(teams)
    failed = {t: r.error for t, r in results.items() if not r.ok}
    assert list(failed) == ["phuket"], {t: (e or "")[-800:] for t, e in failed.items()}
    assert "phuket.yaml: not_a_key" in failed["phuket"]
    assert any("FAIL" in line and "phuket" in line for line in lines)
    for team in teams:
        if team != "phuket":
            for fmt in ("html", "pdf"):
                assert (month / team / f"report.{fmt}").stat().st_size > 0, (team, fmt)
    index = (month.parent / "index.html").read_text(encoding="utf-8")
    for team in teams:
        assert (f"{MONTH}/{team}/report.pdf" in index) == (team != "phuket"), team


@pytest.mark.e2e
@pytest.mark.xdist_group("kernels")
def test_names_are_text_in_every_published_html(batch):
    _, month, _ = batch
    pages = {
        p.parent.name: p.read_text(encoding="utf-8").replace("<wbr>", "")
        for p in month.glob("*/report.html")
    }
    assert len(pages) == 6
    for team, page in pages.items():
        assert not SCRIPT_URL.search(page), team
        assert "<script>alert" not in page and "<img src=x" not in page, team
        assert "<b>South</b>" not in page and "<b>Chon</b>" not in page, team
    # the names are there, as written
    assert "Price $5,000 and $10 #1 // HQ" in pages["bangkok"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in pages["chiang-mai"]
    assert "فريق الرياض 🚀" in pages["company"]
    assert "[click-me](javascript:alert(3))" in pages["company"]


@pytest.mark.e2e
@pytest.mark.xdist_group("kernels")
def test_names_are_text_in_every_pdf(batch):
    _, month, _ = batch
    khon_kaen = _pdf_text(month / "khon-kaen" / "report.pdf")
    # the display name printed as written in the page frame: no red Typst call, no comment cut
    assert "#text(fill: red, size: 24pt)[TYPST-INJECTED] // tail" in khon_kaen
    bangkok = _pdf_text(month / "bangkok" / "report.pdf")
    assert "Price $5,000 and $10 #1 // HQ" in bangkok
    company = _pdf_text(month / "company" / "report.pdf")
    assert "Price $5,000 and $10" in company  # a rep's name in the company's tables


@pytest.mark.e2e
@pytest.mark.xdist_group("kernels")
def test_long_names_leave_every_chart_and_page_bounded(batch, hostile_build):
    """A 5,000-character team, manager, region and rep name: charts stay within the page's
    width and MAX_HEIGHT, the PDF does not grow pages of one name, the HTML holds the whole
    name only where it is meant to (tooltips)."""
    from analysis.reports import plots

    _, month, _ = batch
    long_name = hostile_build.LONG
    for page in month.glob("*/report.html"):
        text = page.read_text(encoding="utf-8").replace("<wbr>", "")
        for png in re.findall(r'src="data:image/png;base64,([^"]+)"', text):
            width, height = Image.open(io.BytesIO(base64.b64decode(png))).size
            assert width <= 12 * 144 and height <= (plots.MAX_HEIGHT + 1) * 144, (page, width)
        for whole in re.finditer(re.escape(long_name), text):
            before = text[max(0, whole.start() - 7) : whole.start()]
            assert before == 'title="', (page.parent.name, before)
    # in the PDF, not even wrapped over lines (a cell that ran pages of it once)
    squeezed = re.sub(r"\s+", "", long_name)[:150]
    for team in ("khon-kaen", "company"):
        pdf = pdfium.PdfDocument(str(month / team / "report.pdf"))
        assert len(pdf) <= 40, (team, len(pdf))
        assert squeezed not in re.sub(r"\s+", "", _pdf_text(month / team / "report.pdf")), team


@pytest.mark.parametrize("case", sorted(SPEC["invalid"]))
def test_an_invalid_variant_stops_the_batch_before_anything_is_written(
    case, hostile, hostile_build, tmp_path
):
    data = tmp_path / "data"
    shutil.copytree(hostile[0], data)
    message = hostile_build.invalid(data, case)
    reports = tmp_path / "reports"
    run = subprocess.run(
        [sys.executable, "-m", "analysis", "report", "--data", str(data)]
        + ["--params", str(hostile[1]), "--reports", str(reports)]
        + ["--build", str(tmp_path / "build"), "--renderer", "builtin"],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "AEM_CACHE_DIR": "off"},
    )
    assert run.returncode == 2, run.stderr[-2000:]
    assert message in run.stderr and str(data) in run.stderr
    assert "Traceback" not in run.stderr
    assert not reports.exists() and not (tmp_path / "build").exists()


@pytest.mark.e2e
@pytest.mark.quarto
@pytest.mark.xdist_group("kernels")
@pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto is not on PATH")
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_quarto_publishes_the_hostile_reports_as_the_builtin_renderer_does(
    batch, tmp_path, monkeypatch
):
    """Names with "$", "#", "<script>", Markdown links, backticks, right-to-left text and
    5,000 characters reach Quarto's Markdown, HTML and Typst: every published report comes out
    the same from both renderers (tests/parity.py), the page frame carrying a hostile name."""
    from parity import assert_same_report

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    results, _, _ = batch
    rendered = [r for r in results.values() if r.ok]
    assert len(rendered) == 6
    for result in rendered:
        page = {
            "title": f"Report: {result.team_id} Price $5 #1 // [x](y)",
            "scope_name": "Price $5,000 and $10 #1 // HQ",
            "month_label": "October 2026",
            "lang": "en",
            "content_hash": "e" * 64,
        }
        assert_same_report(result.executed, tmp_path / result.team_id, page)
