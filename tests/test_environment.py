"""environment.yml, pyproject.toml and requirements.lock agree on every pin."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]


def _pins(specs) -> dict[str, str]:
    out = {}
    for spec in specs:
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)==([^\s;]+)", spec.strip())
        assert match, f"not an exact pin: {spec!r}"
        out[match.group(1).lower().replace("_", "-")] = match.group(2)
    return out


def _pyproject() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return _pins(project["dependencies"] + project["optional-dependencies"]["dev"])


def test_environment_yml_matches_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    pip_block = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    assert "python=3.11" in env["dependencies"]
    assert _pins(pip_block) == _pyproject()


def test_lock_pins_every_direct_dependency_at_the_same_version():
    lock = _pins(
        line
        for line in (ROOT / "requirements.lock").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    for name, version in _pyproject().items():
        assert name in lock, (
            f"{name} is in pyproject.toml but not in requirements.lock (run make lock)"
        )
        assert Version(lock[name]) == Version(version), (
            f"{name}: pyproject {version}, lock {lock[name]}"
        )


# Runtime dependencies the package never imports, and why each is pinned all the same.
NOT_IMPORTED = {
    "dask": "distributed (the Dask executor, analysis.reports.executors) needs this exact version",
    "ipykernel": "the Jupyter kernel papermill and JupyterLab run the notebooks in (make setup)",
    "jupyterlab": "make lab: the analysts' notebook environment",
    "openpyxl": "pandas.read_excel's engine for .xlsx CRM exports (analysis.data.importer)",
}


def _imported_distributions() -> set[str]:
    """Distributions that provide a module the package imports (at the top or in a function)."""
    import ast
    from importlib.metadata import packages_distributions

    modules = set()
    for path in (ROOT / "src" / "analysis").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    provided = packages_distributions()
    return {d.lower().replace("_", "-") for m in modules for d in provided.get(m, [])}


def test_every_pinned_runtime_dependency_is_imported_or_has_a_reason():
    runtime = _pins(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"])
    imported = _imported_distributions()
    unused = sorted(set(runtime) - imported - set(NOT_IMPORTED))
    assert not unused, (
        f"pinned but never imported: {', '.join(unused)}; remove the pin (pyproject.toml, "
        "environment.yml, requirements.lock) or say in NOT_IMPORTED why it is needed"
    )
    stale = sorted(n for n in NOT_IMPORTED if n not in runtime or n in imported)
    assert not stale, f"NOT_IMPORTED lists {', '.join(stale)}: not pinned, or imported after all"
