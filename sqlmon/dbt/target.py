"""A dbt project's target: profiles.yml found where dbt finds it, rendered with dbt's own renderer (so `env_var()` and
every other dbt context function behave exactly as in dbt), and the target's credentials as a sqlmon connection.

dbt itself is imported only inside the functions, and only when `--dbt-project` is given.
"""

from __future__ import annotations

import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmon.config.errors_pydantic import suggest
from sqlmon.config.specs import DuckDBConnection, PostgresConnection
from sqlmon.config.yaml_loader import YamlMap, format_key, line_of, load_yaml_file
from sqlmon.dbt.runtime import config_error, require_dbt
from sqlmon.errors import ConfigError, ConfigProblem, Location
from sqlmon.sql.dialects import DIALECTS

PROJECT_FILE = "dbt_project.yml"
PROFILES_FILE = "profiles.yml"
# Adapters whose connection manager has no DB-API cursor (`add_query`) to read rows from.
WITHOUT_CURSOR = {"bigquery": "dbt-bigquery runs every statement as a BigQuery job, without a DB-API cursor"}


@dataclass(frozen=True)
class DbtOptions:
    """What `--dbt-project`, `--profiles-dir` and `--target` name."""

    project_dir: Path
    profiles_dir: Path | None = None
    target: str | None = None


@dataclass
class DbtAdapterConnection:
    """Where the dbt adapter's connection comes from: a dbt project, its profiles folder and target."""

    adapter_type: str
    project_dir: Path
    profiles_dir: Path
    target: str | None
    type: str = "dbt"


@dataclass
class DbtTarget:
    name: str
    connection: DuckDBConnection | PostgresConnection | DbtAdapterConnection
    secrets: list[str]
    default: str = ""  # the profile's default target, which a dbt command without --target used
    adapter: str = ""  # the target's `type:`, e.g. duckdb or snowflake


# Keys of a dbt target whose values are redacted from every message.
SECRET_KEYS = ("password", "pass", "token", "private_key", "private_key_passphrase", "client_secret", "keyfile_json")


def read_project_file(options: DbtOptions) -> YamlMap:
    path = options.project_dir / PROJECT_FILE
    if not path.is_file():
        raise config_error(
            options.project_dir, f"no {PROJECT_FILE} in this folder", "--dbt-project names a dbt project"
        )
    doc = load_yaml_file(path, str(path))
    if not isinstance(doc, YamlMap):
        raise config_error(path, "expected a mapping of keys to values")
    return doc


def find_profiles(options: DbtOptions) -> Path:
    """profiles.yml where dbt looks for it: --profiles-dir, then DBT_PROFILES_DIR, the project folder, ~/.dbt."""
    if options.profiles_dir is not None:
        candidates = [("--profiles-dir", options.profiles_dir)]
    elif os.environ.get("DBT_PROFILES_DIR"):
        candidates = [("DBT_PROFILES_DIR", Path(os.environ["DBT_PROFILES_DIR"]))]
    else:
        candidates = [("the dbt project", options.project_dir), ("~/.dbt", Path.home() / ".dbt")]
    for _, folder in candidates:
        if (folder / PROFILES_FILE).is_file():
            return (folder / PROFILES_FILE).resolve()
    where = ", ".join(f"{folder} ({origin})" for origin, folder in candidates)
    raise config_error(
        "--profiles-dir", f"no {PROFILES_FILE} in {where}", "give --profiles-dir or set DBT_PROFILES_DIR", line=None
    )


