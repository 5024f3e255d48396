"""Monthly reports: papermill execution, incremental and atomic publishing, the batch.

One team's report is: compose its parts (REPORT_NOTEBOOKS: KPIs, pipeline conversion, forecast,
skills; the company report adds the team comparison) into one notebook, execute it with papermill
and the team's parameters in one kernel into build/<month>/<team>/report.ipynb (the record of the
run), render that executed notebook to HTML and PDF in a staging folder without executing it
again (`analysis.reports.render`), then move the folder into reports/<month>/<team>/ in one step. A
failure at any point leaves the previously published report as it was. A team whose published
report carries the same input key (`input_key`: data hash, params, renderer, code) is skipped
unless forced. The batch (`run_monthly`) validates everything first, keeps unchanged reports,
computes what every report shares once (the dataset, the KPI tables), then renders the other
teams in a process pool or on a Dask cluster (`analysis.reports.executors`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import math
import os
import shutil
import socket
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path

import nbformat
import pandas as pd

from analysis import __version__
from analysis.data import postgres
from analysis.data.cache import code_digest
from analysis.data.dataset import Dataset, load_dataset
from analysis.data.scoped import team_deals
from analysis.i18n import fmt_month, shorten, t
from analysis.metrics.kpis import shared_kpi_tables
from analysis.paths import (
    BUILD_DIR,
    NOTEBOOKS_DIR,
    PARAMS_DIR,
    PROJECT_ROOT,
    REPORTS_DIR,
    TEMPLATES_DIR,
)
from analysis.reports.dependencies import team_digests
from analysis.reports.executors import fan_out
from analysis.reports.params import (
    COMPANY_ID,
    ParamsError,
    TeamParams,
    list_team_ids,
    load_company_params,
    load_targets,
    load_team_params,
    validate_team_id,
)
from analysis.reports.progress import Progress, TeamResult, line
from analysis.reports.quarto import render_quarto
from analysis.reports.render import (
    PageInfo,
    Renderer,
    RenderError,
    choose_renderer,
    render_builtin,
)
from analysis.reports.site import (
    HEADLINE_FILE,
    PublishError,
    check_writable,
    headlines,
    shareable,
    write_index,
)
from analysis.reports.text import NAME_CHARS

__all__ = [
    "KERNEL_NAME",
    "REPORT_NOTEBOOK",
    "REPORT_NOTEBOOKS",
    "COMBINED_NOTEBOOK",
    "combine_notebooks",
    "execute_notebook",
    "publish",
    "render_team",
    "run_monthly",
    "BatchBusy",
]

KERNEL_NAME = "aem-analysis"
REPORT_NOTEBOOK = NOTEBOOKS_DIR / "monthly_team_report.ipynb"
# the parts of every team's report, in order: composed into one notebook (`combine_notebooks`),
# executed once into build/<month>/<team>/report.ipynb and rendered as report.html and report.pdf
REPORT_NOTEBOOKS: dict[str, Path] = {
    "report": REPORT_NOTEBOOK,
    "pipeline_conversion": NOTEBOOKS_DIR / "pipeline_conversion.ipynb",
    "revenue_forecast": NOTEBOOKS_DIR / "revenue_forecast.ipynb",
    "skill_effects": NOTEBOOKS_DIR / "skill_effects.ipynb",
}
COMBINED_NOTEBOOK = "report.ipynb"
APPENDIX_TAG = "appendix"  # cells moved after every part by `combine_notebooks`
# the company report adds the team comparison after its KPI part
COMPANY_NOTEBOOKS: dict[str, Path] = {
    "report": REPORT_NOTEBOOK,
    "company_comparison": NOTEBOOKS_DIR / "company_comparison.ipynb",
    **{k: v for k, v in REPORT_NOTEBOOKS.items() if k != "report"},
}


INPUTS_FILE = ".inputs.json"  # published with each report: the key of what made it


def _notebook_code(path: Path) -> bytes:
    """What of a notebook can change a report: each cell's type, source and tags. Outputs,
    execution counts and ids are left out, so a report notebook saved from JupyterLab with its
    outputs does not re-render every team."""
    import json

    nb = nbformat.read(path, as_version=4)
    cells = [(c.cell_type, c.source, c.metadata.get("tags", [])) for c in nb.cells]
    return json.dumps(cells, ensure_ascii=False).encode()


def _code_digest() -> str:
    """The package's code (`cache.code_digest`) plus the templates, the notebooks the reports are
    made of (`COMPANY_NOTEBOOKS`, which holds every team part too; not the analysts' own, nor
    explore.ipynb) and the lock file: a change to any of them can change a report, so it counts
    as a changed input."""
    import hashlib

    h = hashlib.sha256((__version__ + code_digest()).encode())
    for f in sorted(TEMPLATES_DIR.rglob("*")) + [PROJECT_ROOT / "requirements.lock"]:
        if f.is_file():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    for f in sorted(set(COMPANY_NOTEBOOKS.values())):
        h.update(f.name.encode())
        h.update(_notebook_code(f))
    return h.hexdigest()


def input_key(
    team: TeamParams, month: pd.Period, content_hash: str, renderer: str, data: str | None = None
) -> dict:
    """What a team's report depends on: its data (`dependencies.team_digests`: its slice, its
    KPIs and the company-wide figures it shows; the whole dataset's content for the company
    report), the team's params, the renderer, the code. `content_hash` (the dataset's) is kept
    beside it: while it is unchanged, the data is too, and no digest need be computed.
    `data` None: not computed yet."""
    return {
        "month": str(month),
        "team": team.model_dump(mode="json"),
        "data": data,
        "dataset": content_hash,
        "renderer": renderer,
        "code": _code_digest(),
    }


def _is_current(target: Path, key: dict) -> bool:
    """Whether the report published at `target` was made from `key`'s inputs: the same data
    digest, or (the digest not computed) the same dataset; and its files are all there."""
    import json

    stamp = target / INPUTS_FILE
    if not stamp.is_file():
        return False
    try:
        published = json.loads(stamp.read_text(encoding="utf-8"))
    except ValueError:
        return False
    if not isinstance(published, dict):
        return False
    ignored = "data" if key["data"] is None else "dataset"
    same = {k: v for k, v in published.items() if k != ignored} == {
        k: v for k, v in key.items() if k != ignored
    }
    expected = ["report.html", "report.pdf"]
    return same and all((target / f).is_file() for f in expected)


def _restamp(target: Path, content_hash: str) -> None:
    """Record in a kept report's stamp that `content_hash`'s dataset gives the same inputs (the
    file replaced whole; the report itself is untouched)."""
    import json

    stamp = target / INPUTS_FILE
    published = json.loads(stamp.read_text(encoding="utf-8"))
    fresh = stamp.with_name(f"{INPUTS_FILE}.{os.getpid()}.tmp")
    fresh.write_text(json.dumps({**published, "dataset": content_hash}, indent=1), encoding="utf-8")
    os.replace(fresh, stamp)


def _kernel_name() -> str:
    """The project kernel when registered (make setup), else this interpreter's own kernel."""
    from jupyter_client.kernelspec import KernelSpecManager

    return KERNEL_NAME if KERNEL_NAME in KernelSpecManager().find_kernel_specs() else "python3"


