"""Publishing survives a killed batch (issue 18, failure 11): staging happens outside the month
folders, and what a dead batch left behind is cleaned at the next start, without losing a
published report."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.reports.batch import STAGING_DIR, clean_stale


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_what_a_killed_batch_left_is_cleaned_and_no_report_is_lost(tmp_path):
    reports, host, dead = tmp_path / "reports", socket.gethostname(), _dead_pid()
    month = reports / "2026-10"
    # killed between moving bangkok's report aside and moving the new one in
    aside = month / f".bangkok.old@{host}-{dead}"
    aside.mkdir(parents=True)
    (aside / "report.html").write_text("published", encoding="utf-8")
    # killed after khon-kaen's new report was in place, before the old one was removed
    (month / "khon-kaen").mkdir()
    (month / "khon-kaen" / "report.html").write_text("new", encoding="utf-8")
    replaced = month / f".khon-kaen.old@{host}-{dead}"
    replaced.mkdir()
    staging = reports / STAGING_DIR
    stale = staging / f"2026-10-chonburi@{host}-{dead}-abc123"
    running = staging / f"2026-10-phuket@{host}-{os.getpid()}-def456"  # a live batch's
    remote = staging / f"2026-10-hat-yai@x{host}-{dead}-ghi789"  # another host's
    for folder in (stale, running, remote):
        folder.mkdir(parents=True)
    clean_stale(reports)
    assert (month / "bangkok" / "report.html").read_text(encoding="utf-8") == "published"
    assert not aside.exists() and not replaced.exists()
    assert (month / "khon-kaen" / "report.html").read_text(encoding="utf-8") == "new"
    assert not stale.exists()
    assert running.exists() and remote.exists()
    assert sorted(p.name for p in month.iterdir()) == ["bangkok", "khon-kaen"]


def test_a_failed_notebook_is_summarised_by_its_exception(tmp_path, monkeypatch):
    """Issue 18, failure 13: the summary line read 'PapermillExecutionError: ' with nothing after
    it; it names the failing cell's exception now."""
    import pandas as pd
    from papermill.exceptions import PapermillExecutionError

    from analysis.reports import batch
    from analysis.reports.params import TeamParams

    def fail(*_a, **_k):
        raise PapermillExecutionError(
            cell_index=3,
            exec_count=7,
            source="views.coaching(ctx)",
            ename="ValueError",
            evalue="Encountered all NA values",
            traceback=[],
        )

    monkeypatch.setattr(batch, "execute_notebook", fail)
    result = batch.render_team(
        TeamParams(team_id="north"),
        pd.Period("2026-02", "M"),
        tmp_path / "data",
        "builtin",
        scope_name="North",
        content_hash="0" * 64,
        reports_dir=tmp_path / "reports",
        build_dir=tmp_path / "build",
    )
    assert not result.ok
    assert result.error.splitlines()[0] == "ValueError: Encountered all NA values (cell 7)"


def test_a_blank_teams_list_is_an_error_not_every_team(tmp_path):
    """Issue 18, failure 13: `--teams " "` rendered every team."""
    run = subprocess.run(
        [sys.executable, "-m", "analysis", "report", "--data", "tests/fixtures/tiny"]
        + ["--teams", " ", "--renderer", "builtin"],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
    )
    assert run.returncode == 2
    assert "--teams: no team id in ' '" in run.stderr


def test_months_and_events_outside_the_data_are_clear_errors_and_write_nothing(tmp_path):
    """Issue 18, failure 7: an activity dated 2100 made 2099-12 the default month and the report
    failed; --month 1999-01 gave a TypeError; both left an empty month folder in reports/."""
    import shutil

    import pytest

    from analysis.data.validate import DataValidationError
    from analysis.paths import PROJECT_ROOT
    from analysis.reports.batch import run_monthly

    data = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "tests" / "fixtures" / "tiny", data)
    reports = tmp_path / "reports"
    kw = {"renderer": "builtin", "reports_dir": reports, "build_dir": tmp_path / "b"}
    with pytest.raises(ValueError, match=r"MONTH: 1999-01 is before the data in .* first month is"):
        run_monthly(data, month="1999-01", echo=lambda _m: None, **kw)
    activities = (data / "activities.csv").read_text(encoding="utf-8").splitlines()
    activities[1] = activities[1].replace("2026-01-05 10:00:00", "2100-01-01 09:00:00")
    (data / "activities.csv").write_text("\n".join(activities) + "\n", encoding="utf-8")
    with pytest.raises(DataValidationError, match="occurred_at: is in the future"):
        run_monthly(data, echo=lambda _m: None, **kw)
    assert not reports.exists() or not [p for p in reports.iterdir() if p.name[0].isdigit()]