def _render(
    renderer: Any, value: Any, file: Path, node: Any, path: tuple[Any, ...], problems: list[ConfigProblem]
) -> Any:
    """Render one value of the target the way dbt does, so a missing env var is reported at its own key and line."""
    from dbt_common.exceptions import DbtBaseException

    if isinstance(value, dict):
        return {k: _render(renderer, v, file, node, (*path, k), problems) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    try:
        return renderer.render_value(value, path[-1:])
    except DbtBaseException as exc:
        message = " ".join(str(getattr(exc, "msg", exc)).split())
        problems.append(ConfigProblem(Location(str(file), line_of(node, path)), format_key(path), message))
        return None


def load_target(options: DbtOptions, through_adapter: bool = False) -> DbtTarget:
    """The dbt target's credentials as one of our connections, read from profiles.yml and rendered by dbt.

    `duckdb` and `postgres` targets get sqlmon's own engine unless `through_adapter`; every other adapter (and those
    two with `through_adapter`) is reached through the dbt adapter's own connection.
    """
    require_dbt()
    from dbt.config.renderer import ProfileRenderer
    from dbt_common.context import set_invocation_context

    project = read_project_file(options)
    profile_name = project.get("profile")
    if not isinstance(profile_name, str):
        raise config_error(
            options.project_dir / PROJECT_FILE, "missing `profile`", "name the profile in profiles.yml", "profile", 1
        )
    profiles_path = find_profiles(options)
    profiles = load_yaml_file(profiles_path, str(profiles_path))
    profile = profiles.get(profile_name) if isinstance(profiles, YamlMap) else None
    if not isinstance(profile, YamlMap):
        names = [k for k in (profiles or {}) if k != "config"]
        raise config_error(
            profiles_path,
            f"no profile `{profile_name}` (named by `profile:` in {options.project_dir / PROJECT_FILE})",
            suggest(profile_name, names) or f"profiles: {', '.join(names) or 'none'}",
        )
    outputs = profile.get("outputs")
    if not isinstance(outputs, YamlMap) or not outputs:
        raise config_error(profiles_path, "no `outputs:` (the targets)", key=profile_name, line=profile.line)
    set_invocation_context(dict(os.environ))  # env_var() reads the environment through dbt's invocation context
    renderer = ProfileRenderer({})
    problems: list[ConfigProblem] = []
    default = _render(renderer, profile.get("target", "default"), profiles_path, profile, ("target",), problems)
    name = options.target or default
    if problems:
        raise ConfigError(problems)
    if name not in outputs:
        raise config_error(
            profiles_path,
            f"no target `{name}` in profile `{profile_name}`",
            suggest(str(name), outputs) or f"targets: {', '.join(outputs)}",
            format_key((profile_name, "outputs")),
            line_of(profile, ("outputs",)),
        )
    raw = outputs[name]
    values = _render(renderer, dict(raw), profiles_path, raw, (), problems)
    for problem in problems:  # name keys from the top of profiles.yml, as a user finds them
        problem.key = format_key((profile_name, "outputs", name, *problem.key.split(".")))
    if problems:
        raise ConfigError(problems)
    kind = str(values.get("type"))
    where = format_key((profile_name, "outputs", name, "type"))
    secrets = [str(values[key]) for key in SECRET_KEYS if isinstance(values.get(key), str | int) and values[key]]
    if kind == "duckdb" and not through_adapter:
        path = str(values.get("path", ":memory:"))
        if path != ":memory:" and not Path(path).is_absolute():
            # dbt runs from the project folder, so a relative path is relative to it.
            path = str((options.project_dir / path).resolve())
        duckdb_connection = DuckDBConnection(path=path)
        if values.get("threads"):
            duckdb_connection.threads = int(values["threads"])
        return DbtTarget(str(name), duckdb_connection, secrets, str(default), kind)
    if kind == "postgres" and not through_adapter:
        password = values.get("password") or values.get("pass")
        connection = PostgresConnection(
            type="postgres",
            host=str(values.get("host", "localhost")),
            port=int(values.get("port", 5432)),
            user=values.get("user"),
            password=None if password is None else str(password),
            dbname=str(values.get("dbname") or values.get("database") or "postgres"),
            sslmode=values.get("sslmode"),
            connect_timeout=int(values.get("connect_timeout", 10)),
        )
        return DbtTarget(str(name), connection, secrets, str(default), kind)
    refusal = _unreachable(kind)
    if refusal is not None:
        raise config_error(
            profiles_path, f"dbt adapter `{kind}` {refusal[0]}", refusal[1], where, line_of(raw, ("type",))
        )
    adapter = DbtAdapterConnection(kind, options.project_dir, profiles_path.parent, str(name))
    return DbtTarget(str(name), adapter, secrets, str(default), kind)


def dialect_of(adapter_type: str) -> str | None:
    """sqlmon's dialect for a dbt adapter type: the names are the same (duckdb, postgres, snowflake, bigquery …)."""
    return adapter_type if adapter_type in DIALECTS else None


def _unreachable(kind: str) -> tuple[str, str] | None:
    """Why sqlmon cannot work through the dbt adapter `kind`, and what to do; None when it can."""
    if dialect_of(kind) is None:
        supported = ", ".join(sorted(set(DIALECTS) - set(WITHOUT_CURSOR)))
        return "is not supported: sqlmon writes no SQL dialect for it", f"supported: {supported}"
    if kind in WITHOUT_CURSOR:
        return f"is not supported yet: {WITHOUT_CURSOR[kind]}", f"write its SQL with `sqlmon compile --dialect {kind}`"
    if importlib.util.find_spec(f"dbt.adapters.{kind}") is None:
        return "is not installed", f"pip install dbt-{kind}"
    return None
