"""End to end: papermill executes the notebook per team, the renderer publishes HTML and PDF."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis.data.dataset import load_dataset
from analysis.data.validate import DataValidationError
from analysis.i18n import fmt_currency, fmt_percent
from analysis.metrics.kpis import kpis_for
from analysis.paths import PARAMS_DIR as PROJECT_PARAMS
from analysis.reports.batch import publish, run_monthly
from analysis.reports.render import choose_renderer

FIXTURES_DIR = Path(__file__).parent / "fixtures"
TEAMS = ["bangkok", "chiang-mai"]
SOURCE_DATE_EPOCH = "1790000000"  # 2026-09-21 14:13:20 UTC
EXTERNAL = re.compile(
    r"""(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:|//|ftp:)|url\(\s*["']?\s*(?:https?:|//)|@import""",
    re.IGNORECASE,
)
THAI = re.compile(r"[\u0E00-\u0E7F]")


@pytest.fixture(scope="module")
def published(small_dataset, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    # a fixed generation time: test_same_inputs_give_the_same_html renders again and compares
    previous = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    results = run_monthly(
        small_dataset,
        teams=[*TEAMS, "company"],
        renderer="builtin",
        jobs=2,
        reports_dir=out / "reports",
        build_dir=out / "build",
        echo=lambda _msg: None,
    )
    if previous is None:
        os.environ.pop("SOURCE_DATE_EPOCH")
    else:
        os.environ["SOURCE_DATE_EPOCH"] = previous
    return out, results


def test_same_inputs_give_the_same_html_and_pdf(published, small_dataset, tmp_path, monkeypatch):
    """Reproducible: the same data, params and environment give byte-identical HTML and PDF (with
    SOURCE_DATE_EPOCH fixing the generation time), forecasts and bootstraps included."""
    out, _ = published
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    again = run_monthly(
        small_dataset,
        teams=["bangkok"],
        renderer="builtin",
        jobs=1,
        reports_dir=tmp_path / "r",
        build_dir=tmp_path / "b",
        echo=lambda _m: None,
        force=True,
    )
    assert again[0].ok, again[0].error
    first = (out / "reports" / "2026-10" / "bangkok" / "report.html").read_bytes()
    second = (tmp_path / "r" / "2026-10" / "bangkok" / "report.html").read_bytes()
    assert first == second
    # the fixed time, not now: 14:13 UTC is 21:13 in Bangkok (the dataset's time zone), dated
    # in the Thai report's Buddhist-era calendar
    assert "21 กันยายน 2569 21:13 (UTC+7)".encode() in first
    # the PDF too: its creation date is SOURCE_DATE_EPOCH, not the time of the render
    first_pdf = (out / "reports" / "2026-10" / "bangkok" / "report.pdf").read_bytes()
    second_pdf = (tmp_path / "r" / "2026-10" / "bangkok" / "report.pdf").read_bytes()
    from pypdf import PdfReader

    assert PdfReader(io.BytesIO(first_pdf)).metadata["/CreationDate"] == "D:20260921141320Z"
    assert first_pdf == second_pdf


def _page(path: Path) -> str:
    """A published HTML page as its reader sees the text: without the `<wbr>` word-break hints
    between Thai words (reports.thaiwrap), which are no characters."""
    return path.read_text(encoding="utf-8").replace("<wbr>", "")


def _pdf_text(path: Path) -> str:
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(path))
    return "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def _team_names(dataset: Path) -> dict[str, str]:
    return load_dataset(dataset)["teams"].set_index("team_id")["team_name"].to_dict()


pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("kernels")]


def test_both_teams_publish_html_and_pdf(published):
    out, results = published
    assert [r.team_id for r in results] == sorted([*TEAMS, "company"])
    assert all(r.ok for r in results), [r.error for r in results]
    from analysis.i18n import t
    from analysis.reports.batch import REPORT_NOTEBOOKS

    for team in TEAMS:
        folder = out / "reports" / "2026-10" / team
        assert sorted(p.name for p in folder.iterdir()) == [
            ".inputs.json",
            "headline.json",
            "report.html",
            "report.pdf",
        ]
        assert all((folder / n).stat().st_size > 10_000 for n in ("report.html", "report.pdf"))
        # the parts composed into one notebook, executed once, kept as the record of the run
        record = out / "build" / "2026-10" / team / "report.ipynb"
        record_text = record.read_text(encoding="utf-8")
        for notebook in REPORT_NOTEBOOKS.values():
            assert notebook.stem.replace("_", "-") in record_text  # each part's cells are in it
        page = _page(folder / "report.html")
        # one report: the KPI part, then pipeline conversion, forecast and skills, in that order
        titles = ["report_title", "funnel_title", "forecast_title", "effects_title"]
        at = [page.index(f"{t(key, 'th')}:") for key in titles]
        assert at == sorted(at), "parts in order"
        # figures: 2 KPI, >= 5 funnel, >= 2 forecast (the short sample history has no backtest by
        # horizon to draw for every model), >= 3 forest plots
        assert page.count("data:image/png;base64,") >= 12
        assert "cmdstanpy" not in page and "INFO" not in page  # Prophet's logging kept out
    leftovers = [p.name for p in (out / "reports" / "2026-10").iterdir() if p.name.startswith(".")]
    assert leftovers == [], "staging folders must not be left behind"


def test_company_report_compares_the_teams(published, small_dataset):
    out, _ = published
    folder = out / "reports" / "2026-10" / "company"
    assert (folder / "report.html").is_file() and (folder / "report.pdf").is_file()
    page = _page(folder / "report.html")
    names = _team_names(small_dataset)
    table = page[page.index('class="report-table team-comparison"') :]
    table = table[: table.index("</table>")]
    assert all(names[team] in table for team in TEAMS)  # the only cross-team report
    ds = load_dataset(small_dataset)
    for team in TEAMS:  # each team's revenue, as the KPI engine computes it
        assert fmt_currency(kpis_for(ds, ds.latest_complete_month, team=team)["revenue"]) in table
    assert "ทั้งบริษัท" in page and not EXTERNAL.search(page)


