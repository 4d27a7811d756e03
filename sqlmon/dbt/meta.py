"""Monitors declared in a dbt project, under `config: meta: sqlmon:` (or `meta: sqlmon:`) of models, seeds, snapshots,
sources and their columns in dbt's property files (docs/dbt.md "Monitors in schema.yml").

The manifest says which nodes carry the block (so `+meta` in dbt_project.yml counts too) and what dbt knows about
them: enabled or not, the columns' `data_type`s. The block itself is read again from the property file with line
numbers, so a mistake in it is reported at its own line, as one in sqlmon's monitor files is.

Each node with a block becomes one sqlmon source (`ref:` the model or `source:` the dbt source) and its monitors; the
loader validates them exactly like the ones written in `monitors/*.yml`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmon.config.yaml_loader import YamlMap, YamlSeq, format_key, line_of, load_yaml_file
from sqlmon.errors import ConfigProblem, Location
from sqlmon.monitors import registry
from sqlmon.sql.dialects import DIALECTS
from sqlmon.sql.types import logical_type

META_KEY = "sqlmon"
REFERABLE = ("model", "seed", "snapshot")
# Keys of a node's block that are not the source's own options.
BLOCK_KEYS = ("monitors", "schema_contract")


@dataclass
class Declared:
    """One source or monitor found in a dbt property file: its data and where it was written."""

    file: str
    data: YamlMap
    prefix: tuple[Any, ...]


@dataclass
class Declarations:
    sources: list[Declared]
    monitors: list[Declared]
    problems: list[ConfigProblem]
    files: set[Path]  # the property files that declare something


def _map(data: Any, line: int | None, drop: tuple[str, ...] = (), **added: Any) -> YamlMap:
    """A copy of a mapping that keeps its lines, without the `drop` keys; added keys (never written by the user)
    point at `line`."""
    result = YamlMap()
    result.line = getattr(data, "line", line)
    result.key_lines = {k: v for k, v in getattr(data, "key_lines", {}).items() if k not in drop}
    for key, value in {**{k: v for k, v in data.items() if k not in drop}, **added}.items():
        result[key] = value
        result.key_lines.setdefault(key, result.line)
    return result


def _block(config_owner: dict[str, Any]) -> Any:
    """The node's or column's `sqlmon` value from the manifest, under `config.meta` (dbt >= 1.10) or `meta`."""
    for meta in ((config_owner.get("config") or {}).get("meta"), config_owner.get("meta")):
        if isinstance(meta, dict) and META_KEY in meta:
            return meta[META_KEY]
    return None


class _Files:
    """Property files read once each, relative to the dbt project, with the file name problems should show."""

    def __init__(self, project_dir: Path, display: Callable[[Path], str]):
        self.project_dir = project_dir
        self.display = display
        self.docs: dict[str, Any] = {}

    def name(self, relative: str) -> str:
        return self.display(self.project_dir / relative)

    def doc(self, relative: str) -> Any:
        if relative not in self.docs:
            path = self.project_dir / relative
            self.docs[relative] = load_yaml_file(path, self.name(relative)) if path.is_file() else None
        return self.docs[relative]


def _find(items: Any, name: str) -> int | None:
    if isinstance(items, YamlSeq):
        for index, item in enumerate(items):
            if isinstance(item, YamlMap) and item.get("name") == name:
                return index
    return None


def _entry(doc: Any, node: dict[str, Any]) -> tuple[YamlMap | None, tuple[Any, ...]]:
    """The node's own entry in its property file (`models[2]`, `sources[0].tables[1]`), or None."""
    if not isinstance(doc, YamlMap):
        return None, ()
    if node["resource_type"] == "source":
        outer = _find(doc.get("sources"), node["source_name"])
        if outer is None:
            return None, ()
        inner = _find(doc["sources"][outer].get("tables"), node["name"])
        if inner is None:
            return None, ()
        return doc["sources"][outer]["tables"][inner], ("sources", outer, "tables", inner)
    section = f"{node['resource_type']}s"
    index = _find(doc.get(section), node["name"])
    return (doc[section][index], (section, index)) if index is not None else (None, ())


def _written(entry: YamlMap | None, prefix: tuple[Any, ...], fallback: Any) -> tuple[Any, tuple[Any, ...]]:
    """The block as written under `config: meta:` or `meta:` of an entry, with its key path; else the manifest's."""
    if entry is not None:
        for path in (("config", "meta", META_KEY), ("meta", META_KEY)):
            value: Any = entry
            for step in path:
                value = value.get(step) if isinstance(value, YamlMap) else None
            if value is not None:
                return value, (*prefix, *path)
    return fallback, (*prefix, "config", "meta", META_KEY)


