"""What a run tells an observer while it works: a source begins (with the windows it plans), a window is done, a
statement is done (with its time). The terminal draws a progress bar from these (sqlmon.terminal); the runner knows
only this interface, so a scheduler or a notebook can pass its own observer.
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def source_started(self, source: str, index: int, sources: int, windows: int) -> None:
        """`source` is the `index`-th (from 1) of `sources`, with `windows` steps planned."""

    def window_done(self, source: str) -> None: ...

    def statement_done(self, purpose: str, sql: str, seconds: float, rows: int) -> None:
        """A statement the warehouse has answered: what it is for, its SQL as executed, how long it took, and how
        many rows it returned."""


class Silent:
    """The observer when nobody watches."""

    def source_started(self, source: str, index: int, sources: int, windows: int) -> None:
        pass

    def window_done(self, source: str) -> None:
        pass

    def statement_done(self, purpose: str, sql: str, seconds: float, rows: int) -> None:
        pass
