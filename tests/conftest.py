"""Shared fixtures: a real sqlmon project on a real DuckDB file in a temporary folder."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb
import pytest
from hypothesis import settings

# Hypothesis profiles. On CI (CI=true, set by .ci/run and by most CI services) the examples are derandomized: the
# same inputs on every run, so a red build is reproducible and never flaky, and no example database is written into
# the clean clone. Locally each run explores new inputs and replays the failures it found before.
# HYPOTHESIS_PROFILE=dev|ci picks one explicitly. A test's own @settings (max_examples) holds under both.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile(
    os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI", "").lower() in ("1", "true") else "dev")
)

PROJECT_YML = """\
name: test_project
connection:
  type: duckdb
  path: warehouse.duckdb
results_schema: sqlmon
monitor_paths: [monitors]
"""


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Build a project: `make_project(monitors_yaml, setup_sql=[...], tables={name: DataFrame})` → its folder.

    The YAML is dedented and written to monitors/monitors.yml; setup SQL runs on warehouse.duckdb first, and
    pandas DataFrames given in `tables` become tables `main.<name>`.
    """

    def make(
        monitors: str = "",
        setup_sql: Iterable[str] | str = (),
        tables: dict | None = None,
        project_yml: str = PROJECT_YML,
        folder: Path | None = None,
    ) -> Path:
        root = folder or tmp_path
        (root / "monitors").mkdir(parents=True, exist_ok=True)
        (root / "sqlmon.yml").write_text(textwrap.dedent(project_yml))
        (root / "monitors" / "monitors.yml").write_text(textwrap.dedent(monitors))
        statements = [setup_sql] if isinstance(setup_sql, str) else list(setup_sql)
        con = duckdb.connect(str(root / "warehouse.duckdb"))
        try:
            for statement in statements:
                con.execute(statement)
            for name, frame in (tables or {}).items():
                con.register("_frame", frame)
                con.execute(f'CREATE OR REPLACE TABLE main."{name}" AS SELECT * FROM _frame')
                con.unregister("_frame")
        finally:
            con.close()
        return root

    return make


@pytest.fixture
def dbt_project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of example_warehouse/dbt whose DuckDB file is inside the copy (tests/dbt_support.py)."""
    from tests.dbt_support import copy_example

    return copy_example(tmp_path, monkeypatch)


def execute(root: Path, sql: str) -> None:
    """Change a project's warehouse (load rows, fix data) with a fresh connection, closed before sqlmon opens it."""
    con = duckdb.connect(str(root / "warehouse.duckdb"))
    try:
        con.execute(sql)
    finally:
        con.close()


def query(root: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    """Read from a project's warehouse (e.g. the results tables) with a fresh connection."""
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, parameters or []).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server of the module's own, started from the machine's binaries (tests/engines.py)."""
    from tests import engines

    server = engines.start_postgres()
    yield server
    server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With SQLMON_REQUIRE_ENGINES=1 (CI sets it) a skipped test fails: CI must have every engine the suite uses."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("SQLMON_REQUIRE_ENGINES") == "1":
        report.outcome = "failed"
        report.longrepr = f"skipped under SQLMON_REQUIRE_ENGINES=1, which forbids skips: {report.longrepr}"


# What `-m slow` selects (and `-m "not slow"` leaves out): whole modules that run dbt, the 30-day demo, the wheel
# build or mypy, and any test on a PostgreSQL server or a Spark JVM, whichever way it reaches one.
SLOW_MODULES = {
    "test_dbt.py",
    "test_dbt_build.py",
    "test_dbt_meta.py",
    "test_dbt_adapter_engine.py",
    "test_demo.py",
    "test_notify_demo.py",
    "test_example_warehouse.py",
    "test_lint.py",
    "test_packaging.py",
    "test_ci_guard.py",
}
SERVER_FIXTURES = {"postgres", "spark", "postgres_results", "spark_results"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        spec = getattr(item, "callspec", None)
        params = [value for value in spec.params.values() if isinstance(value, str)] if spec is not None else []
        if (
            item.path.name in SLOW_MODULES
            or SERVER_FIXTURES & set(getattr(item, "fixturenames", ()))
            or {"postgres", "spark"} & set(params)
        ):
            item.add_marker(pytest.mark.slow)
