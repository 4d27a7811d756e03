"""Entry-point registries: how monitor kinds, rules, notifiers, engines and connection specs are found.

Built-ins are declared in sqlmon's own pyproject.toml under the same entry-point groups a third-party package uses,
so a plugin is found exactly as a built-in is (docs/architecture.md, "How to add …"). An entry point is loaded only
when its name is asked for, so an engine's module (and its driver) is imported only when that engine is used.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.metadata import EntryPoint, EntryPoints, entry_points
from typing import Generic, Protocol, TypeVar

from sqlmon.errors import SqlmonError

T = TypeVar("T")


class UnknownPlugin(SqlmonError):
    """A name no registry entry answers to (a typo in code that looks a kind or notifier up, or a missing plugin)."""


class PluginError(SqlmonError):
    """An installed plugin that cannot be loaded or is not what its entry-point group expects."""


class _Selectable(Protocol):
    """What `_installed` is used for; Python 3.11's `entry_points()` is a `SelectableGroups`, 3.12's `EntryPoints`."""

    def select(self, *, group: str) -> EntryPoints: ...


@cache
def _installed() -> _Selectable:
    """Every installed entry point, read once: each read walks every distribution on the path (~0.1 s with dbt)."""
    return entry_points()


class Registry(Generic[T]):
    """The entries of one entry-point group, keyed by entry-point name, each loaded on first use.

    `check` validates a loaded object (its base class, that its declared name matches the entry point's) and turns
    it into what the registry hands out, e.g. an instance of a monitor kind.
    """

    def __init__(self, group: str, what: str, check: Callable[[str, object], T]):
        self.group = group
        self.what = what
        self._check = check
        self._points: dict[str, EntryPoint] | None = None
        self._loaded: dict[str, T] = {}

    def _entries(self) -> dict[str, EntryPoint]:
        if self._points is None:
            points: dict[str, EntryPoint] = {}
            for point in _installed().select(group=self.group):
                # the same name twice (two distributions, or a stale install beside a new one): the first wins,
                # as importlib.metadata lists the distributions on sys.path in order
                points.setdefault(point.name, point)
            self._points = dict(sorted(points.items()))
        return self._points

    def names(self) -> list[str]:
        return list(self._entries())

    def __contains__(self, name: object) -> bool:
        return name in self._entries()

    def get(self, name: str) -> T:
        if name not in self._loaded:
            point = self._entries().get(name)
            if point is None:
                known = ", ".join(self.names()) or "none installed"
                raise UnknownPlugin(f"no {self.what} `{name}` (entry-point group {self.group}; known: {known})")
            try:
                loaded = point.load()
            except Exception as exc:
                raise PluginError(
                    f"the {self.what} `{name}` ({point.value}) could not be loaded: {type(exc).__name__}: {exc}"
                ) from exc
            self._loaded[name] = self._check(name, loaded)
        return self._loaded[name]

    def all(self) -> dict[str, T]:
        return {name: self.get(name) for name in self._entries()}

    def reset(self) -> None:
        """Forget what was found, so entry points installed since are seen (tests, long-lived processes)."""
        _installed.cache_clear()
        self._points = None
        self._loaded.clear()


def subclass_of(base: type[T], attribute: str | None = None) -> Callable[[str, object], type[T]]:
    """A check that the entry point names a subclass of `base` whose `attribute` (e.g. `type`) equals its name."""

    def check(name: str, loaded: object) -> type[T]:
        if not (isinstance(loaded, type) and issubclass(loaded, base)):
            raise PluginError(f"entry point `{name}` names {loaded!r}, which is not a {base.__name__} subclass")
        declared = getattr(loaded, attribute, None) if attribute else name
        if declared != name:
            raise PluginError(
                f"entry point `{name}` names {loaded.__name__}, whose `{attribute}` is `{declared}`; make them equal"
            )
        return loaded

    return check
