"""For the docstring examples of src/analysis (pytest --doctest-modules): examples that load
data read a small generated company through $AEM_DATA_DIR, so they need no data/sample."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _doctest_dataset(request, tmp_path_factory):
    if not isinstance(request.node, pytest.DoctestItem):
        yield
        return
    from analysis.data.synth import SynthConfig, write_sample

    folder = tmp_path_factory.getbasetemp() / "doctest-data"
    if not (folder / "dataset.yaml").is_file():
        write_sample(folder, SynthConfig(n_teams=2, reps_per_team=4, months=14, scale=0.6))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AEM_DATA_DIR", str(folder))
        yield
