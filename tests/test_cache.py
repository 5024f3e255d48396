"""The on-disk cache verifies what it reads (issue 18, failure 6): a changed entry is recomputed,
a planted one is never unpickled."""

from __future__ import annotations

import pickle
import struct

import pandas as pd

from analysis.data import cache


def test_a_changed_number_in_a_cached_table_is_recomputed(tmp_path, monkeypatch):
    """The old cache trusted its pickles: 8 changed bytes made a report show ฿9,048,000 in one
    section and ฿7,048,000 in another. Now the entry fails its signature and is recomputed."""
    monkeypatch.setenv("AEM_CACHE_DIR", str(tmp_path))
    table = pd.DataFrame({"scope_id": ["bangkok"], "revenue": [7_048_000.0]})
    calls = []

    def compute():
        calls.append(1)
        return table.copy()

    first = cache.memo("kpis", ("content-hash", "team"), compute)
    (entry,) = tmp_path.glob("kpis-*.pkl")
    blob = entry.read_bytes()
    old, new = struct.pack("<d", 7_048_000.0), struct.pack("<d", 9_048_000.0)
    assert blob.count(old) == 1
    entry.write_bytes(blob.replace(old, new))
    again = cache.memo("kpis", ("content-hash", "team"), compute)
    assert len(calls) == 2  # recomputed, not read
    pd.testing.assert_frame_equal(again, first)
    assert again["revenue"].iloc[0] == 7_048_000.0
    # and the recomputed entry is good again: read, not recomputed
    cache.memo("kpis", ("content-hash", "team"), compute)
    assert len(calls) == 2


class _Planted:
    """A pickle that, when loaded, writes a marker file (as a malicious one would run code)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_a_planted_entry_is_never_unpickled(tmp_path, monkeypatch):
    monkeypatch.setenv("AEM_CACHE_DIR", str(tmp_path / "cache"))
    cache.store(cache.entry("kpis", "other"), {"a": 1})  # the folder and its key exist
    path = cache.entry("dataset", "content-hash", "lazy=False")
    marker = tmp_path / "code-ran"
    path.write_bytes(b"\0" * 32 + pickle.dumps(_Planted(marker)))  # no valid signature
    assert cache.load(path) is None
    assert not marker.exists()
    path.write_bytes(pickle.dumps(_Planted(marker)))  # an unsigned pickle, as the old cache wrote
    assert cache.load(path) is None
    assert not marker.exists()