def test_index_lists_every_report_with_working_links_and_headlines(published, small_dataset):
    import html as html_lib

    out, _ = published
    index = out / "reports" / "index.html"
    page = index.read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]+)"', page)
    assert len(links) == 2 * (len(TEAMS) + 1)  # HTML and PDF for each team and the company
    for link in links:  # relative, and each resolves to a published file
        assert (
            not link.startswith(("/", "http"))
            and (index.parent / html_lib.unescape(link)).is_file()
        )
    assert "ตุลาคม 2569" in page and not EXTERNAL.search(page) and "<script" not in page.lower()
    ds = load_dataset(small_dataset)
    for team in TEAMS:
        k = kpis_for(ds, ds.latest_complete_month, team=team)
        assert _team_names(small_dataset)[team] in page
        assert fmt_currency(k["revenue"]) in page and fmt_percent(k["quota_attainment"]) in page


def test_text_from_the_data_is_escaped(small_dataset, tmp_path, monkeypatch):
    """A rep or team called <script>... shows as text in the report's tables and the index."""
    from analysis.reports.site import write_index
    from analysis.reports.views import team as views

    data = tmp_path / "d"
    shutil.copytree(small_dataset, data)
    reps = pd.read_csv(data / "reps.csv", dtype=str)
    team_reps = reps["team_id"].eq("bangkok")
    reps.loc[team_reps.idxmax(), "rep_name"] = "<script>alert(1)</script>"
    reps.to_csv(data / "reps.csv", index=False)
    monkeypatch.setenv("AEM_DATA_DIR", str(data))
    ctx = views.open_report(team="bangkok", lang="en")
    shown = views.league(ctx).data  # the league table names every rep of the team
    assert (
        "<script>alert(1)</script>" not in shown
        and "&lt;script&gt;alert(1)&lt;/script&gt;" in shown
    )
    folder = tmp_path / "reports" / "2026-10" / "bangkok"
    folder.mkdir(parents=True)
    (folder / "report.html").write_text("x", encoding="utf-8")
    (folder / "headline.json").write_text('{"scope_name": "<b>x</b>"}', encoding="utf-8")
    index = write_index(tmp_path / "reports", "en").read_text(encoding="utf-8")
    assert "<b>x</b>" not in index and "&lt;b&gt;x&lt;/b&gt;" in index


def test_html_is_self_contained_with_team_and_thai_text(published, small_dataset):
    out, _ = published
    names = _team_names(small_dataset)
    for team in TEAMS:
        page = _page(out / "reports" / "2026-10" / team / "report.html")
        assert names[team] in page
        other = next(t for t in TEAMS if t != team)
        assert names[other] not in page, "a team's report must not mention another team"
        reps = load_dataset(small_dataset)["reps"]
        own = set(reps.loc[reps["team_id"].eq(team), "rep_name"])
        foreign = set(reps.loc[reps["team_id"].eq(other), "rep_name"]) - own
        assert foreign and not [n for n in foreign if n in page], "no other team's rep names"
        assert "ตุลาคม 2569" in page  # Thai month, Buddhist-era year
        assert not EXTERNAL.search(page), EXTERNAL.search(page)
        assert "<script" not in page.lower()
        assert page.count("data:image/png;base64,") >= 2  # both figures embedded
        assert "font-family: 'Noto Sans Thai'" in page and "data:font/ttf;base64," in page
        assert "def " not in page and "views." not in page, "code must be hidden"


def _squeezed(text: str) -> str:
    """`text` without whitespace: a name in a table cell may wrap over lines."""
    return re.sub(r"\s+", "", text)


def test_pdf_shows_own_reps_and_no_other_teams_names(published, small_dataset):
    out, _ = published
    ds = load_dataset(small_dataset)
    reps, names = ds["reps"], _team_names(small_dataset)
    for team in TEAMS:
        folder = out / "reports" / "2026-10" / team
        text = _squeezed(_pdf_text(folder / "report.pdf"))
        page = _page(folder / "report.html")
        own = set(reps.loc[reps["team_id"].eq(team), "rep_name"])
        shown = [n for n in own if n in page]
        assert len(shown) >= 3
        # Thai names read exactly as written (reports.pdftext mends Typst's text layer)
        missed = [n for n in shown if _squeezed(n) not in text]
        assert not missed, f"{team}: the PDF's text does not give own reps {missed}"
        others = set(reps.loc[reps["team_id"].ne(team), "rep_name"]) - own
        others |= {names[t] for t in TEAMS if t != team}
        found = [n for n in others if _squeezed(n) in text]
        assert not found, f"{team}'s PDF names other teams' people or teams: {found}"


def test_pdf_embeds_thai_font_figures_and_the_numbers(published, small_dataset):
    from pypdf import PdfReader

    out, _ = published
    ds = load_dataset(small_dataset)
    names = _team_names(small_dataset)
    for team in TEAMS:
        path = out / "reports" / "2026-10" / team / "report.pdf"
        reader = PdfReader(path)
        fonts, images = set(), 0
        for page in reader.pages:
            for font in page["/Resources"].get("/Font", {}).values():
                fonts.add(str(font.get_object()["/BaseFont"]))
            images += len(page.images)
        assert any("NotoSansThai" in f for f in fonts), fonts
        assert images >= 2, "both figures must be in the PDF"
        assert reader.pages[0].mediabox.width == pytest.approx(595.28, abs=1)  # A4 portrait
        # the team's name in the document title and, as written, in the page text: Typst's
        # doubled Thai clusters ("เป้ป้าหมาย", typst/typst#7610) are mended (reports.pdftext)
        assert names[team] in reader.metadata.title
        text = _pdf_text(path)
        assert "ตุลาคม 2569" in text and THAI.search(text)
        assert _squeezed(names[team]) in _squeezed(text)
        assert "เป้าหมาย" in text and "เป้ป้" not in text and "ทีที" not in text
        kpis = kpis_for(ds, ds.latest_complete_month, team=team)
        assert fmt_currency(kpis["revenue"]) in text  # the computed figure, formatted
        # the forecast part's quarter so far (October opens Q4) is the same KPI figure: it shows
        # at least twice (the KPI table and the quota outlook)
        assert text.count(fmt_currency(kpis["revenue"])) >= 2
        if kpis["win_rate"] is not None:
            assert fmt_percent(kpis["win_rate"]) in text


def test_pdf_tables_keep_the_red_amber_green_tints(published):
    """Every status the HTML tints (class rag-*) is painted in the PDF in the same colour."""
    import numpy as np
    import pypdfium2 as pdfium

    from analysis.metrics.scorecards import RAG_COLORS

    out, _ = published
    for team in [*TEAMS, "company"]:
        folder = out / "reports" / "2026-10" / team
        statuses = set(re.findall(r"\brag-(green|amber|red)\b", _page(folder / "report.html")))
        assert statuses, f"{team}: the scorecard has no red/amber/green cell to check"
        pdf = pdfium.PdfDocument(str(folder / "report.pdf"))
        pixels = np.concatenate(
            [
                np.asarray(pdf[i].render(scale=0.5).to_pil().convert("RGB")).reshape(-1, 3)
                for i in range(len(pdf))
            ]
        ).astype(int)
        for status, color in RAG_COLORS.items():
            rgb = np.array([int(color[k : k + 2], 16) for k in (1, 3, 5)])
            painted = int((np.abs(pixels - rgb).max(axis=1) <= 2).sum())
            assert (painted > 100) == (status in statuses), (team, status, painted)