def execute_notebook(notebook: Path, output: Path, parameters: dict) -> Path:
    """Run `notebook` with papermill, injecting `parameters`; the executed copy goes to `output`.

    On failure papermill still writes `output` (with the traceback in the failing cell), which is
    kept for diagnosis; the exception propagates.
    """
    import papermill as pm
    from jupyter_client.manager import KernelManager

    output.parent.mkdir(parents=True, exist_ok=True)
    # IPC (unix sockets in a private temp folder) rather than TCP: no ports opened on a shared
    # machine, and no "running over TCP without encryption" warning per kernel in the batch log.
    with (
        _environ("MPLBACKEND", "module://matplotlib_inline.backend_inline"),
        tempfile.TemporaryDirectory(prefix="aem-kernel-") as sockets,
    ):
        km = KernelManager(
            kernel_name=_kernel_name(), transport="ipc", ip=os.path.join(sockets, "k")
        )
        try:
            pm.execute_notebook(
                str(notebook),
                str(output),
                parameters=parameters,
                kernel_name=km.kernel_name,
                km=km,
                progress_bar=False,
                cwd=str(notebook.parent),
                log_output=False,
            )
        finally:
            if km.has_kernel:  # papermill only shuts down kernels it created itself
                km.shutdown_kernel(now=True)
    return output


