"""What `sqlmon run` shows on standard error while it works: a one-line progress bar when stderr is a terminal,
and with --verbose a line per statement (in a pipe too). A pipe gets nothing it did not ask for, so logs and
`2>file` stay clean.
"""

from __future__ import annotations

import shutil
import time
from typing import TextIO

ERASE = "\r\x1b[K"  # back to the line's start and erase it: no terminal library needed
SQL_SHOWN = 100  # characters of a statement that --verbose shows
REDRAW_EVERY = 0.1  # seconds; a run makes thousands of fast statements, and the terminal need not show each


class Terminal:
    """A `sqlmon.progress.Progress` that draws on `stream`: the bar when `bar`, the statement lines when `verbose`."""

    def __init__(self, stream: TextIO, bar: bool, verbose: bool, profile: bool = False) -> None:
        self.stream = stream
        self.bar = bar
        self.verbose = verbose
        self.profile = profile
        self.timed: list[tuple[float, int, str]] = []  # with `profile`: (seconds, rows, purpose) of each statement
        self.began = time.perf_counter()
        self.source, self.index, self.sources = "", 0, 0
        self.windows, self.done, self.statements = 0, 0, 0
        self.drawn = False
        self.last = 0.0

    def source_started(self, source: str, index: int, sources: int, windows: int) -> None:
        self.source, self.index, self.sources = source, index, sources
        self.windows, self.done = windows, 0
        self._draw(force=True)

    def window_done(self, source: str) -> None:
        self.done += 1
        self._draw(force=self.done == self.windows)

    def statement_done(self, purpose: str, sql: str, seconds: float, rows: int) -> None:
        self.statements += 1
        if self.profile:
            self.timed.append((seconds, rows, purpose))
        if self.verbose:
            self.clear()
            # the SQL is pretty-printed, so its first line is a bare `SELECT`: the statement's start on one line,
            # after what it is for, says more
            start = " ".join(sql.split())
            start = start if len(start) <= SQL_SHOWN else start[: SQL_SHOWN - 1] + "…"
            self.stream.write(f"{seconds * 1000:9.1f} ms  {purpose}: {start}\n")
            self.stream.flush()
        self._draw(force=self.verbose)

    def line(self) -> str:
        width = 24
        filled = round(width * self.done / self.windows) if self.windows else width
        bar = "#" * filled + "-" * (width - filled)
        text = (
            f"source {self.index}/{self.sources} {self.source} [{bar}] windows {self.done}/{self.windows}, "
            f"{self.statements} statement{'s' if self.statements != 1 else ''}"
        )
        # a line longer than the terminal wraps, and the erase code would then clear only its last row
        return text[: max(shutil.get_terminal_size((80, 24)).columns - 1, 10)]

    def _draw(self, force: bool = False) -> None:
        if not self.bar or not self.sources:
            return
        now = time.monotonic()
        if not force and now - self.last < REDRAW_EVERY:
            return
        self.last = now
        self.stream.write(ERASE + self.line())
        self.stream.flush()
        self.drawn = True

    def clear(self) -> None:
        """Take the bar off the screen, before anything else is printed."""
        if self.drawn:
            self.stream.write(ERASE)
            self.stream.flush()
            self.drawn = False


PROFILE_SHOWN = 25  # statements --profile lists, the slowest first


def profile_lines(timed: list[tuple[float, int, str]], elapsed: float) -> list[str]:
    """--profile: where a run's time went. The warehouse's share against the whole run (the rest is sqlmon's own:
    planning, writing SQL, statistics, storing), then the slowest statements with their rows."""
    spent = sum(seconds for seconds, _, _ in timed)
    share = spent / elapsed if elapsed > 0 else 0.0
    lines = [
        f"Profile: {len(timed)} statement(s), {spent:.2f} s in the warehouse of the run's {elapsed:.2f} s "
        f"({share:.0%}); the slowest first:",
        f"{'ms':>9}  {'share':>5}  {'rows':>8}  statement",
    ]
    ranked = sorted(timed, key=lambda item: -item[0])
    for seconds, rows, purpose in ranked[:PROFILE_SHOWN]:
        part = seconds / spent if spent else 0.0
        lines.append(f"{seconds * 1000:9.1f}  {part:5.1%}  {rows:8d}  {purpose}")
    rest = ranked[PROFILE_SHOWN:]
    if rest:
        lines.append(f"{sum(s for s, _, _ in rest) * 1000:9.1f}  {'':5}  {'':8}  … {len(rest)} more statement(s)")
    return lines
