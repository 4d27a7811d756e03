"""Loads a project — `sqlmon.yml` plus every monitor file — into validated specs, collecting every problem at once."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from sqlmon.config.channels import load_channels
from sqlmon.config.errors_pydantic import problems_from_validation, suggest
from sqlmon.config.extensions import monitor_model, project_model
from sqlmon.config.file_sources import resolve_files
from sqlmon.config.files import PROJECT_FILE, display, read_monitor_files
from sqlmon.config.references import add_unique, monitor_references, refuse_dbt_relations
from sqlmon.config.specs import (
    SECRET_KEYS,
    BaselineSpec,
    ConnectionSpec,
    MonitorSpec,
    Origin,
    ProjectSpec,
    SourceSpec,
)
from sqlmon.config.yaml_loader import YamlMap, format_key, line_of, load_yaml_file
from sqlmon.errors import ConfigError, ConfigProblem, Location, keep_secrets
from sqlmon.monitors import registry

if TYPE_CHECKING:
    from sqlmon.config.channels import ChannelSpec
    from sqlmon.dbt.target import DbtAdapterConnection, DbtOptions, DbtTarget

ModelT = TypeVar("ModelT", bound=BaseModel)


@dataclass
class Project:
    root: Path
    spec: ProjectSpec
    sources: dict[str, SourceSpec] = field(default_factory=dict)
    monitors: dict[str, MonitorSpec] = field(default_factory=dict)
    files: list[Path] = field(default_factory=list)
    target: str = "default"
    secrets: list[str] = field(default_factory=list)  # values from ${ENV} or password keys; redacted from output
    dbt_connection: ConnectionSpec | DbtAdapterConnection | None = None  # the dbt target's; replaces sqlmon.yml's
    channels: dict[str, ChannelSpec] = field(default_factory=dict)  # `notify:`, by name (docs/notifications.md)

    @property
    def connection(self) -> ConnectionSpec | DbtAdapterConnection:
        if self.dbt_connection is not None:
            return self.dbt_connection
        return self.spec.resolve(self.target)[1]

    @property
    def warehouse(self) -> str:
        """What the connection reaches: `duckdb`, `postgres`, `spark`, or a dbt adapter's type (`snowflake` …)."""
        return str(getattr(self.connection, "adapter_type", self.connection.type))

    def baseline_of(self, monitor: MonitorSpec) -> BaselineSpec | None:
        return monitor.baseline or self.sources[monitor.source].baseline


_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


def interpolate_env(
    node: Any, file: str, path: tuple[Any, ...], secrets: list[str], problems: list[ConfigProblem]
) -> Any:
    """Replace `${NAME}` and `${NAME:-default}` in string values of sqlmon.yml with environment variables, in place.

    Substituted values are treated as secrets: they are redacted from every message sqlmon prints.
    """
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in list(items):
        if isinstance(value, dict | list):
            interpolate_env(value, file, (*path, key), secrets, problems)
        elif isinstance(value, str) and "${" in value:

            def substitute(match: re.Match[str], key: Any = key) -> str:
                name, default = match.group(1), match.group(2)
                found = os.environ.get(name, default)
                if found is None:
                    problems.append(
                        ConfigProblem(
                            Location(file, line_of(node, (key,))),
                            format_key((*path, key)),
                            f"environment variable `{name}` is not set",
                            f"export {name}=…, or write `${{{name}:-default}}`",
                        )
                    )
                    return ""
                if found and name in os.environ:  # a default written in the file is no secret
                    secrets.append(found)
                return found

            node[key] = _ENV_REFERENCE.sub(substitute, value)
    return node


def find_project_root(start: Path) -> Path:
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / PROJECT_FILE).is_file():
            return folder
    raise ConfigError(
        ConfigProblem(
            Location(str(start)),
            "",
            f"no {PROJECT_FILE} here or in any parent folder",
            "run `sqlmon init` to create one",
        )
    )