DATA_NOTE_TAG = "data-note"


def combine_notebooks(parts: list[Path], output: Path) -> Path:
    """Compose one notebook from the report's parts, to execute in one kernel: one parameters
    cell declaring every part's parameters (first declaration wins), then each part's other
    cells in order; each part's title becomes a top-level section of the report. Cells tagged
    `appendix` (method and settings) are moved, in order, after every part: the reader's text
    comes first, how it was made at the end. Each part has a cell tagged `data-note` (what the
    dataset cannot show), so a part opened alone in JupyterLab says it; the report keeps the
    first part's only.

    One kernel per report instead of one per part: the heavy imports (Prophet, statsmodels,
    matplotlib) and the dataset load happen once, which is most of a small part's run time.
    """
    notebooks = [nbformat.read(path, as_version=4) for path in parts]
    combined = nbformat.v4.new_notebook(metadata=notebooks[0].metadata)
    declared: dict[str, str] = {}
    body, appendix = [], []
    noted = False
    for part, nb in zip(parts, notebooks, strict=True):
        for i, cell in enumerate(nb.cells):
            tags = cell.metadata.get("tags", [])
            if "parameters" in tags:
                for line in cell.source.splitlines():
                    declared.setdefault(line.split(":", 1)[0].strip(), line)
                continue
            if DATA_NOTE_TAG in tags:  # what the data cannot show: said once per report
                if noted:
                    continue
                noted = True
            cell = nbformat.from_dict(dict(cell))
            cell.id = f"{part.stem}-{i:02d}".replace("_", "-")
            (appendix if APPENDIX_TAG in cell.metadata.get("tags", []) else body).append(cell)
    params = nbformat.v4.new_code_cell(
        "\n".join(declared.values()), metadata={"tags": ["parameters"]}
    )
    params.id = "report-parameters"
    combined.cells = [params, *body, *appendix]
    output.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(combined, output)
    return output


STAGING_DIR = ".staging"  # reports/.staging/<month>-<team>@<host>-<pid>-<random>/


def _owner() -> str:
    """This process, as staging and replaced folders name it: @host-pid."""
    return f"@{socket.gethostname()}-{os.getpid()}"


