"""Warehouse engines behind one small interface (`sqlmon.engines.base.Engine`), one module each.

Engines are entry points of the group `sqlmon.engines`, keyed by the connection's `type`; an engine's module, and
the driver it imports, is loaded only when a connection of that type is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmon.engines.base import Engine
from sqlmon.plugins import Registry, subclass_of

if TYPE_CHECKING:
    from sqlmon.config.loader import Project

GROUP = "sqlmon.engines"
REGISTRY: Registry[type[Engine]] = Registry(
    GROUP,
    "engine",
    subclass_of(Engine),  # type: ignore[type-abstract]  # an ABC, where mypy wants a concrete class
)


def connect(project: Project, read_only: bool = False) -> Engine:
    """Open the project's target warehouse. Connection errors never show a secret (see Project.secrets)."""
    spec = project.connection
    engine_class = REGISTRY.get(spec.type)
    return engine_class.open(spec, project.root, read_only=read_only, secrets=project.secrets)
