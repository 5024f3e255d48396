"""A small on-disk cache for results that every report of a run would otherwise recompute (the
validated dataset, the company-wide skill-effects rows). Entries are pickles in build/cache keyed
by what they depend on — the dataset's content hash, the arguments, and a digest of the package's
code — so a change to any of them is a miss, never a stale hit. $AEM_CACHE_DIR moves it; "off"
disables it.

Every entry is signed: an HMAC-SHA256 over its bytes with a random key made once per cache folder
(`.key`, readable by its owner only). `load` unpickles only an entry whose signature matches, so
a changed byte, an entry copied from another machine or a file planted in the folder is a miss
(recomputed), never a wrong number in a report and never code run by unpickling.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os
import pickle
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from analysis.paths import BUILD_DIR

__all__ = ["cache_dir", "code_digest", "entry", "load", "store", "memo"]

KEEP = 16  # entries kept (the most recently used)
T = TypeVar("T")


def cache_dir() -> Path | None:
    value = os.environ.get("AEM_CACHE_DIR")
    if value == "off":
        return None
    return Path(value) if value else BUILD_DIR / "cache"


@functools.lru_cache(maxsize=1)
def code_digest() -> str:
    """Digest of every module of the package: any code change invalidates every entry."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parents[1]
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def entry(kind: str, *key: str) -> Path | None:
    """The cache file for `kind` and `key` (None when caching is off)."""
    folder = cache_dir()
    if folder is None:
        return None
    name = hashlib.sha256("\0".join([code_digest(), *key]).encode()).hexdigest()[:32]
    return folder / f"{kind}-{name}.pkl"


_MAC = 32  # bytes of HMAC-SHA256 at the start of every entry


def _key(folder: Path, create: bool) -> bytes | None:
    """The folder's signing key; made (32 random bytes, mode 0600) when `create` and missing."""
    path = folder / ".key"
    try:
        return path.read_bytes()
    except FileNotFoundError:
        if not create:
            return None
    folder.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # made by another process meanwhile
        return path.read_bytes()
    with os.fdopen(fd, "wb") as fh:
        fh.write(os.urandom(32))
    return path.read_bytes()


def _sign(key: bytes, data: bytes) -> bytes:
    return hmac.new(key, data, hashlib.sha256).digest()


def load(path: Path | None):
    """The cached value, or None on a miss: no entry, an unreadable one, or one whose signature
    does not match its content (changed, copied from elsewhere, planted)."""
    if path is None or not path.is_file():
        return None
    try:
        key = _key(path.parent, create=False)
        blob = path.read_bytes()
        mac, data = blob[:_MAC], blob[_MAC:]
        if key is None or not hmac.compare_digest(mac, _sign(key, data)):
            path.unlink(missing_ok=True)
            return None
        value = pickle.loads(data)
        os.utime(path)  # recently used: kept by the pruning
        return value
    except Exception:
        return None


def store(path: Path | None, value) -> None:
    """Write atomically, signed; prune to the KEEP most recently used entries. Failures only
    cost time."""
    if path is None:
        return
    try:
        key = _key(path.parent, create=True)
        data = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        fd, tmp = tempfile.mkstemp(prefix=".entry-", dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(_sign(key, data))
            fh.write(data)
        os.replace(tmp, path)
        entries = sorted(path.parent.glob("*.pkl"), key=lambda p: p.stat().st_mtime)
        for stale in entries[:-KEEP]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass


def memo(kind: str, key: tuple[str, ...], compute: Callable[[], T]) -> T:
    """compute(), cached under (kind, key); no caching when any key part is empty."""
    if not all(key):
        return compute()
    path = entry(kind, *key)
    value = load(path)
    if value is None:
        value = compute()
        store(path, value)
    return value