def test_typst_fills_follow_the_status_classes():
    from analysis.metrics.scorecards import RAG_COLORS
    from analysis.reports.render import _typst_fills

    html = (
        '<td id="x" class="data rag-red">1</td><td class="data">2</td><td class="rag-green">3</td>'
    )
    out = _typst_fills(html)
    assert out.count("data-typst:fill") == 2
    assert f'data-typst:fill="rgb(&quot;{RAG_COLORS["red"]}&quot;)" class="data rag-red"' in out
    assert '<td class="data">2</td>' in out


def test_bad_data_publishes_nothing_and_keeps_the_old_report(published, small_dataset, tmp_path):
    out, _ = published
    reports = tmp_path / "reports"
    shutil.copytree(out / "reports", reports)
    before = {
        p: hashlib.sha256(p.read_bytes()).hexdigest() for p in reports.rglob("*") if p.is_file()
    }
    bad = tmp_path / "bad"
    shutil.copytree(small_dataset, bad)
    opps = (bad / "opportunities.csv").read_text(encoding="utf-8").splitlines()
    header = opps[0].split(",")
    row = opps[3].split(",")
    row[header.index("amount")] = "-5"
    opps[3] = ",".join(row)
    (bad / "opportunities.csv").write_text("\n".join(opps) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match=r"opportunities.amount: must be >= 0 — rows 3"):
        run_monthly(
            bad,
            teams=TEAMS,
            renderer="builtin",
            reports_dir=reports,
            build_dir=tmp_path / "build",
            echo=lambda _m: None,
        )
    after = {
        p: hashlib.sha256(p.read_bytes()).hexdigest() for p in reports.rglob("*") if p.is_file()
    }
    assert after == before
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "report", "--data", str(bad), "--teams", "bangkok"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "opportunities.amount: must be >= 0" in proc.stderr


def _hashes(root: Path) -> dict:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def test_unchanged_inputs_are_skipped_and_force_re_renders(published, small_dataset, tmp_path):
    out, _ = published
    reports = tmp_path / "reports"
    shutil.copytree(out / "reports", reports)
    before = _hashes(reports)
    for team in TEAMS:
        mode = (reports / "2026-10" / team).stat().st_mode & 0o777
        assert mode & 0o044 == 0o044, "a published report is readable by others (umask 022)"
    lines: list[str] = []
    again = run_monthly(
        small_dataset,
        teams=TEAMS,
        renderer="builtin",
        jobs=1,
        reports_dir=reports,
        build_dir=tmp_path / "build",
        echo=lines.append,
    )
    assert [r.skipped for r in again] == [True, True] and all(r.ok for r in again)
    assert _hashes(reports) == before
    assert sum(line.lstrip().startswith("same") for line in lines) == 2
    # FORCE re-renders: here the renderer crashes half way, so the old report must survive whole
    import analysis.reports.batch as report

    def crash(executed, staging, page, name):
        (staging / f"{name}.html").write_text("half written", encoding="utf-8")
        raise report.RenderError("renderer crashed (test)")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(report, "render_builtin", crash)
        forced = run_monthly(
            small_dataset,
            teams=["bangkok"],
            renderer="builtin",
            jobs=1,
            reports_dir=reports,
            build_dir=tmp_path / "build",
            echo=lambda _m: None,
            force=True,
        )
    assert not forced[0].ok and not forced[0].skipped and "renderer crashed" in forced[0].error
    assert forced[0].executed is not None and forced[0].executed.is_file()  # kept for diagnosis
    assert _hashes(reports) == before
    assert not [p for p in (reports / "2026-10").iterdir() if p.name.startswith(".")]


def _changed_copy(data: Path, folder: Path, team: str) -> Path:
    """A copy of `data` in which `team`'s open deals are worth 10% more, its reps logged a third
    fewer activities in the first half of October, its leads score 5 points higher and its
    customers answered every survey with a 5: the team's own figures move, none of the
    company-wide ones its report or another team's shows (as-of date, losses, skill tests)."""
    shutil.copytree(data, folder)
    reps = pd.read_csv(folder / "reps.csv", dtype=str)
    members = set(reps.loc[reps["team_id"].eq(team), "rep_id"])
    opps = pd.read_csv(folder / "opportunities.csv", dtype=str, keep_default_na=False)
    open_ = opps["rep_id"].isin(members) & ~opps["stage"].str.startswith("closed")
    assert open_.sum() > 0
    opps.loc[open_, "amount"] = (opps.loc[open_, "amount"].astype(float) * 1.1).round().astype(str)
    opps.to_csv(folder / "opportunities.csv", index=False)
    acts = pd.read_csv(folder / "activities.csv", dtype=str, keep_default_na=False)
    when = acts["occurred_at"].str[:10]
    drop = acts["rep_id"].isin(members) & when.between("2026-10-01", "2026-10-15")
    drop &= acts.index.to_series() % 3 == 0
    assert drop.sum() > 0
    acts[~drop].to_csv(folder / "activities.csv", index=False)
    leads = pd.read_csv(folder / "leads.csv", dtype=str, keep_default_na=False)
    mine = leads["rep_id"].isin(members)
    scores = (leads.loc[mine, "lead_score"].astype(float) + 5).clip(upper=100)
    leads.loc[mine, "lead_score"] = scores.astype(str)
    leads.to_csv(folder / "leads.csv", index=False)
    csat = pd.read_csv(folder / "csat.csv", dtype=str, keep_default_na=False)
    csat.loc[csat["rep_id"].isin(members), "score"] = "5"
    csat.to_csv(folder / "csat.csv", index=False)
    return folder


def _published_page(reports: Path, team: str, *data: Path) -> str:
    """A published report's HTML without what names the dataset: its folder, its content hash."""
    text = (reports / "2026-10" / team / "report.html").read_text(encoding="utf-8")
    for folder in data:
        text = text.replace(str(folder), "DATA")
    return re.sub(r"(?:[0-9a-f]{12}|[0-9a-f]{16})(?![0-9a-f])", "HASH", text)


