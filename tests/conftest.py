"""Shared fixtures: the hand-written tiny dataset and a small generated company."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from analysis.data.synth import SynthConfig, write_sample

# the helper modules' asserts say what differed, as the tests' own do
pytest.register_assert_rewrite("parity", "browser")

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


def write_sparse_export(path: Path, seed: int = 7) -> Path:
    """A small sparse CRM export, the shape sales ops bring from a real system (issue 15): only
    the required tables (teams, reps, opportunities), four stages in use (prospecting, proposal,
    won, lost), no stage history, snapshots, quotas, skills or trainings, amounts and close dates
    known only as final, US dollars, 14 months to 2026-10. Deterministic for a seed."""
    import numpy as np
    import pandas as pd
    import yaml

    rng = np.random.default_rng(seed)
    path.mkdir(parents=True, exist_ok=True)
    teams = pd.DataFrame(
        {
            "team_id": ["east", "west"],
            "team_name": ["East Coast", "West Coast"],
            "manager_name": ["Dana Smith", "Luis Ortega"],
            "region": ["East", "West"],
        }
    )
    reps = pd.DataFrame(
        {
            "rep_id": [f"r{i}" for i in range(6)],
            "rep_name": ["Ann Lee", "Bo Chen", "Cara Diaz", "Dev Patel", "Eve Stone", "Finn Moss"],
            "team_id": ["east"] * 3 + ["west"] * 3,
            "hire_date": ["2024-01-15"] * 6,
            "territory": ["NY", "MA", "NJ", "CA", "OR", "WA"],
            "left_date": [None] * 6,
        }
    )
    months = pd.period_range("2025-09", "2026-10", freq="M")
    rows = []
    for rep in reps["rep_id"]:
        for m in months:
            for _ in range(rng.poisson(5)):
                created = m.start_time + pd.Timedelta(seconds=int(rng.integers(0, 27 * 86400)))
                days = float(rng.gamma(2.0, 20.0))
                closed = created + pd.Timedelta(days=days)
                end = pd.Timestamp("2026-11-01")
                if closed >= end:
                    stage = rng.choice(["prospecting", "proposal"])
                    closed_at, loss = None, None
                    expected = (end + pd.Timedelta(days=int(rng.integers(5, 60)))).date()
                else:
                    won = rng.random() < 0.3
                    stage = "closed_won" if won else "closed_lost"
                    closed_at = closed.floor("s")
                    loss = None if won else rng.choice(["Price", "Competitor", "No decision"])
                    expected = closed.date()  # the export records the actual date on closing
                rows.append(
                    {
                        "opportunity_id": f"D{len(rows):05d}",
                        "account_id": f"A{int(rng.integers(0, 120)):04d}",
                        "rep_id": rep,
                        "lead_id": None,
                        "created_at": created.floor("s"),
                        "expected_close_date": expected,
                        "closed_at": closed_at,
                        "stage": stage,
                        "amount": float(round(rng.lognormal(9.5, 0.6), -1)),
                        "product": rng.choice(["Basic", "Pro"]),
                        "deal_type": "new_business",
                        "loss_reason": loss,
                    }
                )
    teams.to_csv(path / "teams.csv", index=False)
    reps.to_csv(path / "reps.csv", index=False)
    pd.DataFrame(rows).to_csv(path / "opportunities.csv", index=False)
    meta = {"name": "sparse export", "timezone": "America/New_York", "currency": "USD"}
    (path / "dataset.yaml").write_text(yaml.safe_dump({**meta, "as_of": "2026-10-31"}))
    return path
