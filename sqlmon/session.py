"""A project connected to its warehouse: what compile, run and the baseline commands share."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlmon.baselines.profile import Profiles
from sqlmon.catalog import Catalog
from sqlmon.config.loader import Project, load_project
from sqlmon.engines import connect
from sqlmon.engines.base import Engine
from sqlmon.executor import Executor, QueryLog
from sqlmon.progress import Progress, Silent
from sqlmon.sql.compiler import SqlCompiler
from sqlmon.store import Store

if TYPE_CHECKING:
    from sqlmon.dbt.target import DbtOptions


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


class Session:
    def __init__(self, project: Project, engine: Engine, log: QueryLog | None = None, progress: Progress | None = None):
        self.project = project
        self.engine = engine
        self.compiler = SqlCompiler(engine.dialect)
        self.catalog = Catalog(engine)
        self.log = log or QueryLog()
        self.progress = progress or Silent()
        self.store = Store(engine, self.compiler, project.spec.results_schema)
        self.profiles = Profiles(self.store)
        self.executor = Executor(engine, self.compiler, self.log, self.profiles, self.progress)

    @classmethod
    def open(
        cls, root: Path | None = None, read_only: bool = False, target: str | None = None, dbt: DbtOptions | None = None
    ) -> Session:
        project = load_project(root, target, dbt)
        return cls(project, connect(project, read_only=read_only))
