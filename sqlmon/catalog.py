"""What a run knows of the warehouse's catalog: the columns of each table it reads, and the stored profiles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmon.baselines.profile import Profiles
from sqlmon.engines.base import Engine
from sqlmon.sql.compiler import SqlCompiler
from sqlmon.sql.types import ColumnInfo
from sqlmon.store import Store

if TYPE_CHECKING:
    from sqlmon.config.loader import Project


class Catalog:
    """Column lists of the tables a run reads, fetched once per table; and the stored profiles."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._tables: dict[str, dict[str, ColumnInfo] | None] = {}
        self._profiles: Profiles | None = None

    def profiles(self, project: Project) -> Profiles:
        if self._profiles is None:
            store = Store(self.engine, SqlCompiler(self.engine.dialect), project.spec.results_schema)
            self._profiles = Profiles(store)
        return self._profiles

    def columns(self, table: str) -> dict[str, ColumnInfo] | None:
        if table not in self._tables:
            self._tables[table] = self.engine.columns(table)
        return self._tables[table]
