"""YAML that remembers where each value came from, so every configuration error can name its file and line."""

from __future__ import annotations

import re
from collections.abc import Generator
from pathlib import Path
from typing import Any

import yaml

from sqlmon.errors import ConfigError, ConfigProblem, Location


class YamlMap(dict[str, Any]):
    """A mapping that knows the line of itself and of each of its keys."""

    line: int | None = None
    key_lines: dict[str, int | None]  # None for a key added by sqlmon to a mapping without a line (dbt/meta.py)
    # the line a text value's first line is on: the next line after `key: |` (a block scalar), else the key's
    text_lines: dict[str, int]


class YamlSeq(list[Any]):
    """A sequence that knows the line of itself and of each item."""

    line: int | None = None
    item_lines: list[int]


class _LineLoader(yaml.SafeLoader):
    file_name = "<string>"

    def construct_mapping(  # type: ignore[override]  # keys made str: narrower than SafeLoader's dict[Hashable, Any]
        self, node: yaml.MappingNode, deep: bool = False
    ) -> YamlMap:
        result = YamlMap()
        result.line = node.start_mark.line + 1
        result.key_lines = {}
        result.text_lines = {}
        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str | int | float | bool) and key is not None:
                line = key_node.start_mark.line + 1
                raise ConfigError(ConfigProblem(Location(self.file_name, line), "", "a key must be a plain value"))
            key = str(key) if not isinstance(key, str) else key
            if key in result:
                raise ConfigError(
                    ConfigProblem(
                        Location(self.file_name, key_node.start_mark.line + 1),
                        key,
                        f"duplicate key `{key}` (first given on line {result.key_lines[key]})",
                        "remove one of them",
                    )
                )
            result[key] = self.construct_object(value_node, deep=True)
            result.key_lines[key] = key_node.start_mark.line + 1
            if isinstance(value_node, yaml.ScalarNode):
                block = value_node.style in ("|", ">")
                result.text_lines[key] = value_node.start_mark.line + (2 if block else 1)
        return result

    def construct_yaml_seq(self, node: yaml.SequenceNode) -> Generator[YamlSeq, None, None]:
        result = YamlSeq()
        result.line = node.start_mark.line + 1
        result.item_lines = [item.start_mark.line + 1 for item in node.value]
        yield result
        result.extend(self.construct_object(item, deep=True) for item in node.value)

    def construct_yaml_map(self, node: yaml.MappingNode) -> Generator[YamlMap, None, None]:
        yield self.construct_mapping(node, deep=True)


_LineLoader.add_constructor("tag:yaml.org,2002:map", _LineLoader.construct_yaml_map)
_LineLoader.add_constructor("tag:yaml.org,2002:seq", _LineLoader.construct_yaml_seq)
# YAML 1.1 turns `on`/`off`/`yes`/`no` into booleans and bare dates into date objects; in monitor files those are
# almost always meant as strings (a column called `on`, a window start), so only true/false are booleans here.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in ("tag:yaml.org,2002:timestamp",)]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "yYnNoO":
    _LineLoader.yaml_implicit_resolvers[_first] = [
        (tag, regexp)
        for tag, regexp in _LineLoader.yaml_implicit_resolvers.get(_first, [])
        if tag != "tag:yaml.org,2002:bool"
    ]
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
# YAML 1.1 reads `1e-4` (no dot) as a string; YAML 1.2 and every user read it as a number.
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _FastLineLoader(CParser, _LineLoader):
        """_LineLoader on libyaml's parser, ten times faster on a long file. libyaml words its errors differently
        and refuses a little more (nesting past 1,000 levels), so a document it refuses is read again by
        _LineLoader."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)


# Aliases let a few lines stand for billions of values (`a: &a [x, x]`, `b: &b [*a, *a]`, …); a project never needs
# them to add more than this many values once expanded, and validating that many would take minutes.
MAX_EXPANDED_VALUES = 100_000
# Deeper than this, PyYAML and pydantic recurse past Python's stack; no configuration nests a tenth as deep.
MAX_DEPTH = 100


def _expanded_size(root: yaml.Node, file_name: str) -> None:
    """Refuse a document nested too deeply or that aliases expand past MAX_EXPANDED_VALUES (each node counted once
    per reference, computed once per node, so a bomb is found in time linear in its text)."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, int, bool]] = [(root, 1, False)]
    while stack:
        node, depth, children_done = stack.pop()
        if depth > MAX_DEPTH:
            raise ConfigError(
                ConfigProblem(
                    Location(file_name, node.start_mark.line + 1),
                    "",
                    f"nested more than {MAX_DEPTH} levels deep",
                    "flatten the document: no sqlmon setting nests that deep",
                )
            )
        if id(node) in sizes:
            continue
        children: list[yaml.Node] = []
        if isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        elif isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        if children_done or not children:
            sizes[id(node)] = 1 + sum(sizes[id(child)] for child in children)
            # what aliases add is the expanded size beyond the nodes written out (every node below this one is in
            # `sizes` by now), so a long file without aliases is never refused
            if sizes[id(node)] > MAX_EXPANDED_VALUES + len(sizes):
                raise ConfigError(
                    ConfigProblem(
                        Location(file_name, node.start_mark.line + 1),
                        "",
                        f"expands to more than {MAX_EXPANDED_VALUES:,} values through YAML aliases",
                        "write the values out, or use fewer `*alias` references",
                    )
                )
            continue
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in children if id(child) not in sizes)


