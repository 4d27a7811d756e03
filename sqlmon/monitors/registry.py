"""The one registry of monitor kinds, keyed by the YAML `type`.

Built-in kinds register themselves the same way a plugin does: a package exposes a `MonitorKind` subclass under the
`sqlmon.monitors` entry-point group and it becomes a valid `type` everywhere (validate, compile, run, docs).
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import entry_points

from sqlmon.monitors.base import MonitorKind

BUILTIN_MODULES = (
    "sqlmon.monitors.null_rate",
    "sqlmon.monitors.schema_contract",
    "sqlmon.monitors.feature_drift",
    "sqlmon.monitors.prediction_histogram",
    "sqlmon.monitors.topk_concentration",
    "sqlmon.monitors.model_performance",
    "sqlmon.monitors.calibration",
    "sqlmon.monitors.estimated_performance",
)

_kinds: dict[str, MonitorKind] = {}
_loaded = False


def register(kind_class: type[MonitorKind]) -> type[MonitorKind]:
    """Class decorator: make a kind available under its `type`."""
    _kinds[kind_class.type] = kind_class()
    return kind_class


def _load() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    for module in BUILTIN_MODULES:
        import_module(module)
    for entry in entry_points(group="sqlmon.monitors"):
        register(entry.load())


def kinds() -> dict[str, MonitorKind]:
    _load()
    return dict(sorted(_kinds.items()))


def get(type_name: str) -> MonitorKind | None:
    _load()
    return _kinds.get(type_name)
