"""Turns pydantic's validation errors into ConfigProblems that name the file, line and key, with a suggested fix."""

from __future__ import annotations

import difflib
import re
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from sqlmon.config.specs import IDENTIFIER_PATTERN
from sqlmon.config.yaml_loader import YamlMap, YamlSeq, format_key, line_of
from sqlmon.errors import ConfigProblem, Location


def suggest(word: str, choices: typing.Iterable[str]) -> str | None:
    """`did you mean …?` for a near miss, else None."""
    matches = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"did you mean `{matches[0]}`?" if matches else None


def _unwrap(annotation: Any) -> Any:
    """The model class inside Optional[...], list[...], dict[..., ...] — enough to find the keys a level allows."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            inner = _unwrap(arg)
            if isinstance(inner, type) and issubclass(inner, BaseModel):
                return inner
        return None
    if origin in (list, tuple, set):
        args = typing.get_args(annotation)
        return _unwrap(args[0]) if args else None
    if origin is dict:
        args = typing.get_args(annotation)
        return _unwrap(args[1]) if len(args) == 2 else None
    return annotation


def allowed_keys(model: type[BaseModel], path: tuple[Any, ...]) -> list[str]:
    current: Any = model
    for step in path:
        if isinstance(current, type) and issubclass(current, BaseModel):
            if isinstance(step, str) and step in current.model_fields:
                current = _unwrap(current.model_fields[step].annotation)
            # list indexes and dict keys keep the item type already unwrapped
        else:
            return []
    if isinstance(current, type) and issubclass(current, BaseModel):
        fields = current.model_fields.items()
        return [field.alias or name for name, field in fields if not name.startswith("_")]
    return []


def _data_path(node: Any, loc: tuple[Any, ...], missing: bool) -> tuple[Any, ...]:
    """Keep the steps of pydantic's `loc` that exist in the data; drop union-branch tags it inserts."""
    path: list[Any] = []
    for index, step in enumerate(loc):
        in_map = isinstance(node, YamlMap) and isinstance(step, str) and step in node
        in_seq = isinstance(node, YamlSeq | list) and isinstance(step, int) and 0 <= step < len(node)
        if in_map or in_seq:
            node = node[step]
            path.append(step)
        elif missing and index == len(loc) - 1:
            path.append(step)
    return tuple(path)


def _secret_bearing(path: tuple[Any, ...]) -> bool:
    """Whether a key lies under a connection (`connection:`, or a target's), where values may be secrets."""
    return "connection" in path or path[:1] == ("targets",)


def _tags(expected: str) -> list[str]:
    """pydantic lists a union's tags as "'a', 'b'"."""
    return [tag.strip().strip("'") for tag in expected.split(",")]


def problems_from_validation(
    exc: ValidationError, file: str, node: Any, model: type[BaseModel], prefix: tuple[Any, ...] = ()
) -> list[ConfigProblem]:
    """One problem per offending key. `node` is the YAML node the model was validated from; `prefix` its path."""
    problems: dict[tuple[Any, ...], ConfigProblem] = {}
    for error in exc.errors():
        kind = error["type"]
        path = _data_path(node, tuple(error["loc"]), missing=kind == "missing")
        if kind == "union_tag_invalid":  # point at the `type:` key itself, not its mapping
            discriminator = error["ctx"]["discriminator"].strip("'")
            path = (*path, discriminator if discriminator.isidentifier() else "type")
        key = format_key(prefix + path)
        location = Location(file, line_of(node, path))
        hint = None
        if kind == "extra_forbidden":
            name = str(path[-1]) if path else "?"
            allowed = allowed_keys(model, path[:-1])
            message = f"unknown key `{name}`"
            hint = suggest(name, allowed) or (f"allowed keys: {', '.join(allowed)}" if allowed else None)
        elif kind == "union_tag_invalid":
            message = f"unknown type `{error['ctx']['tag']}`"
            hint = suggest(str(error["ctx"]["tag"]), _tags(error["ctx"]["expected_tags"]))
            hint = (hint + " " if hint else "") + f"known: {', '.join(_tags(error['ctx']['expected_tags']))}"
        elif kind == "missing":
            message = f"missing required key `{path[-1] if path else '?'}`"
            hint = "add it"
        elif kind == "string_pattern_mismatch" and error.get("ctx", {}).get("pattern") == IDENTIFIER_PATTERN:
            value = str(error.get("input"))
            message = f"`{value}` is not a valid name: use letters, digits and `_`, not starting with a digit"
            hint = f"did you mean `{re.sub(r'^(?=[0-9])', '_', re.sub(r'[^A-Za-z0-9_]', '_', value))}`?"
        elif _secret_bearing(prefix + path) and kind in ("model_type", "dict_type", "model_attributes_type"):
            # whatever was written there may hold a password: never echo it, nor a class name
            message = "a connection is a mapping of keys, such as `{type: postgres, host: …, password: ${PG_PASSWORD}}`"
            hint = "or a PostgreSQL URL, `postgresql://user@host:5432/dbname` (docs/engines.md)"
        else:
            message = error["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
            value = error.get("input")
            if _secret_bearing(prefix + path):
                value = None  # whatever was written under a connection is not repeated back
            if kind not in ("value_error",) and isinstance(value, str | int | float | bool) and value is not None:
                message = f"{message} (got `{value}`)"
            elif kind not in ("value_error",) and isinstance(value, list | dict):
                message = f"{message} (got a {'list' if isinstance(value, list) else 'mapping'})"
        if path not in problems:  # pydantic may report one key once per union branch; the first says enough
            problems[path] = ConfigProblem(location, key, message, hint)
    return list(problems.values())