def test_a_team_whose_data_did_not_change_is_not_rendered_again(
    published, small_dataset, tmp_path, monkeypatch
):
    """The unchanged-inputs key is per team (issue 21): after one team's deals and activities
    change, that team is rendered again and the other is kept; the kept report is what rendering
    it again from the changed data gives (the key misses nothing it shows); and a change to a
    company-wide figure that every team's report shows (the month's losses by reason) changes
    every team's key."""
    from analysis.reports.dependencies import team_digests

    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    out, _ = published
    reports = tmp_path / "reports"
    shutil.copytree(out / "reports", reports)
    changed = _changed_copy(small_dataset, tmp_path / "data", "chiang-mai")
    month = pd.Period("2026-10", "M")
    before = team_digests(load_dataset(small_dataset), month, TEAMS)
    after = team_digests(load_dataset(changed), month, TEAMS)
    assert after["bangkok"] == before["bangkok"] and after["chiang-mai"] != before["chiang-mai"]
    kept_page = _published_page(reports, "bangkok", small_dataset)
    old_chiang_mai = _published_page(reports, "chiang-mai", small_dataset)
    results = run_monthly(
        changed,
        teams=TEAMS,
        renderer="builtin",
        jobs=1,
        reports_dir=reports,
        build_dir=tmp_path / "build",
        echo=lambda _m: None,
    )
    by_team = {r.team_id: r for r in results}
    assert all(r.ok for r in results)
    assert by_team["bangkok"].skipped and not by_team["chiang-mai"].skipped
    assert _published_page(reports, "bangkok", small_dataset) == kept_page
    assert (
        _published_page(reports, "chiang-mai", changed) != old_chiang_mai
    )  # the change shows where it should
    # the kept report is the report: bangkok rendered again from the changed data is the same
    again = run_monthly(
        changed,
        teams=["bangkok"],
        renderer="builtin",
        jobs=1,
        reports_dir=tmp_path / "again",
        build_dir=tmp_path / "build-again",
        echo=lambda _m: None,
    )
    assert again[0].ok and not again[0].skipped
    assert _published_page(tmp_path / "again", "bangkok", changed) == kept_page
    # the kept report's stamp now names the changed dataset: the next run needs no digest
    import analysis.reports.batch as batch

    asked: list = []
    monkeypatch.setattr(batch, "team_digests", lambda _ds, _m, ids: asked.extend(ids) or {})
    third = run_monthly(
        changed,
        teams=TEAMS,
        renderer="builtin",
        reports_dir=reports,
        build_dir=tmp_path / "build",
        echo=lambda _m: None,
    )
    assert [r.skipped for r in third] == [True, True] and asked == []
    # a company-wide figure: one of chiang-mai's October losses given another reason
    opps = pd.read_csv(changed / "opportunities.csv", dtype=str, keep_default_na=False)
    reps = pd.read_csv(changed / "reps.csv", dtype=str)
    lost = (
        opps["rep_id"].isin(reps.loc[reps["team_id"].eq("chiang-mai"), "rep_id"])
        & opps["stage"].eq("closed_lost")
        & opps["closed_at"].str.startswith("2026-10")
    )
    assert lost.any()
    opps.loc[lost.idxmax(), "loss_reason"] = "another reason"
    opps.to_csv(changed / "opportunities.csv", index=False)
    moved = team_digests(load_dataset(changed), month, TEAMS)
    assert moved["bangkok"] != after["bangkok"] and moved["chiang-mai"] != after["chiang-mai"]


def test_input_key_changes_with_params_data_and_renderer():
    from analysis.reports.batch import input_key
    from analysis.reports.params import TeamParams

    month = pd.Period("2026-10", "M")
    team = TeamParams(team_id="bangkok")
    key = input_key(team, month, "abc", "builtin")
    assert key == input_key(TeamParams(team_id="bangkok"), month, "abc", "builtin")
    assert key != input_key(team, month, "abc", "builtin", data="team-digest")
    assert key != input_key(TeamParams(team_id="bangkok", lang="en"), month, "abc", "builtin")
    assert key != input_key(team, month, "abd", "builtin")
    assert key != input_key(team, month, "abc", "quarto")
    assert key != input_key(team, month + 1, "abc", "builtin")


def test_required_tables_only_render_and_say_what_is_missing(small_dataset, tmp_path):
    data = tmp_path / "minimal"
    data.mkdir()
    for name in ("teams.csv", "reps.csv", "dataset.yaml"):
        shutil.copy(small_dataset / name, data / name)
    opps = pd.read_csv(small_dataset / "opportunities.csv", dtype=str).assign(lead_id=None)
    opps.to_csv(data / "opportunities.csv", index=False)
    results = run_monthly(
        data,
        teams=["chiang-mai"],
        renderer="builtin",
        reports_dir=tmp_path / "r",
        build_dir=tmp_path / "b",
        echo=lambda _m: None,
    )
    assert results[0].ok, results[0].error
    page = _page(tmp_path / "r" / "2026-10" / "chiang-mai" / "report.html")
    from analysis.i18n import t

    # the team's params say Thai; the one note says what the missing tables would add
    assert page.count(t("cap_title", "th")) == 1 and t("cap_quotas", "th") in page
    assert t("cap_stage_history", "th") in page
    assert (tmp_path / "r" / "2026-10" / "chiang-mai" / "report.pdf").is_file()


def test_unknown_team_and_bad_month_are_named(small_dataset, tmp_path):
    kwargs = dict(
        renderer="builtin",
        reports_dir=tmp_path / "r",
        build_dir=tmp_path / "b",
        echo=lambda _m: None,
    )
    with pytest.raises(
        ValueError, match=r"TEAMS: 'atlantis' is not a team of .* \(valid: bangkok, chiang-mai, "
    ):
        run_monthly(small_dataset, teams=["atlantis"], **kwargs)
    with pytest.raises(ValueError, match="must be a slug"):
        run_monthly(small_dataset, teams=["../etc"], **kwargs)
    with pytest.raises(ValueError, match=r"MONTH: 2026-11 is not complete"):
        run_monthly(small_dataset, month="2026-11", teams=["bangkok"], **kwargs)
    with pytest.raises(ValueError, match=r"MONTH: '2026-1' is not a month"):
        run_monthly(small_dataset, month="2026-1", teams=["bangkok"], **kwargs)
    assert not (tmp_path / "r").exists()