def _dead(name: str) -> bool:
    """A folder `name` ending in @<host>-<pid>[-<random>] belongs to a process of this host that
    is gone (a killed batch); folders of other hosts (a Dask cluster's workers) are left alone."""
    owner = name.rpartition("@")[2]
    host = socket.gethostname()
    if not owner.startswith(f"{host}-"):
        return False
    pid = owner[len(host) + 1 :].split("-")[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, someone else's
        return False
    return False


def clean_stale(reports_dir: Path) -> None:
    """What a killed batch left behind: its staging folders (removed) and a report it had moved
    aside to replace but not yet replaced (moved back, so no published report is lost)."""
    staging = reports_dir / STAGING_DIR
    if staging.is_dir():
        for folder in staging.iterdir():
            if _dead(folder.name):
                shutil.rmtree(folder, ignore_errors=True)
    for old in reports_dir.glob("*/.*.old@*"):
        if not _dead(old.name):
            continue
        target = old.with_name(old.name[1:].rpartition(".old@")[0])
        if target.exists():
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(old, target)


def publish(staging: Path, target: Path) -> None:
    """Move a finished report folder into place, replacing the old one only once the new is whole.

    Both folders are on the same filesystem, so each rename is atomic; the old report is removed
    only after the new one is in place.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old{_owner()}")
        os.replace(target, old)
    try:
        os.replace(staging, target)
    except OSError:
        if old is not None:
            os.replace(old, target)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def render_team(
    team: TeamParams,
    month: pd.Period,
    data_dir: Path,
    renderer: Renderer,
    *,
    scope_name: str,
    content_hash: str,
    data_key: str | None = None,
    reports_dir: Path = REPORTS_DIR,
    build_dir: Path = BUILD_DIR,
    force: bool = False,
    headline: dict | None = None,
    params_dir: Path | None = None,
    timezone: str = "UTC",
    quarto_at_once: bool | None = None,
) -> TeamResult:
    """Execute, render and publish one team's report. Never raises: failures come back in the result.

    Skipped (ok, skipped=True) when the published report was made from the same inputs
    (`input_key`; `data_key` the team's data digest, default the dataset's `content_hash`),
    unless `force`. The kernel reads targets and forecast settings from
    `params_dir` (default params/), wherever this runs (a pool process or a Dask worker).
    """
    import json

    start = dt.datetime.now()
    target = reports_dir / str(month) / team.team_id
    key = input_key(team, month, content_hash, renderer, data_key or content_hash)
    if not force and _is_current(target, key):
        files = tuple(sorted(p for p in target.iterdir() if not p.name.startswith(".")))
        return TeamResult(team.team_id, True, _seconds(start), files, skipped=True)
    month_dir = build_dir / str(month) / team.team_id
    is_company = team.team_id == COMPANY_ID
    parameters = {
        "team": None if is_company else team.team_id,
        "month": str(month),
        "data_dir": str(data_dir),
        "lang": team.lang,
    }
    month_label = fmt_month(month, team.lang, buddhist_era=team.buddhist_era)
    warnings: list[str] = []  # the renderer's, for the batch log
    executed = month_dir / COMBINED_NOTEBOOK
    try:
        staging_root = reports_dir / STAGING_DIR  # same file system, outside the month folders
        staging_root.mkdir(parents=True, exist_ok=True)
        staging = Path(
            tempfile.mkdtemp(prefix=f"{month}-{team.team_id}{_owner()}-", dir=staging_root)
        )
        shareable(staging, 0o777)  # mkdtemp made it private
        files: list[Path] = []
        try:
            parts = list((COMPANY_NOTEBOOKS if is_company else REPORT_NOTEBOOKS).values())
            source = combine_notebooks(parts, month_dir / f"source-{COMBINED_NOTEBOOK}")
            executed = month_dir / COMBINED_NOTEBOOK
            with (
                _environ("AEM_PARAMS_DIR", str(Path(params_dir or PARAMS_DIR).resolve())),
                _environ(
                    "AEM_DUCKDB_MEMORY",
                    COMPANY_DUCKDB_MEMORY if is_company else KERNEL_DUCKDB_MEMORY,
                ),
            ):
                execute_notebook(source, executed, parameters)
            short_name = shorten(scope_name, NAME_CHARS)  # on every page: a label, not a text
            page = PageInfo(
                title=f"{t('report_title', team.lang)}: {short_name} — {month_label}",
                scope_name=short_name,
                month_label=month_label,
                lang=team.lang,
                content_hash=content_hash,
                renderer=renderer,
                timezone=timezone,
                buddhist_era=team.buddhist_era,
            )
            if renderer == "quarto":
                rendered = render_quarto(
                    executed, staging, page, "report", warnings, at_once=quarto_at_once
                )
                files += rendered.values()
            else:
                files += render_builtin(executed, staging, page, "report").values()
            (staging / INPUTS_FILE).write_text(json.dumps(key, indent=1), encoding="utf-8")
            (staging / HEADLINE_FILE).write_text(
                json.dumps({**(headline or {}), "scope_name": scope_name}, ensure_ascii=False),
                encoding="utf-8",
            )
            publish(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        published = tuple(target / p.name for p in files)
        return TeamResult(
            team.team_id,
            True,
            _seconds(start),
            published,
            executed=executed,
            warnings=tuple(warnings),
        )
    except Exception as exc:
        message = f"{type(exc).__name__}: {exc}"
        if getattr(exc, "ename", None):  # papermill's: its own text is empty; say what failed
            cell = f" (cell {exc.exec_count})" if getattr(exc, "exec_count", None) else ""
            message = f"{exc.ename}: {exc.evalue}{cell}"
        if not isinstance(exc, RenderError | ValueError):
            message += "\n" + "".join(traceback.format_exception(exc)[-3:])
        return TeamResult(
            team.team_id,
            False,
            _seconds(start),
            error=message,
            executed=executed if executed.exists() else None,
        )


# DuckDB's memory in a report's kernel: a team's queries are small, and what a scan of the whole
# company needs beyond it spills to disk. On the 300-team benchmark company a team's kernel
# peaked at 1.16 GB with it (2.36 GB at 4 GB), for 8% more time (docs/scale.md).
KERNEL_DUCKDB_MEMORY = os.environ.get("AEM_KERNEL_DUCKDB_MEMORY", "512MB")
# ... and in the company report's, which scans the whole company's files (its open pipeline at
# every month end, its funnel): at 512MB those queries spilled gigabytes to disk. With 2GB the
# benchmark company's forecast inputs took 33 s instead of 42 s, its funnel and waterfall 24 s
# instead of 31 s (docs/scale.md); the company report takes a whole worker anyway.
COMPANY_DUCKDB_MEMORY = os.environ.get("AEM_COMPANY_DUCKDB_MEMORY", "2GB")


def report_memory(team: TeamParams) -> float:
    """The memory (bytes) one report's kernel is given on a cluster (`executors`): the environment's
    REPORT_MEMORY_GB (default 1.5: a team's kernel of the 300-team benchmark company peaks at
    0.70 GB, docs/scale.md). The company report takes all a worker offers (infinite here; the
    executor gives it the largest worker's memory), so it runs alone: its kernel grows with the
    company (5.1 GB for the benchmark company), while a team's does not."""
    raw = os.environ.get("REPORT_MEMORY_GB", "1.5")
    try:
        gb = float(raw)
    except ValueError:
        gb = -1.0
    if not gb > 0:
        raise ValueError(f"REPORT_MEMORY_GB={raw!r}: give the memory of one report in GB, e.g. 1.5")
    return math.inf if team.team_id == COMPANY_ID else gb * 2**30


def _lost(team: TeamParams, error: str) -> TeamResult:
    """The result of a team whose task never came back (its worker died)."""
    return TeamResult(team.team_id, False, 0.0, error=error)


def _seconds(start: dt.datetime) -> float:
    return (dt.datetime.now() - start).total_seconds()


def _one_batch_at_a_time(run: Callable[..., list[TeamResult]]) -> Callable[..., list[TeamResult]]:
    """`run` holding the locks of its reports and build folders (`_exclusive`)."""

    @functools.wraps(run)
    def locked(data_dir: Path, **options) -> list[TeamResult]:
        options["reports_dir"] = options.get("reports_dir") or REPORTS_DIR
        options["build_dir"] = options.get("build_dir") or BUILD_DIR
        with _exclusive(options["reports_dir"], options["build_dir"]):
            return run(data_dir, **options)

    return locked


class BatchBusy(ValueError):
    """Another batch holds the reports or build folder."""


def lock_file(folder: Path) -> Path:
    """The lock of a reports or build folder: beside it (`.<name>.batch.lock`), so that taking
    it creates nothing inside a folder a failed run must leave untouched."""
    return folder.parent / f".{folder.name}.batch.lock"


@contextlib.contextmanager
def _exclusive(*folders: Path):
    """Hold an exclusive lock for each folder (`lock_file`, released when the process ends, even
    when killed): two batches on one folder would write the same executed notebooks."""
    import fcntl

    held = []
    try:
        for folder in folders:
            path = lock_file(folder)
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                fh = path.open("a+", encoding="utf-8")
            except OSError as exc:
                raise PublishError(
                    f"cannot create the batch's lock {path} ({exc.strerror}) beside {folder}: "
                    "nothing was rendered; fix the permissions or give another folder"
                ) from None
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                holder = fh.read().strip() or "another process"
                fh.close()
                raise BatchBusy(
                    f"another batch is running on {folder} ({holder}); wait for it to finish, "
                    "or give this one other reports and build folders"
                ) from None
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
            fh.flush()
            held.append(fh)
        yield
    finally:
        for fh in held:
            fcntl.flock(fh, fcntl.LOCK_UN)
            fh.close()


def _render(tasks: list, jobs: int, bar: Progress, echo: Callable[[str], None]) -> list:
    """Every task's report (`render_team`), here or on the cluster at DASK_SCHEDULER; then how
    many, in how long, at what rate, and the CPU time every process and kernel used."""
    started, cpu = time.perf_counter(), []
    results = fan_out(
        render_team,
        tasks,
        jobs,
        bar,
        scheduler=os.environ.get("DASK_SCHEDULER"),
        failed=_lost,
        memory=report_memory,
        cpu=cpu,
    )
    minutes = (time.perf_counter() - started) / 60
    echo(
        f"Rendered {len(tasks)} report(s) in {minutes:.1f} min "
        f"({len(tasks) / minutes:.1f} reports/min); CPU time {cpu[0] / 60:.1f} min "
        "(every process and kernel of the batch)"
    )
    return results


def _kept_and_pending(
    ds: Dataset,
    month: pd.Period,
    team_params: list[TeamParams],
    renderer: str,
    month_dir: Path,
    force: bool,
) -> tuple[list[TeamResult], list[TeamParams], dict[str, str]]:
    """The reports kept as published (a team published from the same inputs, without starting a
    worker), those to render, most expensive first, and each one's data digest.

    First the reports stamped with this very dataset are kept; for the others, each team's data
    digest (`dependencies`) is compared, so a team whose slice and company figures did not
    change is kept too (its stamp then names this dataset, so the next run needs no digest).
    The company's report, which compares every team, and then the teams by their deals, largest
    first, so that the longest reports do not run alone at the end."""

    def current(p: TeamParams, data: str | None) -> bool:
        key = input_key(p, month, ds.content_hash, renderer, data)
        return not force and _is_current(month_dir / p.team_id, key)

    stale = {p.team_id for p in team_params if not current(p, None)}
    teams_stale = [tid for tid in sorted(stale) if tid != COMPANY_ID]
    digests = {COMPANY_ID: ds.content_hash, **team_digests(ds, month, teams_stale)}
    for p in team_params:
        if p.team_id in stale and current(p, digests[p.team_id]):
            stale.discard(p.team_id)
            _restamp(month_dir / p.team_id, ds.content_hash)
    kept, pending = [], [p for p in team_params if p.team_id in stale]
    for p in team_params:
        if p.team_id not in stale:
            target = month_dir / p.team_id
            files = tuple(sorted(f for f in target.iterdir() if not f.name.startswith(".")))
            kept.append(TeamResult(p.team_id, True, 0.0, files, skipped=True))
    deals = team_deals(ds) if len(pending) > 1 else {}
    pending.sort(key=lambda p: (p.team_id != COMPANY_ID, -deals.get(p.team_id, 0), p.team_id))
    return kept, pending, digests


@_one_batch_at_a_time
def run_monthly(
    data_dir: Path,
    *,
    month: str | None = None,
    teams: list[str] | None = None,
    renderer: str = "auto",
    jobs: int | None = None,
    reports_dir: Path | None = None,
    build_dir: Path | None = None,
    params_dir: Path | None = None,
    echo: Callable[[str], None] = print,
    force: bool = False,
    progress: bool = False,
) -> list[TeamResult]:
    """Render every team's report for `month` (default: the latest complete month in the data).

    Validates the dataset, the month and every team's params before anything runs; a problem there
    raises ValueError (or DataValidationError) and nothing is rendered or published. Team failures
    after that are isolated and returned in the results. A team whose published report was made
    from the same inputs is skipped unless `force`. `progress` shows a bar of teams done, running
    and failed (on stderr).

    One batch at a time per reports folder and per build folder: a second one stops at once
    with BatchBusy (exit 2), naming the process that holds them.
    """
    # the project folders by default, looked up now (so a caller or test can point them elsewhere)
    reports_dir = reports_dir or REPORTS_DIR
    build_dir = build_dir or BUILD_DIR
    params_dir = params_dir or PARAMS_DIR
    chosen = choose_renderer(renderer)
    if postgres.is_url(data_dir):  # copied once; every report's kernel reads the copy
        data_dir = postgres.snapshot(str(data_dir))
    ds: Dataset = load_dataset(data_dir)
    the_month = ds.resolve_month(month, what="MONTH")
    check_writable(reports_dir, str(the_month))  # a batch that cannot publish renders nothing
    clean_stale(reports_dir)
    names = ds["teams"].set_index("team_id")["team_name"]
    if COMPANY_ID in names.index:
        raise ValueError(
            f"{data_dir}/teams: the team id {COMPANY_ID!r} is reserved for the company report"
        )
    available = list_team_ids(params_dir)
    stray = [a for a in available if a not in names.index]
    if stray:  # a params folder shared by several datasets: not an error, but said
        echo(
            f"Note: {', '.join(f'{s}.yaml' for s in stray)} in {params_dir} name(s) teams that "
            f"are not in {data_dir}/teams; skipped (PARAMS=dir gives a dataset its own folder)"
        )
    valid = [*sorted(names.index), COMPANY_ID]
    team_ids = list(teams) if teams else valid
    for team_id in team_ids:
        validate_team_id(team_id)
        if team_id not in valid:
            raise ValueError(
                f"TEAMS: {team_id!r} is not a team of {data_dir} (valid: {', '.join(valid)})"
            )
    # a team whose params file breaks the schema fails alone, before anything runs, with the
    # file and key named; the other teams go on. A team without a params file uses the defaults.
    team_params, bad_params = [], []
    for tid in team_ids:
        try:
            if tid == COMPANY_ID:
                team_params.append(load_company_params(params_dir))
            elif tid in available:
                team_params.append(load_team_params(tid, params_dir))
            else:
                team_params.append(
                    load_company_params(params_dir).model_copy(update={"team_id": tid})
                )
        except ParamsError as exc:
            bad_params.append(TeamResult(tid, False, 0.0, error=f"ParamsError: {exc}"))

    def scope_name(p: TeamParams) -> str:
        if p.team_id == COMPANY_ID:
            return p.display_name or t("company", p.lang)
        return p.display_name or names[p.team_id]

    if os.environ.get("DASK_SCHEDULER"):
        report_memory(load_company_params(params_dir))  # a bad REPORT_MEMORY_GB stops it here
    for r in bad_params:
        echo(line(r))

    kept, pending, digests = _kept_and_pending(
        ds, the_month, team_params, chosen, reports_dir / str(the_month), force
    )
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(pending) or 1))
    echo(
        f"Rendering {len(pending)} of {len(team_params)} report(s) for {the_month} with the "
        f"{chosen} renderer ({jobs} at a time) from {data_dir}"
        + (f"; {len(kept)} unchanged" if kept else "")
    )
    bar = Progress(len(team_params), jobs, echo, enabled=progress)
    for r in kept:
        bar.kept(r)
    results = list(kept)
    if pending:
        kwargs = dict(
            month=the_month,
            data_dir=data_dir.resolve(),
            renderer=chosen,
            content_hash=ds.content_hash,
            reports_dir=reports_dir,
            build_dir=build_dir,
            force=force,
            params_dir=Path(params_dir).resolve(),
            timezone=ds.timezone,
            # Quarto's HTML and PDF in two processes at once only where the batch leaves cores
            # idle (one report at a time); else they would compete with the other reports
            quarto_at_once=None if jobs == 1 else False,
        )
        targets = {
            p.team_id: load_targets(None if p.team_id == COMPANY_ID else p.team_id, params_dir)
            for p in pending
        }
        # the KPI tables every report reads (company, teams, reps; all months), computed once
        # here and read by each report's kernel from the cache (`kpis.shared_kpi_tables`)
        shared_kpi_tables(ds)
        heads = headlines(ds, the_month, [p.team_id for p in pending], targets)
        tasks = [
            (
                p,
                dict(
                    kwargs,
                    scope_name=scope_name(p),
                    headline=heads[p.team_id],
                    data_key=digests.get(p.team_id),
                ),
            )
            for p in pending
        ]
        results += _render(tasks, jobs, bar, echo)
    bar.close()
    defaults = load_company_params(params_dir)
    index = write_index(reports_dir, defaults.lang, defaults.buddhist_era, warn=echo)
    echo(f"Index: {index}")
    results = sorted([*results, *bad_params], key=lambda r: r.team_id)
    return results


@contextlib.contextmanager
def _environ(name: str, value: str):
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before
