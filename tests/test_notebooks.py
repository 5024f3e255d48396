"""Notebooks stay thin and committed without outputs; nbval runs each one on a small dataset."""

from __future__ import annotations

import ast
import os
import subprocess
import sys

import nbformat
import pytest

from analysis.paths import NOTEBOOKS_DIR, PROJECT_ROOT
from analysis.reports.batch import COMPANY_NOTEBOOKS

# The notebooks the project ships: the reports' parts and the analysts' starting point. An
# analyst's own notebooks (notebooks/scratch/, or anywhere else) are not tested.
NOTEBOOKS = sorted({*COMPANY_NOTEBOOKS.values(), NOTEBOOKS_DIR / "explore.ipynb"})
SQL_WORDS = ("select ", " from ", "join ", "group by")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, (
                f"{path.name}: strip outputs"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_comes_first_and_is_typed(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "parameters" in code[0].metadata.get("tags", []), (
        "first code cell must be tagged 'parameters'"
    )
    tree = ast.parse(code[0].source)
    assert tree.body and all(isinstance(n, ast.AnnAssign) for n in tree.body), (
        "typed assignments only"
    )
    for line in code[0].source.splitlines():
        assert "#" in line and line.count("=") == 1, (
            f"one comment per parameter, no '=' in it: {line!r}"
        )
    assert nb.metadata["kernelspec"]["name"] == "aem-analysis"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_parameters_cell_matches_the_typed_schema(path):
    """The parameters cell declares exactly the schema's fields, and its defaults validate."""
    from analysis.reports.params import ForecastNotebookParams, NotebookParams

    schema = {"revenue_forecast.ipynb": ForecastNotebookParams}.get(path.name, NotebookParams)
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    namespace: dict = {}
    exec(compile(cell.source, path.name, "exec"), {}, namespace)
    values = {k: v for k, v in namespace.items() if not k.startswith("__")}
    assert set(values) == set(schema.model_fields), path.name
    schema(**values)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_thin_only_calls_into_analysis(path):
    nb = nbformat.read(path, as_version=4)
    for cell in [c for c in nb.cells if c.cell_type == "code"][1:]:
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(
                node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
            ), f"{path.name}: no definitions in notebooks, move logic to analysis: {cell.source!r}"
            if isinstance(node, ast.Import):
                assert all(a.name.split(".")[0] == "analysis" for a in node.names), (
                    f"{path.name}: imports only from analysis: {cell.source!r}"
                )
            if isinstance(node, ast.ImportFrom):
                assert (node.module or "").split(".")[0] == "analysis", (
                    f"{path.name}: imports only from analysis"
                )
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value.lower()
                assert (
                    "/" not in text and "\\" not in text and not text.endswith((".csv", ".parquet"))
                ), f"{path.name}: no file paths in notebooks: {node.value!r}"
                assert not any(w in f" {text} " for w in SQL_WORDS), (
                    f"{path.name}: no SQL in notebooks"
                )


@pytest.mark.e2e
@pytest.mark.xdist_group("kernels")
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_nbval_runs_the_notebook_on_a_small_dataset(path, small_dataset, tmp_path):
    """nbval (lax: the notebooks carry no stored outputs) executes every cell without error."""
    env = {
        **os.environ,
        "AEM_DATA_DIR": str(small_dataset),
        "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    }
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--nbval-lax",
            "--nbval-current-env",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-q",
            "--rootdir",
            str(tmp_path),
            str(path),
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout
