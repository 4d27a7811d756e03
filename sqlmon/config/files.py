"""Walking a project's monitor files: every `*.yml` under `monitor_paths`, each a mapping of `sources:` and
`monitors:` lists, with the problems of their shape. Validating what they declare is the loader's."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlmon.config.errors_pydantic import suggest
from sqlmon.config.yaml_loader import YamlMap, YamlSeq, format_key, line_of, load_yaml_file
from sqlmon.errors import ConfigError, ConfigProblem, Location

PROJECT_FILE = "sqlmon.yml"
MONITOR_FILE_KEYS = ("sources", "monitors")


@dataclass(frozen=True)
class Item:
    """One `- name: …` entry of a monitor file, not validated yet."""

    file: str  # as messages name it, relative to the project
    node: YamlMap
    prefix: tuple[Any, ...]  # its key path, e.g. ("monitors", 2)


@dataclass
class Declared:
    sources: list[Item] = field(default_factory=list)
    monitors: list[Item] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)


def display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root))
    except ValueError:
        return str(path)


def read_monitor_files(
    root: Path, monitor_paths: list[str], project_doc: Any, problems: list[ConfigProblem]
) -> Declared:
    """The entries of every monitor file under the project's `monitor_paths`, in file order."""
    declared = Declared()
    for folder_name in monitor_paths:
        folder = root / folder_name
        if not folder.exists():
            problems.append(
                ConfigProblem(
                    Location(PROJECT_FILE, line_of(project_doc, ("monitor_paths",))),
                    "monitor_paths",
                    f"folder `{folder_name}` does not exist",
                    "create it or fix the path",
                )
            )
            continue
        paths = sorted([*folder.rglob("*.yml"), *folder.rglob("*.yaml")]) if folder.is_dir() else [folder]
        for path in paths:
            declared.files.append(path)
            _read_file(path, display(path, root), declared, problems)
    return declared


def _read_file(path: Path, name: str, declared: Declared, problems: list[ConfigProblem]) -> None:
    try:
        doc = load_yaml_file(path, name)
    except ConfigError as exc:
        problems.extend(exc.problems)
        return
    if doc is None:
        return
    if not isinstance(doc, YamlMap):
        problems.append(
            ConfigProblem(Location(name, 1), "", "a monitor file is a mapping with `sources:` and/or `monitors:`")
        )
        return
    for key in doc:
        if key not in MONITOR_FILE_KEYS:
            problems.append(
                ConfigProblem(
                    Location(name, doc.key_lines[key]),
                    key,
                    f"unknown key `{key}`",
                    suggest(key, MONITOR_FILE_KEYS) or "a monitor file holds `sources:` and `monitors:`",
                )
            )
    for section in MONITOR_FILE_KEYS:
        items = doc.get(section)
        if items is None:
            continue
        if not isinstance(items, YamlSeq):
            problems.append(
                ConfigProblem(
                    Location(name, doc.key_lines[section]), section, "expected a list (items start with `- `)"
                )
            )
            continue
        for index, item in enumerate(items):
            if not isinstance(item, YamlMap):
                problems.append(
                    ConfigProblem(
                        Location(name, items.item_lines[index]),
                        format_key((section, index)),
                        "expected a mapping of keys to values (`- name: ...`)",
                    )
                )
                continue
            getattr(declared, section).append(Item(name, item, (section, index)))