def _monitor_items(
    value: Any, file: str, prefix: tuple[Any, ...], problems: list[ConfigProblem]
) -> list[tuple[dict[str, Any], tuple[Any, ...]]]:
    """`monitors:` as (mapping, key path): an item may be a whole monitor or just its type (`- null_rate`)."""
    if value is None:
        return []
    if not isinstance(value, list):
        problems.append(
            ConfigProblem(
                Location(file, getattr(value, "line", None)),
                format_key(prefix),
                "expected a list of monitors (`- type: feature_drift` or just `- null_rate`)",
            )
        )
        return []
    lines = getattr(value, "item_lines", [None] * len(value))
    items = []
    for index, item in enumerate(value):
        if isinstance(item, str):
            item = _map({"type": item}, lines[index])
        if not isinstance(item, dict):
            problems.append(
                ConfigProblem(
                    Location(file, lines[index]), format_key((*prefix, index)), "expected a monitor mapping or a type"
                )
            )
            continue
        items.append((item, (*prefix, index)))
    return items


def declarations(project_dir: Path, manifest: dict[str, Any], display: Any) -> Declarations:
    """Every source and monitor the root dbt project declares under `meta: sqlmon:`."""
    files = _Files(project_dir, display)
    project_name = manifest.get("metadata", {}).get("project_name")
    adapter = manifest.get("metadata", {}).get("adapter_type")
    dialect = adapter if adapter in DIALECTS else "duckdb"
    nodes = [n for n in manifest.get("nodes", {}).values() if n.get("resource_type") in REFERABLE]
    nodes += list(manifest.get("sources", {}).values())
    found = Declarations([], [], [], set())
    for node in nodes:
        if node.get("package_name") != project_name or not node.get("config", {}).get("enabled", True):
            continue
        block = _block(node)
        column_blocks = {name: _block(c) for name, c in (node.get("columns") or {}).items() if _block(c) is not None}
        if block is None and not column_blocks:
            continue
        relative = str(node.get("patch_path") or node.get("original_file_path") or "").split("://", 1)[-1]
        if relative:
            found.files.add(project_dir / relative)
        _declare(node, block, column_blocks, relative, files, dialect, found)
    return found


def _declare(
    node: dict[str, Any],
    block: Any,
    column_blocks: dict[str, Any],
    relative: str,
    files: _Files,
    dialect: str,
    found: Declarations,
) -> None:
    file = files.name(relative) if relative else f"dbt {node['resource_type']} {node['name']}"
    entry, entry_prefix = _entry(files.doc(relative) if relative else None, node)
    written, prefix = _written(entry, entry_prefix, block if block is not None else {})
    line = getattr(written, "line", None) or getattr(entry, "line", None)
    if not isinstance(written, dict):
        found.problems.append(
            ConfigProblem(
                Location(file, line),
                format_key(prefix),
                "expected a mapping: the source's options (`timestamp`, `window`, `baseline` …), `monitors:` and "
                "`schema_contract:`",
            )
        )
        return
    written = _map(written, line)
    is_source = node["resource_type"] == "source"
    default_name = f"{node['source_name']}__{node['name']}" if is_source else node["name"]
    relation = {"source": [node["source_name"], node["name"]]} if is_source else {"ref": node["name"]}
    source = _map(written, line, BLOCK_KEYS, **{"name": written.get("name", default_name), **relation})
    found.sources.append(Declared(file, source, prefix))
    name = source["name"]

    first = len(found.monitors)
    for item, path in _monitor_items(written.get("monitors"), file, (*prefix, "monitors"), found.problems):
        kind = item.get("type")
        if _gives_source(item, path, file, line, found.problems):
            continue
        found.monitors.append(
            Declared(file, _map(item, line, name=item.get("name", f"{name}__{kind}"), source=name), path)
        )
    contract = written.get("schema_contract")
    if contract not in (None, False):
        _schema_contract(node, contract, written, file, prefix, name, dialect, found)

    for column, value in column_blocks.items():
        column_entry = None
        column_prefix: tuple[Any, ...] = ()
        if entry is not None:
            index = _find(entry.get("columns"), column)
            if index is not None:
                column_entry, column_prefix = entry["columns"][index], (*entry_prefix, "columns", index)
        written_column, path = _written(column_entry, column_prefix, value)
        monitors: Any  # as written; _monitor_items reports anything but a list
        if isinstance(written_column, list):  # the shorthand: `sqlmon: [null_rate, feature_drift]`
            monitors, monitors_path = written_column, path
        elif isinstance(written_column, dict) and set(written_column) <= {"monitors"}:
            monitors, monitors_path = written_column.get("monitors"), (*path, "monitors")
        else:
            found.problems.append(
                ConfigProblem(
                    Location(file, line_of(column_entry, path[len(column_prefix) :]) if column_entry else line),
                    format_key(path),
                    "a column's block lists its monitors: `sqlmon: {monitors: [...]}` or `sqlmon: [null_rate]`",
                    "source options (`timestamp`, `window` …) belong on the model's block",
                )
            )
            continue
        for item, item_path in _monitor_items(monitors, file, monitors_path, found.problems):
            if _gives_source(item, item_path, file, line, found.problems):
                continue
            declared = _column_monitor(item, item_path, column, name, file, line, found.problems)
            if declared is not None:
                found.monitors.append(declared)
    for declared in found.monitors[first:]:
        for key, value in _routing(node).items():
            if key not in declared.data:
                declared.data[key] = value
                declared.data.key_lines[key] = declared.data.line