def _root_beside_dbt(dbt: DbtOptions) -> Path:
    """Without -p, a dbt user's sqlmon project is the current folder or the dbt project, when either has sqlmon.yml,
    else the dbt project with every default. Parent folders are not searched: inside a dbt project they hold
    unrelated things (a repository's own sqlmon.yml, say)."""
    for folder in (Path.cwd(), dbt.project_dir):
        if (folder / PROJECT_FILE).is_file():
            return folder
    return dbt.project_dir


def _add_sources(
    items: Iterable[tuple[str, Any, tuple[Any, ...]]],
    sources: list[SourceSpec],
    broken: set[str],
    problems: list[ConfigProblem],
) -> None:
    """Validate each declared source (file, node, key prefix) into `sources`; the name of one that is invalid goes to
    `broken`, so its monitors are not told a second time that their source is unknown."""
    for file, node, prefix in items:
        source = _validate(SourceSpec, node, file, node, prefix, problems)
        if source is not None:
            sources.append(source)
        else:
            broken.add(str(node.get("name")))


def _validate(
    model: type[ModelT], data: Any, file: str, node: Any, prefix: tuple[Any, ...], problems: list[ConfigProblem]
) -> ModelT | None:
    if not isinstance(data, dict):
        problems.append(
            ConfigProblem(
                Location(file, getattr(node, "line", None) or 1),  # a plain value is the whole document
                format_key(prefix),
                "expected a mapping of keys to values",
            )
        )
        return None
    try:
        result = model.model_validate(data)
    except ValidationError as exc:
        problems.extend(problems_from_validation(exc, file, node, model, prefix))
        return None
    if hasattr(result, "_origin"):
        result._origin = Origin(file, node, prefix)
    return result


def load_project(root: Path | None = None, target: str | None = None, dbt: DbtOptions | None = None) -> Project:
    """Read and validate a project. Raises ConfigError listing every problem, each with file:line and a fix.

    `target` picks one of `targets:` in sqlmon.yml (default: `target:`, else the first). With `dbt`, the connection is
    the dbt target's (`dbt.target`) from profiles.yml, and sources may name a dbt `ref` or `source`; a dbt project
    needs no sqlmon.yml at all when its monitors live in its own `meta: sqlmon:` blocks.
    """
    if dbt is not None and root is None:
        root = _root_beside_dbt(dbt)
    elif root is None or not (root / PROJECT_FILE).is_file():
        root = find_project_root(root or Path.cwd())
    root = root.resolve()
    problems: list[ConfigProblem] = []
    project_doc = load_yaml_file(root / PROJECT_FILE, PROJECT_FILE) if (root / PROJECT_FILE).is_file() else None
    data = project_doc if project_doc is not None else YamlMap({"monitor_paths": []} if dbt is not None else {})
    secrets: list[str] = []
    interpolate_env(data, PROJECT_FILE, (), secrets, problems)
    keep_secrets(secrets)  # masked from here on, in the problems below too (`got …` may quote a value)
    spec = _validate(project_model(), data, PROJECT_FILE, project_doc, (), problems)
    if spec is None:
        raise ConfigError(problems)
    dbt_target: DbtTarget | None = None
    if dbt is not None:
        from sqlmon.dbt.target import load_target

        dbt_target = load_target(dbt, spec.dbt_engine == "adapter")
        project = Project(
            root=root,
            spec=spec,
            target=dbt_target.name,
            secrets=sorted(set(secrets + dbt_target.secrets), key=len, reverse=True),
            dbt_connection=dbt_target.connection,
        )
    else:
        project = _project_with_target(root, spec, project_doc, target, secrets)
    keep_secrets(project.secrets)

    declared = read_monitor_files(root, spec.monitor_paths, project_doc, problems)
    project.files += declared.files
    raw_sources: list[SourceSpec] = []
    broken: set[str] = set()  # sources already reported invalid: their monitors need not say they are unknown
    _add_sources(((item.file, item.node, item.prefix) for item in declared.sources), raw_sources, broken, problems)
    resolve_files(root, raw_sources)
    raw_monitors = [(item.file, item.node, item.prefix) for item in declared.monitors]

    if dbt is not None:
        _read_dbt_project(dbt, dbt_target, project, raw_sources, raw_monitors, problems, broken)
    else:
        refuse_dbt_relations(raw_sources, problems)
    for source in raw_sources:
        add_unique(project.sources, source, "source", problems)
    for name, node, prefix in raw_monitors:
        monitor = _load_monitor(name, node, prefix, project, problems, broken)
        if monitor is not None:
            resolve_files(root, (), [monitor])
            add_unique(project.monitors, monitor, "monitor", problems)

    project.channels = load_channels(data.get("notify"), project.monitors, project.sources, problems)
    if project.channels:  # a webhook URL or routing key written in the file is as secret as one from ${ENV}
        project.secrets = _with_channel_secrets(project.secrets, project.channels)
        keep_secrets(project.secrets)
    if problems:
        raise ConfigError(problems)
    return project


