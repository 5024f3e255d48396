"""JupyterLab as an analyst meets it: `make lab` starts a real server whose kernels draw charts
inline, relative paths resolve from the project root, the analyst's own notebooks change
nothing, and the shipped plots write no warnings."""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
import uuid
import warnings
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from analysis.data.dataset import load_dataset
from analysis.paths import PROJECT_ROOT

README = PROJECT_ROOT / "README.md"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _api(port: int, token: str, path: str, method: str = "GET", body: dict | None = None):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        method=method,
        headers={"Authorization": f"token {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read().decode()
    return json.loads(text) if text else None


def _execute(ws, code: str, timeout: float = 300) -> list[dict]:
    """Run `code` in the kernel behind websocket `ws`; the iopub outputs it produced."""
    msg_id = uuid.uuid4().hex
    ws.send(
        json.dumps(
            {
                "header": {
                    "msg_id": msg_id,
                    "username": "test",
                    "session": uuid.uuid4().hex,
                    "msg_type": "execute_request",
                    "version": "5.3",
                },
                "parent_header": {},
                "metadata": {},
                "content": {
                    "code": code,
                    "silent": False,
                    "store_history": True,
                    "user_expressions": {},
                    "allow_stdin": False,
                    "stop_on_error": True,
                },
                "channel": "shell",
                "buffers": [],
            }
        )
    )
    outputs, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = json.loads(ws.recv())
        if msg.get("parent_header", {}).get("msg_id") != msg_id or msg["channel"] != "iopub":
            continue
        kind = msg["msg_type"]
        if kind in ("stream", "display_data", "execute_result", "error"):
            outputs.append({"type": kind, **msg["content"]})
        if kind == "status" and msg["content"]["execution_state"] == "idle":
            return outputs
    raise TimeoutError(f"no answer to {code[:60]!r} in {timeout} s")


def _readme_python_api_example() -> str:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Python API") :]
    return section.split("```python\n", 1)[1].split("```", 1)[0]


@pytest.mark.e2e
@pytest.mark.xdist_group("kernels")
def test_make_lab_serves_the_project_root_and_its_kernels_draw_charts(small_dataset):
    """`make lab` (with the Makefile's MPLBACKEND=Agg in its environment, as always) starts a
    server at the project root; a notebook run through it gets PNG charts, the README's API
    example runs unchanged from a kernel in notebooks/, and no cell writes to stderr."""
    import websocket

    port, token = _free_port(), secrets.token_hex(16)
    args = f"--no-browser --port={port} --ServerApp.port_retries=0 --IdentityProvider.token={token}"
    env = {**os.environ, "AEM_DATA_DIR": str(small_dataset), "MPLBACKEND": "Agg"}
    server = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _api(port, token, "/api/status")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    log = server.stdout.read().decode(errors="replace") if server.stdout else ""
                    pytest.fail(f"make lab did not start a server: {log[-3000:]}")
                time.sleep(0.5)
        root = {item["name"] for item in _api(port, token, "/api/contents")["content"]}
        assert {"README.md", "docs", "notebooks", "data"} <= root
        session = _api(
            port,
            token,
            "/api/sessions",
            "POST",
            {
                "path": "notebooks/explore.ipynb",
                "name": "explore.ipynb",
                "type": "notebook",
                "kernel": {"name": "aem-analysis"},
            },
        )
        kernel = session["kernel"]["id"]
        ws = websocket.create_connection(
            f"ws://127.0.0.1:{port}/api/kernels/{kernel}/channels?token={token}", timeout=300
        )
        try:
            backend = _execute(ws, "import matplotlib; print(matplotlib.get_backend())")
            assert "inline" in backend[0]["text"], backend
            nb = nbformat.read(PROJECT_ROOT / "notebooks" / "explore.ipynb", as_version=4)
            outputs = []
            for cell in [c for c in nb.cells if c.cell_type == "code"]:
                outputs += _execute(ws, cell.source)
            outputs += _execute(ws, _readme_python_api_example())
        finally:
            ws.close()
        errors = [o for o in outputs if o["type"] == "error"]
        assert not errors, [f"{o['ename']}: {o['evalue']}" for o in errors]
        stderr = [o["text"] for o in outputs if o["type"] == "stream" and o["name"] == "stderr"]
        assert not stderr, stderr
        pngs = [o for o in outputs if "image/png" in o.get("data", {})]
        assert pngs, "no chart was displayed"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def test_relative_dataset_paths_resolve_from_the_project_root(monkeypatch, tmp_path):
    """A kernel started from Lab runs in notebooks/: a path relative to the project root (as
    the README writes them) still finds the dataset."""
    monkeypatch.chdir(tmp_path)  # anywhere but the project root
    ds = load_dataset("tests/fixtures/tiny")
    assert ds.path == PROJECT_ROOT / "tests" / "fixtures" / "tiny"
    here = tmp_path / "mine"
    shutil.copytree(PROJECT_ROOT / "tests" / "fixtures" / "tiny", here)
    assert load_dataset("mine").path == Path("mine")  # the working directory comes first


def test_analysts_notebooks_and_saved_outputs_do_not_re_render_the_reports(tmp_path, monkeypatch):
    """The reports' code digest covers the code of the notebooks the reports are made of: not a
    scratch notebook beside them, not outputs saved into a report notebook."""
    from analysis.reports import batch

    copies = tmp_path / "notebooks"
    shutil.copytree(PROJECT_ROOT / "notebooks", copies, ignore=shutil.ignore_patterns("scratch"))
    monkeypatch.setattr(batch, "NOTEBOOKS_DIR", copies)
    monkeypatch.setattr(
        batch, "COMPANY_NOTEBOOKS", {k: copies / p.name for k, p in batch.COMPANY_NOTEBOOKS.items()}
    )
    before = batch._code_digest()
    scratch = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    nbformat.write(scratch, copies / "Untitled.ipynb")
    (copies / "scratch").mkdir()
    nbformat.write(scratch, copies / "scratch" / "mine.ipynb")
    assert batch._code_digest() == before
    report = copies / "monthly_team_report.ipynb"
    nb = nbformat.read(report, as_version=4)
    code = next(c for c in nb.cells if c.cell_type == "code")
    code.execution_count = 3
    code.outputs = [nbformat.v4.new_output("stream", name="stdout", text="saved from Lab\n")]
    nbformat.write(nb, report)
    assert batch._code_digest() == before
    code.source += "\n"  # a change to the code is a change
    nbformat.write(nb, report)
    assert batch._code_digest() != before


def test_importing_analysis_in_a_kernel_gives_matplotlib_the_thai_font():
    """In a Jupyter kernel `import analysis` alone lets the analyst's own chart draw Thai."""
    script = (
        "import ipykernel, logging, warnings\n"
        "import analysis\n"
        "import matplotlib\n"
        "matplotlib.use('Agg')\n"
        "import matplotlib.pyplot as plt\n"
        "warnings.simplefilter('error')\n"
        "fig, ax = plt.subplots()\n"
        "ax.set_title('ทีมกรุงเทพฯ รายได้')\n"
        "fig.canvas.draw()\n"
        "print(matplotlib.rcParams['font.family'])\n"
    )
    run = subprocess.run(
        [os.sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Noto Sans Thai" in run.stdout
    assert "missing from font" not in run.stderr


def test_the_funnel_chart_writes_no_warnings_and_keeps_labels_readable(caplog):
    """No font or layout warning (they show as pink blocks in Lab and in the report), and a bar
    too narrow for its label gets the label beside it in dark text."""
    from analysis.reports import plots

    steps = pd.DataFrame(
        {
            "stage": ["prospecting", "qualification", "proposal", "negotiation", "closed_won"],
            "reached": [974, 700, 480, 330, 30],
        }
    )
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        fig = plots.plot_funnel(steps, lang="th")
        fig.canvas.draw()
    assert not caught, [str(w.message) for w in caught]
    assert not [r for r in caplog.records if r.name.startswith("matplotlib")], caplog.text
    texts = fig.axes[0].texts
    assert texts[0].get_color() == "white"  # the widest bar holds its label
    assert texts[-1].get_color() != "white" and texts[-1].get_ha() == "left"
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_the_api_answers_the_usual_questions_with_names():
    """`analysis.kpis` and `analysis.deals` on the hand-written tiny dataset, checked by hand:
    in January 2026 r1 (north) won o1 (60,000) and o2 (40,000, closed 23:59:59 on the 31st) and
    r2 lost o4; o3 closed on 1 February, so at the end of January it was still open."""
    import analysis

    assert {"load", "kpis", "deals", "revenue_forecast", "skill_effects"} <= set(analysis.__all__)
    ds = analysis.load("tests/fixtures/tiny")
    reps = analysis.kpis(ds, team="north", level="rep", month="2026-01")
    assert reps["scope_id"].tolist() == ["r1", "r2"]
    assert reps["name"].tolist() == ["วิชัย ศรีสุข", "Ann Lee"]
    assert reps["team_id"].tolist() == ["north", "north"]
    assert reps["revenue"].tolist() == [60_000 + 40_000, 0]
    assert reps["win_rate"].tolist() == [2 / 2, 0 / 1]
    team = analysis.kpis(ds, team="north", month="2026-02", last=2)
    assert team["month"].astype(str).tolist() == ["2026-01", "2026-02"]
    assert team["name"].unique().tolist() == ["ทีมภาคเหนือ"]
    deals = analysis.deals(ds, rep="r1", month="2026-01")
    assert deals["opportunity_id"].tolist() == ["o1", "o2", "o3"]  # largest first
    assert deals["closed_at"].isna().tolist() == [False, False, True]
    assert set(deals["rep_name"]) == {"วิชัย ศรีสุข"}
    with pytest.raises(ValueError, match="not in teams.team_id"):
        analysis.kpis(ds, team="nowhere")
