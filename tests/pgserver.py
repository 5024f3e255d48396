"""A throwaway PostgreSQL server for the tests and `bench/bench_postgres.py`: Debian's server
binaries (`.ci/run` installs the `postgresql` package when missing), a cluster in a temporary
folder, trust authentication, reached on a Unix socket only (no TCP port). PostgreSQL refuses
to run as root; there it runs as the `postgres` user."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["unavailable", "running"]


def _bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).resolve().parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]))
    return Path(versions[-1]) if versions else None


def _as_server_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def unavailable() -> str | None:
    """Why no server can be started here (None when it can)."""
    if _bindir() is None:
        return "PostgreSQL's server is not installed (Debian: apt-get install postgresql)"
    if os.geteuid() == 0:
        import pwd

        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root without a postgres user to run the server as"
    return None


@contextlib.contextmanager
def running() -> Iterator[str]:
    """A server for the duration of the block; yields the URL of its `postgres` database."""
    bindir = _bindir()
    # not under pytest's tmp folder: a root-owned 0700 parent would keep the postgres user out
    folder = Path(tempfile.mkdtemp(prefix="aem-pg-"))
    folder.chmod(0o777)
    data = folder / "cluster"
    try:
        initdb = [str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "aem", "--no-sync"]
        subprocess.run(_as_server_user(initdb), check=True, capture_output=True)
        options = f"-k {folder} -c listen_addresses='' -c fsync=off"
        start = [str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "log")]
        subprocess.run(_as_server_user([*start, "-w", "start"]), check=True, capture_output=True)
        yield f"postgresql:///postgres?host={folder}&user=aem"
    finally:
        stop = [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]
        subprocess.run(_as_server_user(stop), capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def create_database(server: str, name: str) -> str:
    """A new, empty database on `server`; its URL."""
    import adbc_driver_postgresql.dbapi as pg

    with pg.connect(server, autocommit=True) as conn, conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE {name}")
    return server.replace("/postgres?", f"/{name}?")
