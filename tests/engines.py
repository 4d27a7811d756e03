"""Real engines for the tests: a PostgreSQL server started from the machine's binaries, and Spark in local mode.

A test that needs an engine missing here skips with "engine unavailable: …"; CI sets SQLMON_REQUIRE_ENGINES=1,
which turns every skip into a failure (tests/conftest.py).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


def _pg_binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for folder in PG_BIN_DIRS:
        if (folder / name).exists():
            return str(folder / name)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """A throwaway cluster on a free loopback port, owned by the test session."""

    def __init__(self) -> None:
        initdb, pg_ctl = _pg_binary("initdb"), _pg_binary("pg_ctl")
        if not initdb or not pg_ctl:
            pytest.skip("engine unavailable: PostgreSQL binaries (initdb, pg_ctl) not found")
        self.pg_ctl = pg_ctl
        self.folder = Path(tempfile.mkdtemp(prefix="sqlmon-pg-"))
        self.data = self.folder / "data"
        self.port = _free_port()
        self.user = "sqlmon"
        self.password = "s3cret-for-tests"
        password_file = self.folder / "password"
        password_file.write_text(self.password)
        run_as = self._run_as()
        if run_as:
            shutil.chown(self.folder, run_as)
            os.chmod(self.folder, 0o700)
        self._call(
            [
                initdb,
                "-D",
                str(self.data),
                "-U",
                self.user,
                "--auth=md5",
                f"--pwfile={password_file}",
                "-E",
                "UTF8",
                "--no-locale",
            ],
            run_as,
        )
        self._call(
            [
                pg_ctl,
                "-D",
                str(self.data),
                "-l",
                str(self.folder / "log"),
                "-w",
                "-o",
                f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off",
                "start",
            ],
            run_as,
        )
        self.run_as = run_as

    @staticmethod
    def _run_as() -> str | None:
        # PostgreSQL refuses to run as root; as root (CI containers) the cluster runs as the `postgres` user.
        if os.geteuid() != 0:
            return None
        try:
            import pwd

            pwd.getpwnam("postgres")
            return "postgres"
        except KeyError:
            pytest.skip("engine unavailable: running as root and there is no `postgres` user to run the server")

    @staticmethod
    def _call(command: list[str], run_as: str | None) -> None:
        if run_as:
            command = ["runuser", "-u", run_as, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def connection_yaml(self, dbname: str = "postgres") -> str:
        return (
            f"connection:\n  type: postgres\n  host: 127.0.0.1\n  port: {self.port}\n  user: {self.user}\n"
            f"  password: ${{SQLMON_TEST_PG_PASSWORD}}\n  dbname: {dbname}\n"
        )

    def connect(self, dbname: str = "postgres"):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user=self.user, password=self.password, dbname=dbname, autocommit=True
        )

    def create_database(self, name: str) -> None:
        with self.connect() as con:
            con.execute(f'CREATE DATABASE "{name}"')

    def stop(self) -> None:
        try:
            self._call([self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"], self.run_as)
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> PostgresServer:
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("engine unavailable: psycopg is not installed")
    server = PostgresServer()
    os.environ["SQLMON_TEST_PG_PASSWORD"] = server.password
    deadline = time.time() + 30
    while True:
        try:
            server.connect().close()
            return server
        except Exception:
            if time.time() > deadline:
                raise
            time.sleep(0.2)


# --- Spark ------------------------------------------------------------------------------------------------------


def start_spark(warehouse: Path):
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        pytest.skip("engine unavailable: pyspark is not installed")
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        pytest.skip("engine unavailable: Spark needs a Java runtime (java not on PATH)")
    return (
        SparkSession.builder.master("local[2]")
        .appName("sqlmon-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        # The suite's tables hold hundreds of rows and its statements are all different: planning and compiling each
        # one costs more than running it. One shuffle partition, no adaptive re-planning and no generated Java per
        # statement took the engine tests' Spark run from 112 s to 88 s; the results are the same.
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.driver.memory", "1g")
        .getOrCreate()
    )


# --- loading the same rows into every engine ---------------------------------------------------------------------

# logical type -> (DuckDB, PostgreSQL) column type; Spark takes a StructType built in load_spark
COLUMN_TYPES = {
    "timestamp": ("TIMESTAMP", "TIMESTAMP"),
    "double": ("DOUBLE", "DOUBLE PRECISION"),
    "integer": ("INTEGER", "INTEGER"),
    "decimal": ("DECIMAL(12, 2)", "NUMERIC(12, 2)"),
    "string": ("VARCHAR", "TEXT"),
    "boolean": ("BOOLEAN", "BOOLEAN"),
    "date": ("DATE", "DATE"),
}


def _ddl(table: str, columns: dict[str, str], engine: int) -> str:
    schema, name = table.split(".")
    body = ", ".join(f'"{c}" {COLUMN_TYPES[t][engine]}' for c, t in columns.items())
    return f'CREATE TABLE "{schema}"."{name}" ({body})'


def load_duckdb(path: Path, tables: dict[str, tuple[dict[str, str], list[tuple]]]) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    for table, (columns, rows) in tables.items():
        con.execute(_ddl(table, columns, 0))
        con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' for _ in columns)})", rows)
    con.close()


def load_postgres(server: PostgresServer, dbname: str, tables: dict[str, tuple[dict[str, str], list[tuple]]]) -> None:
    server.create_database(dbname)
    with server.connect(dbname) as con:
        con.execute("CREATE SCHEMA main")
        for table, (columns, rows) in tables.items():
            con.execute(_ddl(table, columns, 1))
            with con.cursor() as cursor:
                cursor.executemany(f"INSERT INTO {table} VALUES ({', '.join('%s' for _ in columns)})", rows)


def load_spark(session, database: str, tables: dict[str, tuple[dict[str, str], list[tuple]]]) -> None:
    from pyspark.sql import types as T

    spark_types = {
        "timestamp": T.TimestampNTZType(),
        "double": T.DoubleType(),
        "integer": T.IntegerType(),
        "decimal": T.DecimalType(12, 2),
        "string": T.StringType(),
        "boolean": T.BooleanType(),
        "date": T.DateType(),
    }
    session.sql(f"CREATE DATABASE IF NOT EXISTS `{database}`")
    for table, (columns, rows) in tables.items():
        schema = T.StructType([T.StructField(c, spark_types[t], True) for c, t in columns.items()])
        frame = session.createDataFrame(rows, schema)
        frame.write.mode("overwrite").saveAsTable(f"`{database}`.`{table.split('.')[1]}`")
