"""Warehouse engines behind one small interface; each driver is imported only when its engine is used."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlmon.engines.base import Engine

if TYPE_CHECKING:
    from sqlmon.config.loader import Project

ENGINE_MODULES = {"duckdb": "DuckDBEngine", "postgres": "PostgresEngine", "spark": "SparkEngine"}


def connect(project: Project, read_only: bool = False) -> Engine:
    """Open the project's target warehouse. Connection errors never show a secret (see Project.secrets)."""
    spec = project.connection
    if spec.type == "duckdb":
        from sqlmon.engines.duckdb import DuckDBEngine as engine_class
    elif spec.type == "postgres":
        from sqlmon.engines.postgres import PostgresEngine as engine_class  # type: ignore[assignment]
    elif spec.type == "spark":
        from sqlmon.engines.spark import SparkEngine as engine_class  # type: ignore[assignment]
    elif spec.type == "dbt":  # a dbt target reached through its dbt adapter (sqlmon.dbt.target.load_target)
        from sqlmon.engines.dbt_adapter import DbtAdapterEngine as engine_class  # type: ignore[assignment]
    else:  # the spec's Literal types make this unreachable from YAML
        raise ValueError(f"unknown connection type `{spec.type}`")
    return engine_class.open(spec, project.root, read_only=read_only, secrets=project.secrets)