def _unprintable(text: str, exc: yaml.reader.ReaderError, file_name: str) -> ConfigProblem:
    """A control character (other than tab and line breaks), which YAML refuses anywhere in a file."""
    before = text[: exc.position]
    line = before.count("\n") + 1
    column = exc.position - (before.rfind("\n") + 1) + 1
    return ConfigProblem(
        Location(file_name, line, column),
        "",
        f"invalid YAML: control character U+{exc.character:04X} in column {column}",
        f'remove it; inside double quotes it can be written as an escape, e.g. "\\u{exc.character:04x}"',
    )


def load_yaml_text(text: str, file_name: str) -> Any:
    """Parse YAML text; syntax errors become a ConfigError at the offending line."""
    if yaml.__with_libyaml__:
        try:
            return _load(_FastLineLoader(text), file_name)
        except (yaml.YAMLError, RecursionError):
            pass  # read again below, for PyYAML's message and line
    return _load_slow(text, file_name)


def _too_deep_line(text: str) -> int | None:
    """The line where the nesting passes MAX_DEPTH, found by PyYAML's scanner, which does not recurse."""
    opening: tuple[type[yaml.Token], ...] = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken)
    opening += (yaml.FlowMappingStartToken, yaml.FlowSequenceStartToken)
    closing = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)
    depth = 0
    try:
        for token in yaml.scan(text):
            if isinstance(token, opening):
                depth += 1
                if depth > MAX_DEPTH:
                    return int(token.start_mark.line) + 1
            elif isinstance(token, closing):
                depth -= 1
    except yaml.YAMLError:
        return None
    return None


def _load(loader: _LineLoader, file_name: str) -> Any:
    loader.file_name = file_name
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        _expanded_size(root, file_name)
        return loader.construct_document(root)
    finally:
        loader.dispose()


def _load_slow(text: str, file_name: str) -> Any:
    """PyYAML's own parser, whose errors name what is wrong and where."""
    try:
        return _load(_LineLoader(text), file_name)
    except RecursionError:
        raise ConfigError(
            ConfigProblem(
                Location(file_name, _too_deep_line(text)),
                "",
                f"nested more than {MAX_DEPTH} levels deep",
                "flatten the document",
            )
        ) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        message = f"invalid YAML: {exc.problem or exc.context}"
        if exc.problem and exc.context and exc.context_mark is not None:
            opened = exc.context_mark.line + 1
            message += f", {exc.context} that starts on line {opened}"
            if line is not None and line > len(text.splitlines()):  # the file ended first: point at what is unclosed
                line = opened
        tab = "'\\t'" in (exc.problem or "")  # PyYAML's words for a tab where a token or indentation should be
        hint = "indent with spaces: YAML does not allow tabs for indentation" if tab else "fix the syntax"
        lines = text.splitlines()
        if not tab and line is not None and 0 < line <= len(lines) and "${" in lines[line - 1]:
            # `{a: ${X}}`: inside a flow mapping or list, YAML reads the braces of ${X} as a nested mapping
            hint = "inside `{…}` or `[…]`, quote a `${VAR}` value: `key: '${VAR}'`, or write the mapping as a block"
        raise ConfigError(ConfigProblem(Location(file_name, line), "", message, hint)) from None
    except yaml.reader.ReaderError as exc:
        raise ConfigError(_unprintable(text, exc, file_name)) from None
    except yaml.YAMLError as exc:
        raise ConfigError(ConfigProblem(Location(file_name), "", f"invalid YAML: {exc}")) from None


def load_yaml_file(path: Path, display_name: str | None = None) -> Any:
    name = display_name or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(ConfigProblem(Location(name), "", f"cannot read file: {exc.strerror}")) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            ConfigProblem(
                Location(name, line),
                "",
                f"not UTF-8: byte 0x{data[exc.start]:02x} in column {column}",
                "save the file as UTF-8",
            )
        ) from None
    return load_yaml_text(text, name)


def format_key(path: tuple[Any, ...]) -> str:
    """`("monitors", 0, "columns", 1)` → `monitors[0].columns[1]`: how a problem names the key it is about."""
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else str(step))
    return text


def text_line_of(node: Any, path: tuple[Any, ...], line: int) -> int | None:
    """The file line of line `line` (1-based) of the text value at `path`, e.g. of a query written as `query: |`."""
    *parents, last = path
    for step in parents:
        node = node.get(step) if isinstance(node, YamlMap) else None
    lines = getattr(node, "text_lines", {})
    return lines[last] + line - 1 if last in lines else None


def line_of(node: Any, path: tuple[Any, ...]) -> int | None:
    """The line of the value at `path` (keys and list indexes) inside a loaded document: the deepest line known."""
    line = getattr(node, "line", None)
    for step in path:
        if isinstance(node, YamlMap) and isinstance(step, str) and step in node:
            line = node.key_lines.get(step, line)
            node = node[step]
        elif isinstance(node, YamlSeq) and isinstance(step, int) and 0 <= step < len(node):
            line = node.item_lines[step]
            node = node[step]
        else:
            break
    return line
