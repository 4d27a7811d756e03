"""The one registry of monitor kinds, keyed by the YAML `type`.

Every kind, built-in or not, is an entry point of the group `sqlmon.monitors` naming a `MonitorKind` subclass whose
`type` is the entry point's name; it is then a valid `type` everywhere (validate, compile, run, docs).
"""

from __future__ import annotations

from typing import Any

from sqlmon.monitors.base import MonitorKind
from sqlmon.plugins import Registry, subclass_of

GROUP = "sqlmon.monitors"


def _instance(name: str, loaded: object) -> MonitorKind[Any]:
    kind_class = subclass_of(MonitorKind, "type")(name, loaded)
    return kind_class()


REGISTRY: Registry[MonitorKind[Any]] = Registry(GROUP, "monitor kind", _instance)


def kinds() -> dict[str, MonitorKind[Any]]:
    return REGISTRY.all()


def get(type_name: str) -> MonitorKind[Any]:
    """The kind of a `type`; raises UnknownPlugin for a type no kind has (the loader reports YAML types itself)."""
    return REGISTRY.get(type_name)