def test_a_second_batch_on_the_same_folders_stops_with_a_clear_error(tmp_path):
    """Issue 18, failure 14: two batches wrote the same build/<month>/<team> notebooks at once.
    One batch at a time per reports and per build folder; the second names the first."""
    import pytest

    from analysis.reports import batch

    build = tmp_path / "build"
    kw = {"renderer": "builtin", "reports_dir": tmp_path / "reports", "build_dir": build}
    busy = rf"another batch is running on {build} \(pid"
    # a first batch holds the build folder
    with batch._exclusive(build), pytest.raises(batch.BatchBusy, match=busy):
        batch.run_monthly(tmp_path / "no-data-needed", echo=lambda _m: None, **kw)
    with pytest.raises(FileNotFoundError):  # free again: this one gets as far as the data
        batch.run_monthly(tmp_path / "no-data-needed", echo=lambda _m: None, **kw)


TINY_MONTH = "2026-02"  # tests/fixtures/tiny: as of 2026-03-31, its last event is in February


def _publish_fake(reports, month: str, team: str, name: str) -> None:
    folder = reports / month / team
    folder.mkdir(parents=True)
    (folder / "report.html").write_text("x", encoding="utf-8")
    (folder / "report.pdf").write_text("x", encoding="utf-8")
    (folder / "headline.json").write_text(f'{{"scope_name": "{name}"}}', encoding="utf-8")


def test_a_month_path_that_is_a_file_stops_the_batch_before_anything_is_written(tmp_path):
    """Issue 18, failure 10: with a file where the month's folder goes, every team failed at
    publishing and the index was rewritten; now the batch stops at once (exit 2), naming it."""
    reports = tmp_path / "reports"
    _publish_fake(reports, "2026-01", "bangkok", "Bangkok")
    (reports / TINY_MONTH).write_text("not a folder", encoding="utf-8")
    before = sorted(p.relative_to(reports) for p in reports.rglob("*"))
    run = subprocess.run(
        [sys.executable, "-m", "analysis", "report", "--data", "tests/fixtures/tiny"]
        + ["--renderer", "builtin", "--reports", str(reports), "--build", str(tmp_path / "b")],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "AEM_CACHE_DIR": "off"},
        cwd=Path(__file__).parents[1],
    )
    assert run.returncode == 2, run.stderr
    assert f"{reports / TINY_MONTH} is a file, where the reports need a folder" in run.stderr
    assert "Traceback" not in run.stderr
    assert sorted(p.relative_to(reports) for p in reports.rglob("*")) == before
    assert not (tmp_path / "b").exists()


def test_a_reports_folder_this_user_cannot_write_is_a_clear_error(tmp_path):
    """Issue 18, failure 10: a read-only reports/ gave a PermissionError traceback from
    write_index. As root (CI), the batch runs without the capability to override permissions,
    so the folder's mode applies to it as to any user."""
    reports = tmp_path / "reports"
    _publish_fake(reports, "2026-01", "bangkok", "Bangkok")
    os.chmod(reports, 0o555)
    as_user = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    try:
        run = subprocess.run(
            [*(as_user if os.geteuid() == 0 else []), sys.executable, "-m", "analysis"]
            + ["report", "--data", "tests/fixtures/tiny", "--renderer", "builtin"]
            + ["--reports", str(reports), "--build", str(tmp_path / "b")],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "AEM_CACHE_DIR": "off"},
            cwd=Path(__file__).parents[1],
        )
    finally:
        os.chmod(reports, 0o755)
    assert run.returncode == 2, run.stderr
    assert f"cannot write in {reports} (Permission denied)" in run.stderr
    assert "Traceback" not in run.stderr
    assert not (tmp_path / "b").exists()


def test_the_index_never_loses_a_month_it_cannot_read(tmp_path, monkeypatch, capsys):
    """Issue 18, failure 10: one unreadable month folder must not take its published reports
    off the index; an unreadable headline lists its report without figures."""
    from pathlib import Path as P

    from analysis.reports import site

    reports = tmp_path / "reports"
    _publish_fake(reports, "2026-09", "bangkok", "Bangkok Sept")
    _publish_fake(reports, "2026-10", "phuket", "Phuket Oct")
    first = site.write_index(reports, "en").read_text(encoding="utf-8")
    assert "Bangkok Sept" in first and "Phuket Oct" in first
    (reports / "2026-10" / "phuket" / "headline.json").write_text("{not json", encoding="utf-8")
    real_iterdir = P.iterdir

    def unreadable(self):  # as a folder without read permission (root reads every folder)
        if self.name == "2026-09":
            raise PermissionError(13, "Permission denied", str(self))
        return real_iterdir(self)

    monkeypatch.setattr(P, "iterdir", unreadable)
    warnings: list[str] = []
    page = site.write_index(reports, "en", warn=warnings.append).read_text(encoding="utf-8")
    assert "Bangkok Sept" in page and "2026-09/bangkok/report.pdf" in page
    assert "Phuket Oct" not in page and ">phuket<" in page  # no headline: listed by its id
    assert any("2026-09 cannot be read (Permission denied)" in w for w in warnings)
    assert any("headline.json: unreadable" in w for w in warnings)


