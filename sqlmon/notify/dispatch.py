"""The notify stage of a run: after its results are stored, tell each channel what changed, then record it.

A channel that fails is reported (in the run's output and in `sqlmon_notifications`) and never changes the run's
status or exit code; the next run sends what it could not.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from sqlglot import exp

from sqlmon.config.specs import MonitorSpec
from sqlmon.errors import EngineError, SqlmonError, redact
from sqlmon.notify.channels.base import CHANNELS, Channel, ChannelSpec, secret_values
from sqlmon.notify.message import AlertKey, Item, Message
from sqlmon.notify.state import plan, read, rows_for, write
from sqlmon.results import SEVERITY_RANK, Alert, Delivery, NotificationRow, RunResult
from sqlmon.session import Session
from sqlmon.sql.dialects import get_dialect

HISTORY_ROWS = 30  # windows the per-alert query shows


def notify_run(session: Session, monitors: list[MonitorSpec], result: RunResult) -> list[Delivery]:
    project = session.project
    specs = list(project.channels.values())
    names = [m.name for m in monitors]
    try:
        current = current_items(session, monitors, result)
        state = read(session.store, [s.name for s in specs], names)
    except SqlmonError as exc:  # the run is stored; without the state nothing can be sent without repeating itself
        error = f"not sent: the notification state could not be read: {exc}"
        return [Delivery(spec.name, spec.type, "failed", error=error) for spec in specs]
    deliveries: list[Delivery] = []
    rows: list[NotificationRow] = []
    for spec in specs:
        items = plan(spec, current, state.get(spec.name, {}), set(names), result.as_of)
        if not items:
            deliveries.append(Delivery(spec.name, spec.type, "nothing"))
            continue
        message = Message(
            project.spec.name,
            spec.name,
            result.run_id,
            result.as_of,
            result.target,
            [_linked(item, spec) for item in items],
            spec.max_alerts,
            _open_alerts_query(session, sorted({i.monitor for i in items})),
            spec.report_url,
        )
        delivery, failure = _send(spec, message)
        deliveries.append(delivery)
        rows += rows_for(spec.name, message.items, delivery.status, failure, _now())
    try:
        write(session.store, [row.to_row(result) for row in rows])
    except EngineError as exc:
        # sent but not recorded: the next run sends these again, which is better than a run that fails after it
        # succeeded
        for delivery in deliveries:
            if delivery.status == "sent":
                delivery.error = f"not recorded, so sent again next run: {exc}"
    return deliveries


def open_channel(spec: ChannelSpec) -> Channel:
    return CHANNELS.get(spec.type)(spec)


def _send(spec: ChannelSpec, message: Message) -> tuple[Delivery, str | None]:
    secrets = secret_values(spec)
    try:
        open_channel(spec).send(message)
    except SqlmonError as exc:
        error = redact(str(exc), secrets)
        return Delivery(spec.name, spec.type, "failed", len(message.alerts), len(message.resolved), error), error
    except Exception as exc:  # a bug in a channel (a plugin's, say) must not undo a stored run either
        error = redact(f"{type(exc).__name__}: {exc}", secrets)
        return Delivery(spec.name, spec.type, "failed", len(message.alerts), len(message.resolved), error), error
    return Delivery(spec.name, spec.type, "sent", len(message.alerts), len(message.resolved)), None


def _now() -> datetime:
    # microseconds: the latest row of a key is found by it, and two runs of the demo fall in the same second
    return datetime.now(UTC).replace(tzinfo=None)


def current_items(session: Session, monitors: list[MonitorSpec], result: RunResult) -> list[Item]:
    """One item per alert key that is wrong now: the stored alerts of each monitor's latest window (what the run
    left, whichever run raised them), and a `monitor error` alert for each monitor that could not run (broken by an
    upstream change, or of a source that failed on the warehouse): it has no new window. Of two alerts of one key
    (a threshold and an anomaly rule) the worse is kept."""
    by_name = {m.name: m for m in monitors}
    stored = [
        Alert(
            monitor,
            "",
            column,
            metric,
            None if value is None else float(value),
            severity,
            rule,
            message,
            start,
            segment,
        )
        for monitor, column, segment, metric, value, severity, rule, message, start in session.store.open_alerts(
            list(by_name)
        )
    ]
    broken = [a for a in [*result.alerts, *result.unstored_alerts] if a.metric == "monitor_error"]
    # a source that failed on the warehouse stored nothing: its monitors are errors now, not silently unchanged
    broken += [
        Alert(
            m.name,
            m.type,
            None,
            "monitor_error",
            None,
            "error",
            "monitor error",
            f"not computed: source `{m.source}` failed on the warehouse: {_cause(result.failed_sources[m.source])}",
            result.as_of,
        )
        for m in monitors
        if m.source in result.failed_sources
    ]
    worst: dict[AlertKey, Alert] = {}
    for alert in _ordered([*stored, *broken]):
        key = (alert.monitor, alert.column, alert.segment, alert.metric)
        worst.setdefault(key, alert)
    return [_item(alert, by_name.get(alert.monitor), session) for alert in worst.values()]


def _cause(error: str) -> str:
    """A warehouse error as a channel is told it: its first line, without the failing statement, which can hold
    values of the data and belongs in `sqlmon_runs.error`, not in a chat message."""
    first = error.split("\nwhile running:", 1)[0].strip().splitlines()[0] if error.strip() else "unknown error"
    return (first if len(first) <= 300 else first[:299] + "…") + " (the statement: sqlmon_runs.error)"


def _ordered(alerts: Iterable[Alert]) -> list[Alert]:
    # the worst first; among equals the threshold rule, whose message names the level that was broken
    return sorted(alerts, key=lambda a: (-SEVERITY_RANK.get(a.severity, 0), not a.rule.startswith("threshold"), a.rule))


def _item(alert: Alert, monitor: MonitorSpec | None, session: Session) -> Item:
    return Item(
        "opened",
        alert.monitor,
        alert.column,
        alert.segment,
        alert.metric,
        alert.severity,
        alert.value,
        alert.message,
        alert.rule,
        alert.window_start,
        source=monitor.source if monitor else None,
        owner=monitor.owner if monitor else None,
        tags=tuple(monitor.tags) if monitor else (),
        query=_history_query(session, alert),
    )


def _linked(item: Item, spec: ChannelSpec) -> Item:
    if spec.report_url is None:
        return item
    from dataclasses import replace

    return replace(item, link=f"{spec.report_url}#monitor-{item.monitor}")


def _equals(column: str, value: str | None) -> exp.Expression:
    return exp.column(column).is_(exp.null()) if value is None else exp.column(column).eq(exp.Literal.string(value))


def _table(session: Session, name: str) -> exp.Table:
    # unquoted, for people to read and paste; the schema name is an identifier (`results_schema` is checked)
    return exp.table_(name, db=session.project.spec.results_schema)


def _dialect(session: Session) -> str:
    return get_dialect(session.engine.dialect).sqlglot_dialect


def _history_query(session: Session, alert: Alert) -> str:
    """How to look: the metric's latest values, in the results tables."""
    query = (
        exp.select("window_start", "value")
        .from_(_table(session, "sqlmon_metrics"))
        .where(
            exp.and_(
                _equals("monitor", alert.monitor),
                _equals("column_name", alert.column),
                _equals("segment", alert.segment),
                _equals("metric", alert.metric),
            )
        )
        .order_by(exp.Ordered(this=exp.column("window_start"), desc=True))
        .limit(HISTORY_ROWS)
    )
    return query.sql(dialect=_dialect(session))


def _open_alerts_query(session: Session, monitors: list[str]) -> str:
    query = (
        exp.select("*")
        .from_(_table(session, "sqlmon_open_alerts"))
        .where(exp.column("monitor").isin(*[exp.Literal.string(m) for m in monitors]))
    )
    return query.sql(dialect=_dialect(session))
