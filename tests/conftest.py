"""Shared fixtures: a real sqlmon project on a real DuckDB file in a temporary folder."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb
import pytest

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


def query(root: Path, sql: str, parameters: list | None = None) -> list[tuple]:
    """Read from a project's warehouse (e.g. the results tables) with a fresh connection."""
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, parameters or []).fetchall()
    finally:
        con.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """With SQLMON_REQUIRE_ENGINES=1 (CI sets it) a skipped test fails: CI must have every engine the suite uses."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("SQLMON_REQUIRE_ENGINES") == "1":
        report.outcome = "failed"
        report.longrepr = f"skipped under SQLMON_REQUIRE_ENGINES=1, which forbids skips: {report.longrepr}"
