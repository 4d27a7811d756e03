"""The registry of rules: entry points of the group `sqlmon.rules`, each naming a `Rule` subclass.

Every rule class is asked of every metric value (`Rule.for_value`); those that apply judge it, in name order.
"""

from __future__ import annotations

from sqlmon.config.specs import MonitorSpec
from sqlmon.monitors.base import MetricValue
from sqlmon.plugins import Registry, subclass_of
from sqlmon.rules.base import Rule

GROUP = "sqlmon.rules"
REGISTRY: Registry[type[Rule]] = Registry(
    GROUP,
    "rule",
    subclass_of(Rule, "name"),  # type: ignore[type-abstract]  # an ABC, where mypy wants a concrete class
)


def rules_for(monitor: MonitorSpec, value: MetricValue) -> list[Rule]:
    found = (rule_class.for_value(monitor, value) for rule_class in REGISTRY.all().values())
    return [rule for rule in found if rule is not None]
