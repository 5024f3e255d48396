"""ruff lint and format are part of the suite, so CI enforces the house style."""

import re
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


def test_the_readme_counts_are_generated():
    """Issue 15: the README said "52 KPIs" while the registry and docs/kpis.md had 50. Counts in
    the README sit between markers that `python -m analysis docs` fills and `--check` verifies."""
    from analysis.cli import readme_with_counts
    from analysis.metrics.kpis import KPIS

    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert f"<!-- count:kpis -->{len(KPIS)}<!-- /count --> KPIs" in readme
    typed = "— <!-- count:kpis -->52<!-- /count --> KPIs"
    assert readme_with_counts(typed) == f"— <!-- count:kpis -->{len(KPIS)}<!-- /count --> KPIs"
    assert not re.search(
        r"\b\d+ KPIs\b", re.sub(r"<!--.*?-->", "", readme).replace(f"{len(KPIS)} KPIs", "")
    ), "a KPI count typed outside the markers"
