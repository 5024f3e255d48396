"""Project folders, derived from the package location; nothing else hard-codes a path."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "BUILD_DIR",
    "DATA_DIR",
    "NOTEBOOKS_DIR",
    "PACKAGE_DIR",
    "PARAMS_DIR",
    "PROJECT_ROOT",
    "REPORTS_DIR",
    "SAMPLE_DATA_DIR",
    "TEMPLATES_DIR",
    "resolve",
]

# src/analysis/paths.py -> project root is two levels above the package. AEM_PROJECT_ROOT lets an
# installed (non-editable) package point at a checkout.
PROJECT_ROOT = Path(os.environ.get("AEM_PROJECT_ROOT", Path(__file__).resolve().parents[2]))
DATA_DIR = PROJECT_ROOT / "data"
SAMPLE_DATA_DIR = DATA_DIR / "sample"
# AEM_PARAMS_DIR: another params folder (a dataset's own teams; relative to the project root).
# The batch sets it for the report kernels it starts, so they read the same folder.
PARAMS_DIR = PROJECT_ROOT / os.environ.get("AEM_PARAMS_DIR", "params")
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
BUILD_DIR = PROJECT_ROOT / "build"
REPORTS_DIR = PROJECT_ROOT / "reports"
PACKAGE_DIR = Path(__file__).resolve().parent
TEMPLATES_DIR = PACKAGE_DIR / "reports" / "templates"


def resolve(path: str | Path) -> Path:
    """`path` as given when it is absolute or exists from the working directory, else under the
    project root: `data/sample` means the project's sample in a notebook under `notebooks/` (where
    Jupyter starts kernels) as much as in a shell at the root.

    >>> resolve("data") == DATA_DIR or Path("data").exists()
    True
    """
    path = Path(path).expanduser()
    if path.is_absolute() or path.exists():
        return path
    return PROJECT_ROOT / path