def test_publish_replaces_whole_folders(tmp_path):
    target = tmp_path / "reports" / "2026-10" / "north"
    target.mkdir(parents=True)
    (target / "report.html").write_text("old")
    staging = tmp_path / "reports" / "2026-10" / ".north.staging"
    staging.mkdir()
    (staging / "report.html").write_text("new")
    (staging / "report.pdf").write_text("new pdf")
    publish(staging, target)
    assert _page(target / "report.html") == "new" and (target / "report.pdf").is_file()
    assert sorted(p.name for p in target.parent.iterdir()) == ["north"]


def test_publish_failure_keeps_the_old_report(tmp_path):
    target = tmp_path / "2026-10" / "north"
    target.mkdir(parents=True)
    (target / "report.html").write_text("old")
    with pytest.raises(OSError):
        publish(tmp_path / "missing-staging", target)
    assert _page(target / "report.html") == "old"


def test_renderer_choice(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda _name: None)
    assert choose_renderer("auto") == "builtin"
    with pytest.raises(ValueError, match="no `quarto` executable is on PATH"):
        choose_renderer("quarto")
    with pytest.raises(ValueError, match="not one of auto, builtin, quarto"):
        choose_renderer("latex")
    monkeypatch.setattr(shutil, "which", lambda _name: "/usr/local/bin/quarto")
    assert choose_renderer("auto") == "quarto"


@pytest.mark.quarto
@pytest.mark.skipif(
    shutil.which("quarto") is None,
    reason="quarto is not on PATH (it cannot be installed from PyPI here); the built-in renderer is tested instead",
)
def test_quarto_renders_the_same_files(small_dataset, tmp_path):
    results = run_monthly(
        small_dataset,
        teams=["bangkok"],
        renderer="quarto",
        reports_dir=tmp_path / "r",
        build_dir=tmp_path / "b",
        echo=lambda _m: None,
    )
    assert results[0].ok, results[0].error
    for name in ("report.html", "report.pdf"):
        assert (tmp_path / "r" / "2026-10" / "bangkok" / name).is_file()
    # the real Quarto's HTML: the Thai font embedded, nothing loaded from outside (issue 19)
    text = (tmp_path / "r" / "2026-10" / "bangkok" / "report.html").read_text(encoding="utf-8")
    assert re.search(r"@font-face \{ font-family: 'Noto Sans Thai'[^}]*base64,", text)
    remote = re.compile(r"""(src|href)\s*=\s*["']?(https?:)?//|@import\s+url""", re.IGNORECASE)
    assert not remote.search(text), remote.search(text)
    # one title: the notebook's own heading, no Quarto title block above it; the page's title is
    # the report's, not the name of Quarto's temporary input
    assert 'class="title"' not in text
    (title,) = re.findall(r"<title>(.*?)</title>", text, re.DOTALL)
    assert "quarto-input" not in title and "2569" in title, title
    # the PDF's page frame is the built-in one's: running header from page 2, footer with the
    # data's hash, the version and the renderer on every page
    pdf = tmp_path / "r" / "2026-10" / "bangkok" / "report.pdf"
    pages = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) > 2
    for number, text in enumerate(pages, 1):
        assert re.search(r"analysis \S+ · quarto · ", text), (number, text[-300:])
        assert f"{number} / {len(pages)}" in text
    # Thai in the project's font, and copied Thai reads right (Quarto had read the font paths as
    # relative to its input: no Thai font, and words missing letters when copied)
    fonts_used = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True).stdout
    assert "NotoSansThai" in fonts_used, fonts_used
    assert "รายงานผลการขายประจำเดือน" in pages[0]


@pytest.mark.parametrize("enabled", [False, True])
def test_progress_counts_done_running_and_failed(enabled, capsys):
    from analysis.reports.progress import Progress, TeamResult

    lines: list[str] = []
    bar = Progress(3, 2, lines.append, enabled=enabled)
    bar.started()
    bar.started()
    assert (bar.done, bar.running, bar.failed) == (0, 2, 0)
    bar.finished(TeamResult("a", True, 1.0, (Path("r/a/report.html"),)))
    bar.started()
    bar.finished(TeamResult("b", False, 1.0, error="boom"))
    bar.finished(TeamResult("c", True, 0.0, (Path("r/c/report.html"),), skipped=True))
    bar.close()
    assert (bar.done, bar.running, bar.failed) == (3, 0, 1)
    shown = "\n".join(lines) + capsys.readouterr().out
    assert "FAIL  b" in shown and "same  c" in shown and "ok    a" in shown


