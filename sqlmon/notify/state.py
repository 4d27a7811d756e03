"""No fatigue: what each channel was told, and what a run therefore sends.

The state of an alert key on a channel is its latest `sent` row in `sqlmon_notifications`. A run compares each
monitor's current alerts (those of its latest window, as stored) with it:

- a key that is not open on the channel (never sent, or resolved since) is sent as `opened`;
- an open key whose severity differs from what was sent is sent as `changed`;
- an open key with the same severity is sent again as `repeated` only once `repeat_after` has passed, measured on
  the runs' `as_of` (so a backfill or the demo's simulated days behave as a scheduler's would);
- an open key of a monitor this run covers that is no longer current (or no longer passes the channel's `when:`) is
  sent once as `resolved`.

A window computed again gives the same current alerts, so it sends nothing. A failed delivery records `failed` rows
and leaves the state as it was: the next run sends those keys again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from fnmatch import fnmatchcase

from sqlglot import exp, parse_one

from sqlmon.notify.channels.base import ChannelSpec, WhenSpec
from sqlmon.notify.message import AlertKey, Item
from sqlmon.results import SEVERITY_RANK, NotificationRow
from sqlmon.store import Store

TABLE = "sqlmon_notifications"
KEY_COLUMNS = ("monitor", "column_name", "segment", "metric")


@dataclass(frozen=True)
class Sent:
    """A key's latest delivered event on a channel."""

    event: str
    severity: str
    value: float | None
    message: str
    rule: str | None
    window_start: datetime | None
    as_of: datetime

    @property
    def open(self) -> bool:
        return self.event != "resolved"


State = dict[str, dict[AlertKey, Sent]]  # channel → key → latest sent


def matches(when: WhenSpec, item: Item) -> bool:
    if SEVERITY_RANK.get(item.severity, 0) < SEVERITY_RANK[when.severity]:
        return False
    if when.monitors and not any(fnmatchcase(item.monitor, pattern) for pattern in when.monitors):
        return False
    if when.sources and not any(fnmatchcase(item.source or "", pattern) for pattern in when.sources):
        return False
    if when.tags and not set(when.tags) & set(item.tags):
        return False
    return not (when.owners and item.owner not in when.owners)


def plan(
    spec: ChannelSpec, current: list[Item], state: dict[AlertKey, Sent], scope: set[str], as_of: datetime
) -> list[Item]:
    """The items of one channel's message for this run (empty: nothing to send). `current` holds one item per key,
    `scope` the monitors this run covers: only their keys can resolve."""
    items: list[Item] = []
    wanted = {item.key: item for item in current if matches(spec.when, item)}
    for key, item in wanted.items():
        last = state.get(key)
        if last is None or not last.open:
            items.append(replace(item, event="opened"))
        elif last.severity != item.severity:
            items.append(replace(item, event="changed", previous_severity=last.severity))
        elif spec.repeat_after is not None and as_of - last.as_of >= spec.repeat_after:
            items.append(replace(item, event="repeated"))
    for key, last in state.items():
        if last.open and key[0] in scope and key not in wanted:
            monitor, column, segment, metric = key
            items.append(
                Item(
                    "resolved",
                    monitor,
                    column,
                    segment,
                    metric,
                    last.severity,
                    last.value,
                    last.message,
                    last.rule,
                    last.window_start,
                )
            )
    return items


def read(store: Store, channels: list[str], monitors: list[str]) -> State:
    """The latest sent row of every key of these monitors on these channels: one statement per run."""
    if not channels or not monitors:
        return {}
    table = store.table(TABLE)
    rank = parse_one(
        "ROW_NUMBER() OVER (PARTITION BY channel, monitor, column_name, segment, metric ORDER BY sent_at DESC)"
    )
    columns = ("channel", *KEY_COLUMNS, "event", "severity", "value", "message", "rule", "window_start", "as_of")
    ranked = (
        exp.select(*columns, rank.as_("position"))
        .from_(table)
        .where(
            exp.and_(
                exp.column("status").eq(exp.Literal.string("sent")),
                exp.column("channel").isin(*[exp.Literal.string(c) for c in channels]),
                exp.column("monitor").isin(*[exp.Literal.string(m) for m in monitors]),
            )
        )
    )
    query = exp.select(*columns).from_(ranked.subquery("ranked")).where(exp.column("position").eq(1))
    state: State = {}
    for row in store.engine.query(store.compiler.to_sql(query, pretty=False)):
        channel, monitor, column, segment, metric, event, severity, value, message, rule, window_start, as_of = row
        state.setdefault(channel, {})[(monitor, column, segment, metric)] = Sent(
            event, severity, None if value is None else float(value), message or "", rule, window_start, as_of
        )
    return state


def write(store: Store, rows: list[dict[str, object]]) -> None:
    from sqlmon.store import TABLES

    if not rows:
        return
    columns = [name for name, _ in TABLES[TABLE]]
    with store.engine.transaction():
        store.engine.insert_rows(store.table(TABLE), columns, [[row.get(c) for c in columns] for row in rows])


def rows_for(
    channel: str, items: list[Item], status: str, error: str | None, sent_at: datetime
) -> list[NotificationRow]:
    return [
        NotificationRow(
            channel,
            item.event,
            item.monitor,
            item.column,
            item.segment,
            item.metric,
            item.severity,
            item.value,
            item.message,
            item.rule,
            item.window_start,
            status,
            error,
            sent_at,
        )
        for item in items
    ]
