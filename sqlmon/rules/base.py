"""The rule interface: a rule judges one metric value of one window, and may look at that metric's own history."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel

from sqlmon.config.durations import Window
from sqlmon.config.specs import MonitorSpec, Severity
from sqlmon.errors import ConfigProblem
from sqlmon.monitors.base import MetricValue
from sqlmon.results import Alert, AnomalyRow
from sqlmon.stats.anomaly import Point

if TYPE_CHECKING:
    from sqlmon.catalog import Catalog
    from sqlmon.config.specs import SourceSpec
    from sqlmon.monitors.base import MonitorKind


@dataclass(frozen=True)
class Observation:
    """One metric value as a rule sees it: which monitor computed it, for which window and segment."""

    monitor: MonitorSpec
    value: MetricValue
    window: Window | None
    window_start: datetime  # the window's start, or the run's time for a source measured whole
    segment: str | None = None
    # the source's window size (None: measured whole); `window` may be shorter, as the window in progress is
    period: timedelta | None = None

    def alert(self, severity: Severity, rule: str, message: str) -> Alert:
        """An alert on this value: what every rule raises, with its own severity, rule text and message."""
        value = self.value
        return Alert(
            self.monitor.name,
            self.monitor.type,
            value.column,
            value.metric,
            value.value,
            severity,
            rule,
            message,
            self.window_start,
            self.segment,
        )

    @property
    def subject(self) -> str:
        """`psi of amount (segment country=DE)`: how messages name the value."""
        subject = f"{self.value.metric} of {self.value.column}" if self.value.column else self.value.metric
        return f"{subject} (segment {self.segment})" if self.segment is not None else subject


class History(Protocol):
    """Past values of one metric, oldest first: the stored windows, and those this run computed before."""

    def values(
        self, monitor: str, column: str | None, segment: str | None, metric: str, before: datetime, limit: int
    ) -> list[tuple[datetime, float | None]]: ...

    def series(self, monitor: str, column: str | None, segment: str | None, metric: str) -> list[Point]:
        """Every known window of one metric, in time order, each marked when a rule alerted on it; windows after
        the one being judged are the caller's to skip."""
        ...

    def dates(self, table: str, column: str) -> set[date]:
        """The days listed in a column of a warehouse table (read once per run)."""
        ...


@dataclass
class Verdict:
    """What a rule made of one value: an alert or none, and what the run stores or reports beside it."""

    alert: Alert | None = None
    anomaly: AnomalyRow | None = None  # the band an anomaly rule drew (sqlmon_anomalies)
    notes: list[str] = field(default_factory=list)  # why the rule could not judge the value, for the reports


class Rule(ABC):
    """Base of every rule. A rule class says which values it judges (`for_value`); an instance judges one.

    A rule configured in YAML names the monitor key it reads (`key`) and that key's model (`settings`): the
    monitor specs of every kind then accept the key, validated with file:line like any other (see
    `sqlmon.config.extensions.monitor_model`).
    """

    name: ClassVar[str]  # the entry-point name; alerts name their rule after it
    key: ClassVar[str | None] = None
    settings: ClassVar[type[BaseModel] | None] = None

    @classmethod
    @abstractmethod
    def for_value(cls, monitor: MonitorSpec, value: MetricValue) -> Rule | None:
        """This rule as it applies to one metric value of a monitor, or None when it does not apply."""

    @abstractmethod
    def judge(self, observation: Observation, history: History) -> Alert | None:
        """An alert when the value breaks the rule, else None. A value that cannot be computed (None) never alerts."""

    def verdict(self, observation: Observation, history: History) -> Verdict:
        """The judgement with what goes beside it; a rule that stores more than its alerts overrides this."""
        return Verdict(self.judge(observation, history))

    @classmethod
    def check(
        cls, monitor: MonitorSpec, kind: MonitorKind[Any], source: SourceSpec, prefix: tuple[Any, ...]
    ) -> list[ConfigProblem]:
        """What is wrong with the monitor's settings for this rule, against its kind and source (file:line)."""
        return []

    @classmethod
    def check_warehouse(cls, monitor: MonitorSpec, catalog: Catalog) -> list[ConfigProblem]:
        """What is wrong with the tables the monitor's settings for this rule name (they exist, with such columns)."""
        return []

    @classmethod
    def configured(cls, monitor: MonitorSpec) -> BaseModel | None:
        """The monitor's settings for this rule (its `key`), or None when the monitor does not set it."""
        return getattr(monitor, cls.key, None) if cls.key else None
