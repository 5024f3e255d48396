"""The bad-input corpus: every file in tests/fixtures/bad, put in place of its table in a copy of
tests/fixtures/tiny, must produce exactly the messages written for it in expected.yaml (all of
them, nothing else), and `python -m analysis validate` must exit 2 on errors, 0 on warnings."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from analysis.data.dataset import load_dataset
from analysis.data.validate import DataValidationError

BAD = Path(__file__).parent / "fixtures" / "bad"
TINY = Path(__file__).parent / "fixtures" / "tiny"
EXPECTED: dict[str, list[str]] = yaml.safe_load((BAD / "expected.yaml").read_text("utf-8"))


def _dataset_with(bad_file: Path, tmp_path: Path) -> Path:
    data = tmp_path / "data"
    shutil.copytree(TINY, data)
    table = bad_file.name.split("--")[0]
    shutil.copyfile(bad_file, data / f"{table}.csv")
    return data


def test_the_corpus_is_complete():
    files = sorted(p.name for p in BAD.glob("*--*.csv"))
    assert len(files) >= 30
    assert files == sorted(EXPECTED), "every bad file has its expected messages, and only those"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_gives_its_exact_messages(name, tmp_path, monkeypatch):
    monkeypatch.setenv("AEM_CACHE_DIR", "off")
    data = _dataset_with(BAD / name, tmp_path)
    expected = EXPECTED[name]
    errors = [m for m in expected if ": warning: " not in m]
    try:
        ds = load_dataset(data)
    except DataValidationError as exc:
        assert errors, f"{name} should only warn, but failed: {exc}"
        issues = exc.issues
    else:
        assert not errors, f"{name} should fail validation"
        issues = list(ds.warnings)
    got = [str(i).replace(f"{data}/", "") for i in issues]
    assert got == expected


@pytest.mark.parametrize(
    ("name", "code"),
    [("opportunities--negative-amount.csv", 2), ("opportunities--unknown-column.csv", 0)],
)
def test_validate_command_exit_codes(name, code, tmp_path):
    data = _dataset_with(BAD / name, tmp_path)
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "validate", "--data", str(data)],
        capture_output=True,
        text=True,
        env={**os.environ, "AEM_CACHE_DIR": "off"},
    )
    assert proc.returncode == code, proc.stderr
    shown = proc.stderr if code else proc.stdout
    for message in EXPECTED[name]:
        assert message in shown.replace(f"{data}/", "")