def test_an_index_that_cannot_be_written_is_a_clear_error_and_the_old_one_stays(tmp_path):
    import pytest

    from analysis.reports import site

    reports = tmp_path / "reports"
    _publish_fake(reports, "2026-10", "phuket", "Phuket")
    site.write_index(reports, "en")
    (reports / "index.json").unlink()
    (reports / "index.json").mkdir()  # a folder where the file goes: no user can replace it
    old = (reports / "index.html").read_text(encoding="utf-8")
    with pytest.raises(site.PublishError, match=r"cannot write the index .*index.html \(Is a"):
        site.write_index(reports, "en")
    assert (reports / "index.html").read_text(encoding="utf-8") == old
    assert not [p for p in reports.iterdir() if p.name.startswith(".index")]


def _html_text(path) -> str:
    import html as html_lib

    return html_lib.unescape(re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def killed_batch(tmp_path_factory):
    """`analysis report` on tests/fixtures/tiny (north, south, company; two at a time),
    with one pool worker killed with SIGKILL (as the out-of-memory killer would) once it is
    running a report's kernel."""
    import time

    import psutil

    out = tmp_path_factory.mktemp("killed")
    env = {**os.environ, "AEM_CACHE_DIR": str(out / "cache")}
    command = [sys.executable, "-m", "analysis", "report", "--data", "tests/fixtures/tiny"]
    command += ["--renderer", "builtin", "--jobs", "2", "--reports", str(out / "reports")]
    command += ["--build", str(out / "build")]
    batch = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        cwd=Path(__file__).parents[1],
    )
    killed = None
    deadline = time.monotonic() + 300
    while killed is None and batch.poll() is None and time.monotonic() < deadline:
        for worker in psutil.Process(batch.pid).children():
            if worker.children():  # a pool worker whose kernel runs: mid-report
                worker.kill()
                killed = worker.pid
                break
        time.sleep(0.2)
    output, _ = batch.communicate(timeout=900)
    return out, batch.returncode, output, killed, env


@pytest.mark.e2e
@pytest.mark.xdist_group("kernels")
def test_a_worker_killed_mid_batch_costs_no_report_and_the_index_is_complete(killed_batch):
    """Issue 18, failure 5, whole batch: the team whose worker died runs again in a new one;
    every report is published and listed, and the run says what happened."""
    out, code, output, killed, _ = killed_batch
    assert killed is not None, output
    assert code == 0, output[-3000:]
    assert "3 of 3 team report(s) published" in output, output[-2000:]
    index = (out / "reports" / "index.html").read_text(encoding="utf-8")
    for team in ("north", "south", "company"):
        assert (out / "reports" / TINY_MONTH / team / "report.pdf").stat().st_size > 0
        assert f"{TINY_MONTH}/{team}/report.html" in index


@pytest.mark.e2e
@pytest.mark.xdist_group("kernels")
def test_a_corrupted_cached_kpi_is_recomputed_in_the_report(killed_batch):
    """Issue 18, failure 6, whole batch: with 8 bytes of a cached KPI table changed, the
    re-rendered report shows the figure computed from the data, not the changed one."""
    import struct

    import pandas as pd

    from analysis.i18n import fmt_currency

    out, _, _, _, env = killed_batch
    # the company's open pipeline at the end of the month, by hand: the one open deal, o5
    opps = pd.read_csv(Path(__file__).parent / "fixtures" / "tiny" / "opportunities.csv")
    pipeline = float(opps.loc[~opps["stage"].str.startswith("closed"), "amount"].sum())
    assert pipeline == 70_000
    old, new = struct.pack("<d", pipeline), struct.pack("<d", pipeline + 2_000_000)
    changed = 0
    for entry in (out / "cache").glob("kpis-*.pkl"):
        blob = entry.read_bytes()
        if old in blob:
            entry.write_bytes(blob.replace(old, new))
            changed += 1
    assert changed, "the month's open pipeline is in a cached KPI table"
    report = out / "reports" / TINY_MONTH / "company" / "report.html"
    right, wrong = fmt_currency(pipeline), fmt_currency(pipeline + 2_000_000)
    before = _html_text(report)
    assert right in before and wrong not in before
    run = subprocess.run(
        [sys.executable, "-m", "analysis", "report", "--data", "tests/fixtures/tiny"]
        + ["--teams", "company", "--force", "--renderer", "builtin"]
        + ["--reports", str(out / "reports"), "--build", str(out / "build")],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=Path(__file__).parents[1],
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    after = _html_text(report)
    assert right in after and wrong not in after
