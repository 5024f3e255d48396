"""Shared fixtures: the hand-written tiny dataset and a small generated company."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from analysis.data.synth import SynthConfig, write_sample

# `make test` (and so CI) runs the property tests on a fixed set of examples, so a run is
# reproducible and cannot fail by luck; plain `pytest` explores new examples.
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI") or os.environ.get("HYPOTHESIS_PROFILE") == "ci":
    settings.load_profile("ci")

FIXTURES = Path(__file__).parent / "fixtures"
TINY = FIXTURES / "tiny"

# Two teams (bangkok, chiang-mai), four reps each, 14 months: enough for every report section.
SMALL_CONFIG = SynthConfig(n_teams=2, reps_per_team=4, months=14, scale=0.6)


@pytest.fixture
def tiny_copy(tmp_path: Path) -> Path:
    """A writable copy of tests/fixtures/tiny, for tests that corrupt it."""
    target = tmp_path / "tiny"
    shutil.copytree(TINY, target)
    return target


@pytest.fixture(scope="session")
def small_dataset(tmp_path_factory) -> Path:
    """A small generated dataset (per test worker), written once per session."""
    return write_sample(tmp_path_factory.mktemp("small") / "data", SMALL_CONFIG)


def _hostile_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "hostile_build", FIXTURES / "hostile" / "build.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOSTILE = _hostile_module()  # tests/fixtures/hostile: build(folder), invalid(data, case), SPEC


@pytest.fixture(scope="session")
def hostile_build():
    """tests/fixtures/hostile/build.py: SPEC (hostile.yaml), LONG, MONTH, build, invalid."""
    return HOSTILE


@pytest.fixture(scope="session")
def hostile(tmp_path_factory) -> tuple[Path, Path]:
    """The hostile company of tests/fixtures/hostile (names with $, #, //, Markdown links,
    <script>, 5,000 characters, RTL and emoji; a team that lost everything, one with no activity
    in the month, a new team with one rep): (data folder, params folder)."""
    return HOSTILE.build(tmp_path_factory.mktemp("hostile"))
