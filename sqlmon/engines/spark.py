"""Spark SQL through pyspark (the `spark` extra): a local session, a Spark Connect server, or a session
the caller already has (`SparkEngine(spark_session)`, e.g. in a Databricks notebook)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlglot import exp

from sqlmon.config.specs import SparkConnection
from sqlmon.engines.base import Engine, first_line, wrap_errors
from sqlmon.errors import EngineError


class SparkEngine(Engine):
    dialect = "spark"

    def __init__(
        self,
        session: Any,
        table_format: str = "parquet",
        secrets: list[str] | None = None,
    ):
        self._spark = session
        self.table_format = table_format
        self._secrets = list(secrets or [])
        self.description = f"spark {session.version}"

    @property
    def supports_delete(self) -> bool:
        # Spark SQL has no multi-statement transactions, and plain parquet tables no DELETE: the store replaces a
        # recomputed window by rewriting the affected table (see Store.write), and appends otherwise.
        return self.table_format == "delta"

    @classmethod
    def open(
        cls, spec: SparkConnection, project_root: Path, read_only: bool = False, secrets: list[str] | None = None
    ) -> SparkEngine:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise EngineError("the spark engine needs pyspark: pip install 'pyspark>=3.5'") from None
        builder = SparkSession.builder.appName("sqlmon")
        if spec.remote:
            builder = builder.remote(spec.remote)
        else:
            # UTC, so timestamps compare and come back as they are stored, whatever the machine's zone
            builder = builder.master(spec.master).config("spark.ui.enabled", "false")
            builder = builder.config("spark.sql.session.timeZone", "UTC")
            if spec.warehouse_dir:
                builder = builder.config("spark.sql.warehouse.dir", str((project_root / spec.warehouse_dir).resolve()))
        for key, value in spec.conf.items():
            builder = builder.config(key, value)
        with wrap_errors("cannot start Spark", secrets or []):  # py4j and Spark Connect raise their own hierarchies
            session = builder.getOrCreate()
            if "spark.sql.session.timeZone" not in spec.conf:
                session.conf.set("spark.sql.session.timeZone", "UTC")  # also for Spark Connect and reused sessions
        return cls(session, spec.table_format, secrets)

    def _collect(self, sql: str) -> list[Any]:
        with wrap_errors("Spark", self._secrets, text=first_line, during=f"while running:\n{sql}"):
            rows: list[Any] = self._spark.sql(sql).collect()
            return rows

    def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> None:
        if parameters:
            raise EngineError("the spark engine takes no statement parameters")
        self._collect(sql)

    def query(self, sql: str, parameters: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        if parameters:
            raise EngineError("the spark engine takes no statement parameters")
        return [tuple(row) for row in self._collect(sql)]

    def insert_rows(self, table: exp.Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        # Results are aggregates, so a batch is small: one INSERT … VALUES with literals written by sqlglot.
        batch = 2000
        for start in range(0, len(rows), batch):
            values = exp.values([tuple(_literal(v) for v in row) for row in rows[start : start + batch]])
            statement = exp.insert(values, table.copy(), columns=[exp.to_identifier(c, quoted=True) for c in columns])
            self.execute(statement.sql(dialect="spark"))

    def describe(self, table: str) -> list[tuple[str, str]] | None:
        quoted = exp.to_table(table).sql(dialect="spark", identify=True)
        try:
            if not self._spark.catalog.tableExists(table):
                return None
            schema = self._spark.table(quoted).schema
        except Exception:
            return None
        return [(field.name, field.dataType.simpleString()) for field in schema.fields]

    def create_table_properties(self) -> exp.Properties:
        return exp.Properties(expressions=[exp.FileFormatProperty(this=exp.Var(this=self.table_format.upper()))])

    def close(self) -> None:
        # A session may be shared with the caller (notebooks, the test suite); stopping it is theirs to decide.
        pass


def _literal(value: Any) -> exp.Expression:
    from datetime import datetime

    if value is None:
        return exp.null()
    if isinstance(value, datetime):
        return exp.cast(exp.Literal.string(value.isoformat(sep=" ")), "TIMESTAMP")
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return exp.cast(exp.Literal.string(str(value)), "DOUBLE")
        return exp.cast(exp.Literal.number(repr(value)), "DOUBLE")
    converted = exp.convert(value)  # sqlglot 30 types it as Expr, the base of Expression
    assert isinstance(converted, exp.Expression)
    return converted
