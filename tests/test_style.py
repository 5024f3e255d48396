"""ruff lint and format are part of the suite, so CI enforces the house style."""

import subprocess
import sys

from analysis.paths import PROJECT_ROOT


def _ruff(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=PROJECT_ROOT, capture_output=True, text=True
    )


def test_ruff_lint():
    proc = _ruff("check", "src", "tests", "notebooks", "bench", "conftest.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_ruff_format():
    proc = _ruff("format", "--check", "src", "tests", "bench", "conftest.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_generated_docs_are_current():
    proc = subprocess.run(
        [sys.executable, "-m", "analysis", "docs", "--check"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
