"""dbt projects: the target's connection from profiles.yml, and `ref`/`source` resolved through target/manifest.json.

dbt itself is imported only here and only when `--dbt-project` is given: profiles are rendered with dbt's own renderer
(so `env_var()` and every other dbt context function behave exactly as in dbt), and a missing or stale manifest is
rebuilt by `dbt parse` through dbt's programmatic runner.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmon.config.errors_pydantic import suggest
from sqlmon.config.specs import DuckDBConnection, PostgresConnection, SourceSpec
from sqlmon.config.yaml_loader import YamlMap, format_key, line_of, load_yaml_file
from sqlmon.dbt.runtime import PARSE_LOCK, config_error, invoke, require_dbt
from sqlmon.errors import ConfigError, ConfigProblem, Location
from sqlmon.sql.dialects import DIALECTS

PROJECT_FILE = "dbt_project.yml"
PROFILES_FILE = "profiles.yml"
# Files whose change makes the manifest out of date, besides dbt_project.yml: dbt's defaults for these path keys.
# Macros count too: a `generate_schema_name` decides where every model is built. So do installed packages.
WATCHED_PATHS = {
    "model-paths": ["models"],
    "seed-paths": ["seeds"],
    "snapshot-paths": ["snapshots"],
    "macro-paths": ["macros"],
    "packages-install-path": ["dbt_packages"],
}
REFERABLE = ("model", "seed", "snapshot")
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


def _render(renderer: Any, value: Any, file: Path, node: Any, path: tuple[Any, ...], problems: list) -> Any:
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
        connection: DuckDBConnection | PostgresConnection | DbtAdapterConnection = DuckDBConnection(path=path)
        if values.get("threads"):
            connection.threads = int(values["threads"])
        return DbtTarget(str(name), connection, secrets, str(default), kind)
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


# --- the manifest -------------------------------------------------------------------------------------------------


def _latest_change(options: DbtOptions, project: YamlMap) -> float:
    latest = (options.project_dir / PROJECT_FILE).stat().st_mtime
    for key, defaults in WATCHED_PATHS.items():
        folders = project.get(key) or defaults
        for folder in folders if isinstance(folders, list) else [folders]:
            root = options.project_dir / str(folder)
            for path in root.rglob("*") if root.is_dir() else ():
                latest = max(latest, path.stat().st_mtime)
            if root.is_dir():  # a deleted or renamed file changes its folder's mtime
                latest = max(latest, root.stat().st_mtime)
    return latest


def manifest_path(options: DbtOptions, project: YamlMap) -> Path:
    return options.project_dir / str(project.get("target-path") or "target") / "manifest.json"


def is_stale(options: DbtOptions) -> bool:
    project = read_project_file(options)
    path = manifest_path(options, project)
    return not path.is_file() or path.stat().st_mtime < _latest_change(options, project)


def parse(options: DbtOptions, profiles_path: Path, reason: str, force: bool = False) -> None:
    """`dbt parse`, which writes target/manifest.json, unless another thread did it while this one waited."""
    args = ["parse", "--quiet", "--project-dir", str(options.project_dir), "--profiles-dir", str(profiles_path.parent)]
    if options.target:
        args += ["--target", options.target]
    with PARSE_LOCK:
        if not force and not is_stale(options):
            return
        print(f"sqlmon: running `dbt parse` in {options.project_dir}: {reason}", file=sys.stderr)
        result = invoke(args)
    if not result.success:
        detail = " ".join(str(result.exception or "see dbt's messages above").split())
        raise config_error(options.project_dir, f"`dbt parse` failed: {detail}", "fix the dbt project, then rerun")


def load_manifest(options: DbtOptions, target: DbtTarget | None = None) -> dict[str, Any]:
    """target/manifest.json, parsed again first when it is missing or older than the project's files.

    It is parsed again too when it was written for another target: the manifest names the relations of the
    target it was parsed for (the last `dbt build` ran against prod, sqlmon connects to dev). Its adapter type says
    so for another adapter; for another target of the same adapter, run_results.json does when the command that
    wrote the manifest (build, run, test …) also wrote it.
    """
    project = read_project_file(options)
    path = manifest_path(options, project)
    if is_stale(options):
        reason = "target/manifest.json is missing" if not path.is_file() else "the project changed since the last parse"
        parse(options, find_profiles(options), reason)
    manifest = _read_json(path)
    reason = _other_target(manifest, path, target)
    if reason:
        parse(options, find_profiles(options), reason, force=True)
        manifest = _read_json(path)
    return manifest


def _other_target(manifest: dict[str, Any], path: Path, target: DbtTarget | None) -> str | None:
    """Why the manifest was written for another target than `target`, or None when it was not (or nothing says)."""
    if target is None:
        return None
    built_for = manifest.get("metadata", {}).get("adapter_type")
    if built_for not in (None, target.adapter):
        return f"target/manifest.json was written for a `{built_for}` target, and this one is `{target.adapter}`"
    results = path.with_name("run_results.json")
    if results.is_file() and results.stat().st_mtime >= path.stat().st_mtime:  # one dbt command wrote both
        built_target = str(_read_json(results).get("args", {}).get("target") or target.default)
        if built_target != target.name:
            return f"target/manifest.json was written for target `{built_target}`, and this one is `{target.name}`"
    return None


def _read_json(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return json.load(handle)


# --- ref and source -----------------------------------------------------------------------------------------------


def _relation(node: dict[str, Any], name_key: str) -> str:
    parts = [node.get("database"), node.get("schema"), node.get(name_key) or node.get("name")]
    return ".".join(str(part) for part in parts if part)


def resolve_source(spec: SourceSpec, manifest: dict[str, Any], project_name: str | None) -> str:
    """The relation (`database.schema.name`) that dbt built for a source's `ref` or `source`."""
    if spec.ref is not None:
        return _resolve_ref(spec, manifest, project_name)
    assert spec.dbt_source is not None
    source_name, table = spec.dbt_source
    nodes = [n for n in manifest.get("sources", {}).values() if n.get("resource_type") == "source"]
    for node in nodes:
        if node.get("source_name") == source_name and node.get("name") == table:
            return _relation(node, "identifier")
    known = [f"{n['source_name']}.{n['name']}" for n in nodes]
    raise ConfigError(
        ConfigProblem(
            spec.locate("source"),
            spec.key("source"),
            f"no dbt source `{source_name}.{table}` in the manifest",
            suggest(f"{source_name}.{table}", known) or f"dbt sources: {', '.join(sorted(known)) or 'none'}",
        )
    )


