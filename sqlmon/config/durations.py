"""Durations such as `1 day` or `6 hours`, and the windows they cut time into."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_UNITS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400}
_PATTERN = re.compile(r"^\s*(\d+)\s*(minute|hour|day|week)s?\s*$", re.IGNORECASE)
# Windows are aligned to a Monday midnight (UTC-naive), so daily windows start at midnight and weekly ones on Mondays.
WINDOW_ORIGIN = datetime(1970, 1, 5)


def parse_duration(text: str) -> timedelta:
    """`"7 days"` → timedelta(days=7). Raises ValueError with the accepted forms."""
    match = _PATTERN.match(str(text))
    if not match or int(match.group(1)) == 0:
        raise ValueError(
            f"`{text}` is not a duration; write a positive whole number and a unit, e.g. `1 day`, `6 hours`"
        )
    seconds = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if seconds > 100 * 366 * 86400:
        raise ValueError(f"`{text}` is longer than a century; write a shorter duration")
    return timedelta(seconds=seconds)


def format_duration(span: timedelta) -> str:
    """The inverse of `parse_duration`, in the largest unit up to days that divides it: `7 days`, `36 hours`."""
    seconds = int(span.total_seconds())
    for unit in ("day", "hour", "minute"):
        count, rest = divmod(seconds, _UNITS[unit])
        if not rest:
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


def span_text(seconds: float) -> str:
    """A measured duration as people read it, rounded to its two largest units: `3 days 4 hours`, `40 s`."""
    total = round(seconds)
    sign, total = ("-" if total < 0 else ""), abs(total)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    named = [
        f"{n} {unit}{'s' if n != 1 else ''}" for n, unit in ((days, "day"), (hours, "hour"), (minutes, "minute")) if n
    ]
    return sign + (" ".join(named[:2]) if named else f"{secs} s")


@dataclass(frozen=True, order=True)
class Window:
    """A half-open time slice [start, end) of a source."""

    start: datetime
    end: datetime

    def __str__(self) -> str:
        return f"[{self.start.isoformat(sep=' ')}, {self.end.isoformat(sep=' ')})"


def window_floor(moment: datetime, size: timedelta) -> datetime:
    """The start of the window of `size` that contains `moment`."""
    moment = moment.replace(tzinfo=None)
    steps = (moment - WINDOW_ORIGIN) // size
    return WINDOW_ORIGIN + steps * size


def windows_between(start: datetime, end: datetime, size: timedelta) -> list[Window]:
    """Whole windows that begin at or after `start`'s window and end no later than `end`."""
    first = window_floor(start, size)
    result = []
    current = first
    while current + size <= end:
        result.append(Window(current, current + size))
        current += size
    return result
