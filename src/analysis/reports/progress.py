"""What the batch tells its user while it runs and at the end: a progress bar of teams done,
running and failed (tqdm, on stderr), one line per finished report, and the summary table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["TeamResult", "Progress", "summary_table", "line"]


@dataclass(frozen=True)
class TeamResult:
    """How one team's report went: published (`ok`), kept as it was (`skipped`), or failed."""

    team_id: str
    ok: bool
    seconds: float
    files: tuple[Path, ...] = ()
    error: str | None = None
    executed: Path | None = None
    skipped: bool = False  # published already from the same inputs (see `batch.input_key`)
    warnings: tuple[str, ...] = ()  # what the renderer warned of (Quarto's warning lines)


class Progress:
    """Teams done, running and failed: a tqdm bar on stderr, and one line per finished team."""

    def __init__(self, total: int, jobs: int, echo: Callable[[str], None], *, enabled: bool):
        self.total, self.done, self.running, self.failed, self.echo = total, 0, 0, 0, echo
        self.bar = None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="team", desc="teams", leave=True, dynamic_ncols=True)
            self.echo = self.bar.write
        self._show()

    def _show(self) -> None:
        if self.bar is not None:
            self.bar.set_postfix(running=self.running, failed=self.failed, refresh=True)

    def started(self) -> None:
        self.running += 1
        self._show()

    def stopped(self) -> None:
        """A task stopped without a result (its worker died): not done, it will run again."""
        self.running -= 1
        self._show()

    def kept(self, result: TeamResult) -> None:
        """A report kept as it was (unchanged inputs): done without running."""
        self._done(result)

    def finished(self, result: TeamResult) -> None:
        self.running -= 1
        self._done(result)

    def _done(self, result: TeamResult) -> None:
        self.done += 1
        self.failed += not result.ok
        if self.bar is not None:
            self.bar.update(1)
        self._show()
        self.echo(line(result))

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def summary_table(results: list[TeamResult]) -> str:
    """The end-of-run table: one row per report with its status, time and where it is (or why it
    failed, and the executed notebook that shows the traceback)."""
    rows = [("report", "status", "seconds", "published / error")]
    for r in results:
        status = "same" if r.skipped else "ok" if r.ok else "FAILED"
        if r.ok:
            detail = str(r.files[0].parent) if r.files else ""
        else:
            first = (r.error or "").splitlines()[0] if r.error else ""
            detail = first + (f" (executed notebook: {r.executed})" if r.executed else "")
        rows.append((r.team_id, status, f"{r.seconds:.1f}", detail))
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    return "\n".join(
        f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c:>{widths[2]}}  {d}" for a, b, c, d in rows
    )


def line(r: TeamResult) -> str:
    if r.skipped:
        return (
            f"  same  {r.team_id:<16} {r.seconds:5.1f}s  unchanged inputs: kept {r.files[0].parent}"
        )
    if r.ok:
        shown = f"  ok    {r.team_id:<16} {r.seconds:5.1f}s  " + "  ".join(str(f) for f in r.files)
        return "\n".join([shown, *(f"        warning: {w}" for w in r.warnings)])
    where = f" (executed notebook: {r.executed})" if r.executed else ""
    return f"  FAIL  {r.team_id:<16} {r.seconds:5.1f}s  {r.error}{where}"