def _resolve_ref(spec: SourceSpec, manifest: dict[str, Any], project_name: str | None) -> str:
    name = spec.ref
    nodes = [n for n in manifest.get("nodes", {}).values() if n.get("resource_type") in REFERABLE]
    matches = [n for n in nodes if n.get("name") == name]
    # A name in the root project shadows the same name in an installed package, as in dbt's own ref().
    matches.sort(key=lambda n: n.get("package_name") != project_name)
    where, key = spec.locate("ref"), spec.key("ref")
    if not matches:
        disabled = [n for group in manifest.get("disabled", {}).values() for n in group if n.get("name") == name]
        hint = suggest(str(name), sorted({n["name"] for n in nodes}))
        if disabled:
            message = f"dbt model `{name}` is disabled (`enabled: false`): dbt builds no relation for it"
            hint = f"{hint} Or enable it in dbt" if hint else "enable it in dbt"
        else:
            message = f"no dbt model, seed or snapshot `{name}` in the manifest"
            hint = hint or "check the name in the dbt project"
        raise ConfigError(ConfigProblem(where, key, message, hint))
    node = matches[0]
    if node.get("config", {}).get("materialized") == "ephemeral":
        raise ConfigError(
            ConfigProblem(
                where,
                key,
                f"dbt model `{name}` is ephemeral: dbt builds no relation for it",
                "materialize it as a view or table",
            )
        )
    return _relation(node, "alias")


def resolve_sources(sources: list[SourceSpec], manifest: dict[str, Any]) -> list[ConfigProblem]:
    """Set `table` on every source given as `ref`/`source`; the problems found, each at its key's line."""
    wanted = [s for s in sources if s.table is None]
    project_name = manifest.get("metadata", {}).get("project_name")
    problems: list[ConfigProblem] = []
    for spec in wanted:
        try:
            spec.table = resolve_source(spec, manifest, project_name)
        except ConfigError as exc:
            problems.extend(exc.problems)
    return problems