def test_a_failing_team_does_not_stop_the_others(small_dataset, tmp_path, monkeypatch, capsys):
    """Bad params for one team and a notebook exception for another: each fails alone, with its
    reason (and the executed notebook with the traceback); the third team is published; the
    command exits 1. The report parts are a small stand-in notebook to keep this test fast."""
    import analysis.reports.batch as report
    from analysis.cli import main

    data = tmp_path / "data"  # the small dataset plus a third team, phuket (no reps yet)
    shutil.copytree(small_dataset, data)
    with (data / "teams.csv").open("a", encoding="utf-8") as fh:
        fh.write("phuket,ทีมภูเก็ต,Jane Doe,South\n")
    params = tmp_path / "params"
    shutil.copytree(PROJECT_PARAMS, params)
    (params / "phuket.yaml").write_text("team_id: phuket\nlangauge: en\n", encoding="utf-8")
    (params / "hat-yai.yaml").unlink()
    (params / "khon-kaen.yaml").unlink()
    (params / "chonburi.yaml").unlink()
    part = Path(__file__).parent / "fixtures" / "notebooks" / "part.ipynb"
    monkeypatch.setattr(report, "REPORT_NOTEBOOKS", {"report": part})
    results = run_monthly(
        data,
        teams=["bangkok", "chiang-mai", "phuket"],
        renderer="builtin",
        jobs=1,
        reports_dir=tmp_path / "r",
        build_dir=tmp_path / "b",
        params_dir=params,
        echo=lambda _m: None,
    )
    by_team = {r.team_id: r for r in results}
    assert (
        by_team["bangkok"].ok and (tmp_path / "r" / "2026-10" / "bangkok" / "report.pdf").is_file()
    )
    bad = by_team["phuket"]
    assert not bad.ok and "phuket.yaml" in bad.error and "langauge" in bad.error
    crashed = by_team["chiang-mai"]
    assert not crashed.ok and "fails on purpose" in crashed.error
    assert "fails on purpose" in crashed.executed.read_text(encoding="utf-8")  # the traceback
    assert not (tmp_path / "r" / "2026-10" / "chiang-mai").exists()
    assert not (tmp_path / "r" / "2026-10" / "phuket").exists()
    # the command line: the same run exits 1 and names the failed teams
    monkeypatch.setattr(report, "PARAMS_DIR", params)
    monkeypatch.setattr(report, "REPORTS_DIR", tmp_path / "r2")
    monkeypatch.setattr(report, "BUILD_DIR", tmp_path / "b2")
    code = main(["report", "--data", str(data), "--teams", "bangkok,chiang-mai", "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 1 and "failed: chiang-mai" in out
    assert "FAILED" in out and "fails on purpose" in out  # the end-of-run summary table


def test_summary_table_lists_every_report_with_its_status():
    from analysis.reports.progress import TeamResult, summary_table

    table = summary_table(
        [
            TeamResult("bangkok", True, 31.04, (Path("reports/2026-10/bangkok/report.html"),)),
            TeamResult(
                "chiang-mai",
                False,
                2.5,
                error="RuntimeError: boom\ntrace",
                executed=Path("b/x.ipynb"),
            ),
            TeamResult(
                "company", True, 0.0, (Path("reports/2026-10/company/report.html"),), skipped=True
            ),
        ]
    )
    lines = table.splitlines()
    assert lines[0].split() == ["report", "status", "seconds", "published", "/", "error"]
    assert (
        lines[1].split()[:3] == ["bangkok", "ok", "31.0"] and "reports/2026-10/bangkok" in lines[1]
    )
    assert lines[2].split()[:3] == ["chiang-mai", "FAILED", "2.5"]
    assert "RuntimeError: boom" in lines[2] and "trace" not in lines[2] and "b/x.ipynb" in lines[2]
    assert lines[3].split()[:2] == ["company", "same"]


def test_no_report_cell_writes_to_stderr_or_warns(published):
    """Warnings and log lines from the libraries (a pink block in Lab and in the HTML) stay out
    of every executed report notebook."""
    out, results = published
    executed = [r.executed for r in results if r.executed is not None]
    assert len(executed) == len(results) == 3
    noise = []
    for path in executed:
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "stream" and output.get("name") == "stderr":
                    noise.append(f"{path.parent.name}: {output['text'][:300]}")
    assert not noise, noise


def test_every_figure_has_alternative_text_from_its_own_labels(published):
    """Issue 14: the HTML's images read "No description has been provided for this image" (16
    times); each now carries its chart's titles, axis labels and legend (plots.alt_text)."""
    from analysis.i18n import t

    out, _ = published
    for team in TEAMS:
        page = _page(out / "reports" / "2026-10" / team / "report.html")
        alts = re.findall(r'<img\b[^>]*\balt="([^"]*)"', page)
        assert len(alts) == page.count("<img"), "every image has an alt attribute"
        assert len(alts) >= 8
        assert "No description has been provided" not in page
        assert all(alt.strip() for alt in alts)
        assert any(t("rep_chart", "th") in alt for alt in alts)  # the rep chart says what it is


def _visible_text(page: str) -> str:
    import html as html_lib

    page = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", " ", page, flags=re.S)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def test_no_code_is_shown_untranslated_in_a_thai_report(published, small_dataset):
    """Issue 14, item 10: a Thai report showed `renewal`, `cross_sell`, `new_business`,
    `(no lead)`, `created/qualified/converted` and an `age` header. No value of a contract enum,
    no lead step and no lead source that has words (i18n.fmt_code) appears as the raw code."""
    from analysis.data.contract import TABLES
    from analysis.i18n import TEXT

    codes = {v for table in TABLES.values() for c in table.columns if c.enum for v in c.enum}
    sources = set(load_dataset(small_dataset)["leads"]["source"].dropna())
    codes |= {s for s in sources if f"lead_source_{s}" in TEXT} | {"(no lead)"}
    codes |= {"created", "qualified", "converted", "age"}
    assert {"renewal", "web", "(no lead)"} <= codes  # the check knows the codes it looks for
    out, _ = published
    for team in [*TEAMS, "company"]:
        page = _page(out / "reports" / "2026-10" / team / "report.html")
        text = _visible_text(page)
        shown = {c for c in codes if re.search(rf"(?<![\w(]){re.escape(c)}(?![\w)])", text)}
        assert not shown, f"{team}: raw codes in the Thai report: {sorted(shown)}"


def test_no_executed_cell_prints_warnings_or_logs(published):
    """Issue 14, item 10: a warning or a log line printed by a library lands in the report as
    text. No executed cell of any report has a stream output or warning text."""
    import nbformat

    _, results = published
    for result in results:
        nb = nbformat.read(result.executed, as_version=4)
        for i, cell in enumerate(nb.cells):
            for output in cell.get("outputs", []):
                assert output.get("output_type") != "stream", (result.team_id, i, output)
                text = str(output.get("data", {}).get("text/plain", ""))
                assert "Warning" not in text and "Traceback" not in text, (result.team_id, i)


def test_p_values_and_waterfall_terms_read_as_a_reader_expects(published):
    """Issue 14: p-values printed as "0.000" under a "p" header; the waterfall's sentence gave
    "+ ฿965,000 − ฿380,000" with no word for either term."""
    from analysis.i18n import t

    out, _ = published
    for team in [*TEAMS, "company"]:
        page = _page(out / "reports" / "2026-10" / team / "report.html")
        text = _visible_text(page)
        assert not re.search(r"(?<![\d.,])0\.000(?![\d])", text), team
        # the waterfall's sentence: start + created + increased − decreased − won − lost = end
        start = text.index("ต้นเดือน ฿")
        balance = text[start : text.index("สิ้นเดือน", start)]
        assert not re.search(r"[+−] ฿", balance), f"{team}: an unnamed term in {balance!r}"
        assert t("wf_increased", "th") in balance and t("wf_decreased", "th") in balance


def test_pipeline_coverage_reads_one_way_everywhere(published):
    """Issue 14: coverage was "116.9%" against "300.0%" in the KPI table, "1.2 เท่า" in a
    sentence and "0.4x" in the coaching table. It is a multiple, "1.2×", in every view."""
    from analysis.i18n import kpi_label

    out, _ = published
    label = kpi_label("pipeline_coverage", "th")
    for team in TEAMS:
        page = _page(out / "reports" / "2026-10" / team / "report.html")
        text = _visible_text(page)
        table = _visible_text(
            page[page.index('class="report-table kpi-table') :]
        )  # the headline table's row
        row = re.search(re.escape(label) + r"\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)", table)
        assert row, team
        now, before, change, target = row.groups()
        assert re.fullmatch(r"\d+\.\d×|–", now) and re.fullmatch(r"\d+\.\d×|–", before), row[0]
        assert re.fullmatch(r"[+−-]\d+\.\d×|–", change) and target == "3.0×", row[0]
        assert not re.search(r"\d\.\dx\b", text) and "เท่า ขณะที่" not in text
        assert text.count("×") >= 4  # the table, the sentence, the coaching table


HEADING_PT = 13  # the reports' body and table text is 8-11 pt, their headings 14 pt and more


def test_no_pdf_page_is_a_lone_heading_or_crops_a_figure(published):
    """Issue 14, item 10: a heading alone at the foot of a page (its figure pushed to the next)
    and a figure taller than the page (cropped: top reps and the x axis missing). Every page has
    more than a heading, and every image lies within its page."""
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    out, _ = published
    for team in [*TEAMS, "company"]:
        pdf = pdfium.PdfDocument(str(out / "reports" / "2026-10" / team / "report.pdf"))
        for number in range(len(pdf)):
            page = pdf[number]
            width, height = page.get_size()
            images = [o for o in page.get_objects() if o.type == pdfium_c.FPDF_PAGEOBJ_IMAGE]
            for image in images:
                left, bottom, right, top = image.get_bounds()
                assert bottom >= -1 and top <= height + 1 and right <= width + 1, (team, number)
            # the text between the running header and the footer: heading-size or body-size
            text = page.get_textpage()
            sizes = [
                pdfium_c.FPDFText_GetFontSize(text, i)
                for i in range(text.count_chars())
                if 0.08 * height < text.get_charbox(i)[1] < 0.92 * height
                and not text.get_text_range(i, 1).isspace()
            ]
            headings, body = sum(s >= HEADING_PT for s in sizes), sum(s < HEADING_PT for s in sizes)
            assert images or body or not headings, f"{team}: page {number + 1} is a lone heading"


def _page_text(pdf: Path, page: int) -> str:
    """One page's text as pdftotext extracts it (it reads the mended Thai clusters right)."""
    return subprocess.run(
        ["pdftotext", "-f", str(page), "-l", str(page), "-layout", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout


def _quarter_quota(ds, team: str | None) -> float:
    """Q4 2026's quota (the quarter sold in after October), summed by hand from the quotas."""
    reps = ds["reps"] if team is None else ds["reps"][ds["reps"]["team_id"].eq(team)]
    q = ds["quotas"]
    months = {"2026-10", "2026-11", "2026-12"}
    return float(
        q[q["rep_id"].isin(reps["rep_id"]) & q["month"].astype(str).isin(months)][
            "quota_amount"
        ].sum()
    )


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_page_one_is_the_brief(published, small_dataset):
    """Issue 14, item 1: page 1 of every report is the brief: the month, the quarter against its
    quota (the quota summed here from the quotas table), the largest risks and the actions."""
    from analysis.i18n import t

    out, _ = published
    ds = load_dataset(small_dataset)
    for team in [*TEAMS, "company"]:
        text = _squeezed(_page_text(out / "reports" / "2026-10" / team / "report.pdf", 1))
        for key in ("brief", "brief_month", "brief_quarter_head", "brief_risks"):
            assert _squeezed(t(key, "th")) in text, (team, key)
        quota = _quarter_quota(ds, None if team == "company" else team)
        assert _squeezed(fmt_currency(quota)) in text, (team, "quarter quota")
        assert _squeezed("ไตรมาส 4/2569") in text  # the quarter, in the report's calendar
        assert "{" not in text and "}" not in text  # no unfilled template field


def test_company_report_opens_with_the_teams_worst_first(published, small_dataset):
    """Issue 14, item 2: the company report's first table is every team, lowest quota
    attainment first (attainment worked out here from deals and quotas), off-target teams named
    in the summary; the rep ranking comes after it, with a team column."""
    from analysis.i18n import t

    out, _ = published
    page = _page(out / "reports" / "2026-10" / "company" / "report.html")
    ds = load_dataset(small_dataset)
    names = _team_names(small_dataset)
    opps, reps, quotas = ds["opportunities"], ds["reps"], ds["quotas"]
    won = opps[
        opps["stage"].eq("closed_won")
        & opps["closed_at"].dt.to_period("M").eq(pd.Period("2026-10"))
    ]
    attainment = {}
    for team in TEAMS:
        ids = reps.loc[reps["team_id"].eq(team), "rep_id"]
        quota = quotas[quotas["rep_id"].isin(ids) & quotas["month"].astype(str).eq("2026-10")]
        attainment[team] = (
            won[won["rep_id"].isin(ids)]["amount"].sum() / quota["quota_amount"].sum()
        )
    worst_first = [names[team] for team in sorted(TEAMS, key=attainment.get)]
    table = page[page.index('class="report-table team-comparison') :]
    table = table[: table.index("</table>")]
    assert [table.index(n) for n in worst_first] == sorted(table.index(n) for n in worst_first)
    tables = [f'class="report-table {c}' for c in ("team-comparison", "kpi-table", "league-table")]
    assert [page.index(c) for c in tables] == sorted(page.index(c) for c in tables)
    league = page[page.index(tables[2]) :]
    assert f">{t('team', 'th')}<" in league[: league.index("</thead>")]
    for team in TEAMS:  # shown as the table shows it, in the order of the hand computation
        assert fmt_percent(attainment[team]) in table


def test_the_deals_behind_the_month_are_shown(published, small_dataset):
    """Issue 14, item 3: loss reasons (the largest reason's value summed here by hand), the
    largest deals won and lost (the largest deal's value by hand), slipped deals, concentration."""
    from analysis.i18n import t

    out, _ = published
    ds = load_dataset(small_dataset)
    opps, reps = ds["opportunities"], ds["reps"]
    in_month = opps["closed_at"].dt.to_period("M").eq(pd.Period("2026-10"))
    for team in TEAMS:
        page = _page(out / "reports" / "2026-10" / team / "report.html")
        mine = opps["rep_id"].isin(reps.loc[reps["team_id"].eq(team), "rep_id"]) & in_month
        lost = opps[mine & opps["stage"].eq("closed_lost")]
        by_reason = lost.groupby("loss_reason")["amount"].sum().sort_values(ascending=False)
        section = page[page.index('class="report-table loss-reasons') :]
        assert fmt_currency(by_reason.iloc[0]) in section[: section.index("</table>")]
        for kind, stage in (("won", "closed_won"), ("lost", "closed_lost")):
            biggest = opps[mine & opps["stage"].eq(stage)]["amount"].max()
            table = page[page.index(f'class="report-table deals-{kind}') :]
            assert fmt_currency(biggest) in table[: table.index("</tr>", table.index("<tbody"))]
        assert "deals-slipped" in page or t("no_deals_slipped", "th") in page
        for key in ("deals_section", "loss_reasons", "deals_won_top", "deals_lost_top"):
            assert t(key, "th") in page, key


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _browser(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_chromium(), "--headless=new", "--no-sandbox", "--disable-gpu", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.skipif(
    _chromium() is None,
    reason="needs headless Chromium (Debian package chromium; .ci/run installs it as root)",
)
def test_index_in_a_real_browser(published, small_dataset, tmp_path):
    """Issue 14, item 9: Chromium opens reports/index.html, every link it finds leads to a page
    or file that opens (HTML reports to their team's page, PDFs to a PDF, month anchors to their
    section), the teams are listed lowest attainment first with their status, and the page is
    screenshot at 1280 and 390 px."""
    import html as html_lib

    from PIL import Image

    from analysis.i18n import t

    out, _ = published
    index = out / "reports" / "index.html"
    dom = _browser("--dump-dom", index.as_uri()).stdout
    assert "<table" in dom, "Chromium did not load the index"
    links = [html_lib.unescape(h) for h in re.findall(r'href="([^"]+)"', dom)]
    names = _team_names(small_dataset)
    assert len(links) >= 2 * (len(TEAMS) + 1)
    for link in links:
        if link.startswith("#"):
            assert f'id="{link[1:]}"' in dom, link
            continue
        target = (index.parent / link).resolve()
        assert target.is_file(), link
        if target.suffix == ".pdf":
            assert target.read_bytes()[:5] == b"%PDF-", link
            continue
        page = _browser("--dump-dom", target.as_uri()).stdout
        scope = target.parent.name
        expected = t("company", "th") if scope == "company" else names[scope]
        assert "<h1" in page and expected in page, link
    # worst first within the month, each team with its status word beside the tint
    ds = load_dataset(small_dataset)
    attainment = {
        team: kpis_for(ds, ds.latest_complete_month, team=team)["quota_attainment"]
        for team in TEAMS
    }
    order = [names[team] for team in sorted(TEAMS, key=attainment.get)]
    assert [dom.index(n) for n in order] == sorted(dom.index(n) for n in order)
    assert dom.index(t("company", "th")) < min(dom.index(n) for n in order)
    assert re.search(r"rag-(green|amber|red)", dom) and t("data_as_of", "th") in dom
    for width in (1280, 390):
        shot = tmp_path / f"index-{width}.png"
        _browser(f"--screenshot={shot}", f"--window-size={width},1400", index.as_uri())
        image = Image.open(shot)
        assert image.size == (width, 1400)
        assert len(image.convert("RGB").getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50


@pytest.mark.skipif(
    _chromium() is None,
    reason="needs headless Chromium (Debian package chromium; .ci/run installs it as root)",
)
@pytest.mark.parametrize("width", [390, 1280])
def test_reports_read_on_a_phone_and_a_desktop(published, width):
    """Issue 14, item 8, in a real browser: at 390 px the page never scrolls sideways, the KPI
    tables show each row's name, value and status inside the window, and Thai wraps only between
    words: every word the browser broke over two lines breaks into dictionary words (Chromium
    alone broke "รายได้จา / กดีล")."""
    from browser import evaluate
    from pythainlp.corpus import thai_words

    from analysis.reports.thaiwrap import WORDS
    from analysis.reports.thaiwrap import thai_words as segment

    dictionary = set(thai_words()) | WORDS
    script = (FIXTURES_DIR / "browser" / "phone_layout.js").read_text(encoding="utf-8")
    out, _ = published
    for team in [*TEAMS, "company"]:
        page = out / "reports" / "2026-10" / team / "report.html"
        seen = evaluate(page, script, width)
        assert seen["scrollWidth"] <= width + 1, (team, seen["scrollWidth"])
        assert seen["cut"] == [], (team, seen["cut"][:5])
        assert seen["checked"] > 500  # Thai words were found and measured
        for text, cuts in seen["split"]:
            parts = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
            assert all(w in dictionary for p in parts for w in segment(p)), (team, parts)


def test_method_in_the_appendix_and_each_forecast_verdict_once(published):
    """Issue 14, item 7 and the forecast paragraph printed twice: before the appendix the reader
    meets no file path ("params/", "docs/") and no setting's code name; the backtest verdict is
    printed once."""
    from analysis.i18n import t

    out, _ = published
    for team in [*TEAMS, "company"]:
        page = _page(out / "reports" / "2026-10" / team / "report.html")
        text = _visible_text(page)
        body = text[: text.index(t("appendix", "th"))]
        assert "params/" not in body and "docs/" not in body, team
        assert "working_days_regressor" not in body and "yearly_fourier_order" not in body
        assert "working_days_regressor" in text[text.index(t("appendix", "th")) :]
        # "... เดือน แบบจำลองที่แม่นที่สุดคือ ...": the verdict's own words, not the shared opening
        verdict = t("fc_best_model", "th").split("{folds}")[1].split("{model}")[0].strip()
        assert text.count(verdict) == 1, team


@pytest.mark.quarto
@pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto is not on PATH")
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_quarto_and_builtin_publish_the_same_report(published, tmp_path, monkeypatch):
    """Issue 19: for the same executed notebook, both renderers publish the same headings,
    tables, figures with their descriptions, footer facts and PDF text (Thai included, the same
    line breaks) on as many pages, both embed the Thai font and load nothing from outside
    (tests/parity.py). Quarto had a title block, Bootstrap's fonts, CDN scripts, no footer in
    the HTML, typographic quotes, "(1)" read as a list, and wider PDFs (31 pages against 20)."""
    from parity import assert_same_report

    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)  # the same time in both footers
    _, results = published
    for result in (r for r in results if r.team_id in ("bangkok", "company")):
        page = {
            "title": "รายงานผลการขาย",
            "scope_name": result.team_id,
            "month_label": "ตุลาคม 2569",
            "lang": "th",
            "content_hash": "f" * 64,
        }
        # Quarto in one process for both formats (as in a batch of several reports) and in two
        at_once = result.team_id == "bangkok"
        pages = assert_same_report(result.executed, tmp_path / result.team_id, page, at_once)
        assert pages["builtin"] > 5
