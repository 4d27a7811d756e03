"""Helpers for the tests that run real dbt: a copy of the example dbt project, dbt commands, sqlmon's CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from sqlmon.cli import main

EXAMPLE = Path(__file__).resolve().parents[1] / "example_warehouse" / "dbt"


def copy_example(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example dbt project whose DuckDB file is inside the copy."""
    try:
        import dbt.adapters.duckdb
        import dbt.cli.main  # noqa: F401
    except ImportError:
        pytest.skip("engine unavailable: dbt-core and dbt-duckdb are not installed (pip install 'sqlmon[dbt]')")
    project = tmp_path / "dbt"
    shutil.copytree(EXAMPLE, project, ignore=shutil.ignore_patterns("target", "logs", "*.duckdb"))
    monkeypatch.setenv("SQLMON_DBT_DUCKDB", str(project / "warehouse.duckdb"))
    monkeypatch.delenv("DBT_PROFILES_DIR", raising=False)
    monkeypatch.setenv("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")  # no network calls from tests
    return project


def dbt_run(project: Path, *args: str, profiles_dir: Path | None = None) -> None:
    from sqlmon.dbt.runtime import invoke

    result = invoke([*args, "--quiet", "--project-dir", str(project), "--profiles-dir", str(profiles_dir or project)])
    assert result.success, result.exception


def sqlmon(*args: str | Path) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def problems(*args: str | Path) -> list[str]:
    code, stdout, stderr = sqlmon(*args)
    assert code == 2, stdout + stderr
    return [line.strip() for line in stderr.splitlines()[1:] if line.startswith("  ")]


def metrics(stdout: str) -> dict[tuple, float | None]:
    payload = json.loads(stdout)
    assert payload["status"] == "success", payload["error"]
    return {
        (m["monitor"], m["column"], m["metric"], m["segment"], json.dumps(m["window"])): m["value"]
        for m in payload["metrics"]
    }
