"""A PostgreSQL connection written as a URL (docs/engines.md#a-connection-url): what each part of it becomes, where
the password may come from, and a run on a real server connected that way."""

from __future__ import annotations

import textwrap

import pytest

from sqlmon.config.loader import load_project
from sqlmon.errors import ConfigError
from tests.conftest import PROJECT_YML

MONITORS = """\
sources:
  - {name: events, table: main.events}
monitors:
  - {name: nulls, type: null_rate, source: events}
"""


def connection_of(make_project, connection: str):
    project = PROJECT_YML.replace("connection:\n  type: duckdb\n  path: warehouse.duckdb\n", connection)
    return load_project(make_project(MONITORS, project_yml=project))


def test_every_part_of_the_url_becomes_its_key(make_project):
    project = connection_of(
        make_project,
        "connection: postgresql://sqlmon@db.internal:6543/analytics?sslmode=require&connect_timeout=5\n",
    )
    c = project.connection
    assert (c.type, c.host, c.port, c.user, c.password, c.dbname, c.sslmode, c.connect_timeout) == (
        "postgres",
        "db.internal",
        6543,
        "sqlmon",
        None,
        "analytics",
        "require",
        5,
    )
    assert project.warehouse == "postgres"


def test_what_the_url_leaves_out_keeps_its_default(make_project):
    c = connection_of(make_project, "connection: {url: 'postgres://db.internal'}\n").connection
    assert (c.host, c.port, c.user, c.dbname, c.connect_timeout) == ("db.internal", 5432, None, "postgres", 10)


def test_the_password_beside_the_url_comes_from_the_environment(make_project, monkeypatch):
    monkeypatch.setenv("PG_PASSWORD", "pw-from-env")
    project = connection_of(
        make_project,
        "connection:\n  url: postgresql://sqlmon@db.internal/analytics\n  password: ${PG_PASSWORD}\n"
        "  statement_timeout: 600\n",
    )
    assert (project.connection.password, project.connection.statement_timeout) == ("pw-from-env", 600)
    assert "pw-from-env" in project.secrets


def test_a_reference_inside_the_url_and_a_percent_encoded_password(make_project, monkeypatch):
    monkeypatch.setenv("PG_PASSWORD", "p%40ss")  # `p@ss`, percent-encoded as a URL needs it
    project = connection_of(make_project, "connection: 'postgresql://sqlmon:${PG_PASSWORD}@db.internal/analytics'\n")
    assert project.connection.password == "p@ss"
    assert {"p@ss", "p%40ss"} <= set(project.secrets)
    assert project.connection.url == "postgresql://sqlmon@db.internal/analytics"  # kept without the password


def test_an_inline_password_of_any_target_is_a_secret(make_project):
    project = connection_of(
        make_project,
        "targets:\n  dev: {type: duckdb}\n  prod: postgresql://sqlmon:Inl1ne@db.internal/analytics\ntarget: dev\n",
    )
    assert project.target == "dev" and "Inl1ne" in project.secrets


def test_a_duckdb_url_says_to_write_a_path(make_project):
    with pytest.raises(ConfigError) as caught:
        connection_of(make_project, "connection: duckdb:///warehouse.duckdb\n")
    assert [str(p) for p in caught.value.problems] == [
        "sqlmon.yml:2: connection: a DuckDB connection is a file, not a URL: write `{type: duckdb, path:"
        " warehouse.duckdb}`"
    ]


def test_a_key_given_in_the_url_and_beside_it_is_refused(make_project):
    with pytest.raises(ConfigError) as caught:
        connection_of(make_project, "connection: {url: 'postgresql://db.internal/analytics', dbname: other}\n")
    assert [p.message for p in caught.value.problems] == ["`dbname` is given in `url` and as a key; give it once"]


def test_a_run_on_a_real_server_connected_by_url(postgres, make_project, monkeypatch):
    from click.testing import CliRunner

    from sqlmon.cli import main

    monkeypatch.setenv("SQLMON_TEST_PG_PASSWORD", postgres.password)
    postgres.create_database("by_url")
    with postgres.connect("by_url") as con:
        con.execute("CREATE SCHEMA main")
        con.execute("CREATE TABLE main.events (id INTEGER, country TEXT)")
        con.execute("INSERT INTO main.events VALUES (1, 'DE'), (2, NULL)")
    project = textwrap.dedent(
        f"""\
        connection:
          url: postgresql://{postgres.user}@127.0.0.1:{postgres.port}/by_url
          password: ${{SQLMON_TEST_PG_PASSWORD}}
        """
    )
    root = make_project(MONITORS, project_yml=project)
    result = CliRunner().invoke(main, ["run", "-p", str(root), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert postgres.password not in result.output
    with postgres.connect("by_url") as con:
        rows = con.execute(
            "SELECT column_name, value FROM sqlmon.sqlmon_metrics WHERE metric = 'null_rate' ORDER BY 1"
        ).fetchall()
        [(target,)] = con.execute("SELECT target FROM sqlmon.sqlmon_runs").fetchall()
    assert rows == [("country", 0.5), ("id", 0.0)] and target == "default (postgres)"
