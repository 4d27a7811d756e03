"""Warehouse engines behind one small interface; each driver is imported only when its engine is used."""

from __future__ import annotations

from pathlib import Path

from sqlmon.config.specs import ConnectionSpec
from sqlmon.engines.base import Engine


def connect(spec: ConnectionSpec, project_root: Path, read_only: bool = False) -> Engine:
    if spec.type == "duckdb":
        from sqlmon.engines.duckdb import DuckDBEngine

        return DuckDBEngine.open(spec, project_root, read_only=read_only)
    raise ValueError(f"unknown connection type `{spec.type}`")