def _with_channel_secrets(secrets: list[str], channels: dict[str, ChannelSpec]) -> list[str]:
    from sqlmon.config.channels import secret_values

    found = [value for spec in channels.values() for value in secret_values(spec)]
    return sorted(set(secrets + found), key=len, reverse=True)


def _project_with_target(root: Path, spec: ProjectSpec, doc: Any, target: str | None, secrets: list[str]) -> Project:
    try:
        chosen, _ = spec.resolve(target)
    except KeyError:
        hint = suggest(str(target), spec.target_names())
        raise ConfigError(
            ConfigProblem(
                Location(PROJECT_FILE, line_of(doc, ("targets",))),
                "--target",
                f"no target `{target}` in {PROJECT_FILE}",
                hint or f"targets: {', '.join(spec.target_names())}",
            )
        ) from None
    # every target's, not only the chosen one's: a password written in a URL of another target is as secret
    every = [spec.connection, *spec.targets.values()]
    secrets += [str(getattr(each, key)) for each in every for key in SECRET_KEYS if getattr(each, key, None)]
    return Project(root=root, spec=spec, target=chosen, secrets=sorted(set(secrets), key=len, reverse=True))


def _read_dbt_project(
    dbt: DbtOptions,
    dbt_target: DbtTarget | None,
    project: Project,
    sources: list[SourceSpec],
    monitors: list[tuple[str, YamlMap, tuple[Any, ...]]],
    problems: list[ConfigProblem],
    broken: set[str],
) -> None:
    """Add the sources and monitors declared in the dbt project's `meta: sqlmon:` blocks, then set `table` on every
    source given as `ref`/`source` to the relation dbt built. The manifest is read (or parsed) once for both."""
    from sqlmon.dbt.manifest import load_manifest, resolve_sources
    from sqlmon.dbt.meta import declarations

    manifest = load_manifest(dbt, dbt_target)
    declared = declarations(dbt.project_dir, manifest, lambda path: display(path, project.root))
    problems.extend(declared.problems)
    project.files.extend(sorted(declared.files))
    _add_sources(((item.file, item.data, item.prefix) for item in declared.sources), sources, broken, problems)
    monitors.extend((m.file, m.data, m.prefix) for m in declared.monitors)
    problems.extend(resolve_sources(sources, manifest))


def _load_monitor(
    file: str,
    node: YamlMap,
    prefix: tuple[Any, ...],
    project: Project,
    problems: list[ConfigProblem],
    broken: AbstractSet[str] = frozenset(),
) -> MonitorSpec | None:
    type_name = node.get("type")
    kinds = registry.kinds()
    if type_name is None:
        problems.append(
            ConfigProblem(
                Location(file, node.line),
                format_key(prefix),
                "missing required key `type`",
                f"one of: {', '.join(kinds)}",
            )
        )
        return None
    kind = kinds.get(str(type_name))
    if kind is None:
        hint = suggest(str(type_name), kinds)
        problems.append(
            ConfigProblem(
                Location(file, node.key_lines["type"]),
                format_key((*prefix, "type")),
                f"unknown monitor type `{type_name}`",
                (hint + " " if hint else "") + f"known types: {', '.join(kinds)}",
            )
        )
        return None
    monitor = _validate(monitor_model(kind.type), node, file, node, prefix, problems)
    if monitor is None:
        return None
    found = monitor_references(monitor, kind, prefix, project, broken)
    problems += found
    return monitor if not found and monitor.source in project.sources else None
