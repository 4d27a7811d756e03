"""target/manifest.json, and `ref`/`source` resolved through it to the relations dbt built.

A missing or stale manifest is rebuilt by `dbt parse` through dbt's programmatic runner, so a `ref` names the relation
that dbt would build from the project as it is now, not as it was at the last parse.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from sqlmon.config.errors_pydantic import suggest
from sqlmon.config.specs import SourceSpec
from sqlmon.config.yaml_loader import YamlMap
from sqlmon.dbt.runtime import PARSE_LOCK, config_error, invoke
from sqlmon.dbt.target import PROJECT_FILE, DbtOptions, DbtTarget, find_profiles, read_project_file
from sqlmon.errors import ConfigError, ConfigProblem

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
    other = _other_target(manifest, path, target)
    if other:
        parse(options, find_profiles(options), other, force=True)
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
        data: dict[str, Any] = json.load(handle)
    return data


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