def _routing(node: dict[str, Any]) -> dict[str, Any]:
    """The node's dbt `tags` and `meta.owner`, which its monitors carry unless they set their own: notification
    channels route by them (docs/notifications.md)."""
    found: dict[str, Any] = {}
    tags = node.get("tags") or (node.get("config") or {}).get("tags")
    if isinstance(tags, list) and tags:
        found["tags"] = [str(t) for t in tags]
    for meta in ((node.get("config") or {}).get("meta"), node.get("meta")):
        if isinstance(meta, dict) and isinstance(meta.get("owner"), str):
            found["owner"] = meta["owner"]
            break
    return found


def _gives_source(
    item: dict[str, Any], path: tuple[Any, ...], file: str, line: int | None, problems: list[ConfigProblem]
) -> bool:
    """A monitor in a node's block watches that node: a `source:` of its own would be silently overridden."""
    if "source" not in item:
        return False
    problems.append(
        ConfigProblem(
            Location(file, item.key_lines.get("source", line) if isinstance(item, YamlMap) else line),
            format_key((*path, "source")),
            "a monitor declared in a dbt node's `sqlmon` block watches that node",
            "remove `source`, or declare the monitor in sqlmon's own YAML",
        )
    )
    return True


def _column_monitor(
    item: dict[str, Any],
    path: tuple[Any, ...],
    column: str,
    source: str,
    file: str,
    line: int | None,
    problems: list[ConfigProblem],
) -> Declared | None:
    """A monitor written on a column watches that column: `columns: [it]` or `column: it`, whichever its kind has."""
    kind = registry.kinds().get(str(item.get("type")))
    if kind is None:  # the loader reports the unknown type, with its suggestions
        return Declared(file, _map(item, line, source=source), path)
    fields = kind.spec_class.model_fields
    key = "columns" if "columns" in fields else "column" if "column" in fields else None
    item_line = getattr(item, "line", line)
    if key is None or kind.snapshot:
        problems.append(
            ConfigProblem(
                Location(file, item_line),
                format_key(path),
                f"`{kind.type}` does not watch one column, so it cannot be declared on a column",
                "declare it under the model's `sqlmon: monitors:`",
            )
        )
        return None
    if key in item:
        problems.append(
            ConfigProblem(
                Location(file, item.key_lines.get(key, item_line) if isinstance(item, YamlMap) else item_line),
                format_key((*path, key)),
                f"a monitor declared on column `{column}` watches that column",
                f"remove `{key}`, or declare the monitor on the model",
            )
        )
        return None
    name = item.get("name", f"{source}__{column}__{kind.type}")
    value: list[str] | str = [column] if key == "columns" else column
    return Declared(file, _map(item, line, (), name=name, source=source, **{key: value}), path)


def _schema_contract(
    node: dict[str, Any],
    value: Any,
    block: YamlMap,
    file: str,
    prefix: tuple[Any, ...],
    source: str,
    dialect: str,
    found: Declarations,
) -> None:
    """`schema_contract: true`: the columns and `data_type`s dbt declares for the model become the contract."""
    where = Location(file, block.key_lines.get("schema_contract", block.line))
    key = format_key((*prefix, "schema_contract"))
    if value is not True and not isinstance(value, dict):
        found.problems.append(
            ConfigProblem(
                where, key, "expected `true` or a mapping of schema_contract options (`allow_extra_columns`…)"
            )
        )
        return
    options = value if isinstance(value, dict) else {}
    columns = {
        name: (None if logical_type(str(c["data_type"]), dialect) == "other" else logical_type(c["data_type"], dialect))
        for name, c in (node.get("columns") or {}).items()
        if c.get("data_type")
    }
    if "columns" not in options and not columns:
        found.problems.append(
            ConfigProblem(
                where,
                key,
                f"dbt declares no column with a `data_type` for `{node['name']}`, so there is no contract to check",
                "give its columns `data_type:` (as `contract: {enforced: true}` requires), or list `columns:` here",
            )
        )
        return
    defaults = {"name": f"{source}__schema_contract", "columns": {name: {"type": t} for name, t in columns.items()}}
    data = _map(options, where.line, **{**defaults, **options, "type": "schema_contract", "source": source})
    found.monitors.append(Declared(file, data, (*prefix, "schema_contract")))
