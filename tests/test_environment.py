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
