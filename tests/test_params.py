"""params/*.yaml: typed, unknown keys rejected, ids safe as paths, in step with the notebook."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

from analysis.data.synth import TEAM_CATALOGUE
from analysis.paths import NOTEBOOKS_DIR, PARAMS_DIR
from analysis.reports.params import (
    NotebookParams,
    ParamsError,
    list_team_ids,
    load_team_params,
    validate_team_id,
)


def test_every_params_file_is_valid_and_names_a_sample_team():
    ids = list_team_ids()
    assert ids, "params/ has no team files"
    sample_teams = {t[0] for t in TEAM_CATALOGUE[:6]}
    for team_id in ids:
        params = load_team_params(team_id)
        assert params.team_id == team_id
        assert team_id in sample_teams


def _write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / "_defaults.yaml").write_text("lang: th\n", encoding="utf-8")
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_apply_and_files_override(tmp_path):
    _write(tmp_path, "north", "team_id: north\nlang: en\n")
    assert load_team_params("north", tmp_path).lang == "en"
    _write(tmp_path, "south", "team_id: south\n")
    assert load_team_params("south", tmp_path).lang == "th"


def test_unknown_key_names_file_and_key(tmp_path):
    path = _write(tmp_path, "north", "team_id: north\nlanguage: en\n")
    with pytest.raises(ParamsError, match=rf"{path}: language: Extra inputs are not permitted"):
        load_team_params("north", tmp_path)


def test_wrong_value_names_the_key(tmp_path):
    _write(tmp_path, "north", "team_id: north\nlang: fr\n")
    with pytest.raises(ParamsError, match=r"north.yaml: lang: Input should be 'th' or 'en'"):
        load_team_params("north", tmp_path)


def test_team_id_must_match_file_name(tmp_path):
    _write(tmp_path, "north", "team_id: south\n")
    with pytest.raises(ParamsError, match="does not match the file name"):
        load_team_params("north", tmp_path)


def test_missing_file_lists_the_valid_teams(tmp_path):
    _write(tmp_path, "north", "team_id: north\n")
    with pytest.raises(
        ParamsError, match=r"no params file for team 'west' \(teams with params: north\)"
    ):
        load_team_params("west", tmp_path)


@pytest.mark.parametrize("bad", ["../etc", "/abs", "a/b", "Bangkok", "a--b", "", "a b", "-a"])
def test_team_ids_cannot_become_paths(bad):
    with pytest.raises(ValueError, match="must be a slug"):
        validate_team_id(bad)


def test_notebook_params_validate_month_and_team():
    with pytest.raises(ValueError, match="is not a month"):
        NotebookParams(month="2026-13")
    with pytest.raises(ValueError, match="must be a slug"):
        NotebookParams(team="../x")
    with pytest.raises(ValueError, match="Extra inputs"):
        NotebookParams(teem="bangkok")


def test_notebook_parameters_cell_matches_the_schema():
    nb = nbformat.read(NOTEBOOKS_DIR / "monthly_team_report.ipynb", as_version=4)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    names = {
        node.target.id for node in ast.parse(cell.source).body if isinstance(node, ast.AnnAssign)
    }
    assert names == set(NotebookParams.model_fields)


def test_params_dir_is_the_projects():
    assert PARAMS_DIR.name == "params" and (PARAMS_DIR / "_defaults.yaml").is_file()


def test_targets_merge_over_defaults_and_reject_unknown_kpis(tmp_path):
    (tmp_path / "_defaults.yaml").write_text(
        "targets:\n  win_rate: 0.25\n  csat_avg: 4.0\n", encoding="utf-8"
    )
    (tmp_path / "north.yaml").write_text(
        "team_id: north\ntargets:\n  win_rate: 0.3\n", encoding="utf-8"
    )
    assert load_team_params("north", tmp_path).targets == {"win_rate": 0.3, "csat_avg": 4.0}
    (tmp_path / "south.yaml").write_text(
        "team_id: south\ntargets:\n  win_rat: 0.3\n", encoding="utf-8"
    )
    with pytest.raises(ParamsError, match=r"south.yaml: targets: .*unknown KPI\(s\) win_rat"):
        load_team_params("south", tmp_path)
