"""Turn pydantic validation errors into `Problem`s positioned in the YAML source.

Rules: a missing property points at the map that lacks it; an unknown property points at
its key; anything else points at the offending value. Validators that raise
`PydanticCustomError` may pass ``{"property": "cases"}`` (or a dotted path) in the error
context to point at one property of the model instead of the whole map.
"""

from __future__ import annotations

import re
import typing
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from pydantic_core.core_schema import ErrorType

from tercel.errors import Problem
from tercel.model.hints import closest, input_type_hint, model_at, property_hint, type_hint
from tercel.model.registry import Category
from tercel.model.yaml_source import Path, PathItem, PositionMap, format_path

_PREFIXES = ("Value error, ", "Assertion failed, ")


def data_path(data: Any, loc: tuple[int | str, ...]) -> tuple[Path, list[PathItem]]:
    """Split a pydantic `loc` into the path that exists in `data` and the items that do not.

    Union members (``str``, ``function-wrap[...]``) and missing keys end up in the second list.
    """
    path: list[PathItem] = []
    skipped: list[PathItem] = []
    node = data
    for item in loc:
        if _has(node, item):
            node = _child(node, item)
            path.append(item)
        else:
            skipped.append(item)
    return tuple(path), skipped


def _message(error: ErrorDetails) -> str:
    message = error["msg"]
    for prefix in _PREFIXES:
        if message.startswith(prefix):
            message = message[len(prefix) :]
    return message


def _context_path(error: ErrorDetails) -> Path:
    ctx = error.get("ctx") or {}
    target = ctx.get("property")
    if isinstance(target, (list, tuple)):
        return tuple(item for item in target if isinstance(item, (str, int)))
    if not isinstance(target, str) or not target:
        return ()
    return tuple(int(part) if part.isdigit() else part for part in target.split("."))


def problems_from_error(
    error: ValidationError,
    data: Any,
    positions: PositionMap,
    *,
    path_name: str,
    root: type[BaseModel],
) -> list[Problem]:
    """One `Problem` per distinct (place, message) of `error`, in source order."""
    entries: list[tuple[Path, str, Any, str | None, bool]] = []
    for details in error.errors(include_url=False):
        path, skipped = data_path(data, details["loc"])
        kind = details["type"]
        hint: str | None = None
        names = [item for item in skipped if isinstance(item, str) and _is_name(item)]
        from_union = any(isinstance(item, str) and not _is_name(item) for item in skipped)
        if kind in ("missing", "missing_property", "task_missing_type"):
            ctx = details.get("ctx") or {}
            name = str(ctx.get("name", "type"))
            message = _message(details)
            if kind == "missing":
                name = str(names[-1]) if names else "?"
                message = f"missing required property `{name}`"
            elif kind == "task_missing_type":
                message = "missing required property `type`"
            position = positions.value(path)
            location: Path = (*path, name)
        elif kind == "extra_forbidden":
            key = path[-1] if path else "?"
            message = f"unknown property `{key}`"
            hint = property_hint(model_at(root, data, path[:-1]), str(key))
            position = positions.key(path)
            location = path
        elif kind == "unknown_type":
            ctx = details.get("ctx") or {}
            type_name = str(ctx.get("type_name", "?"))
            category_name = ctx.get("category", Category.TASK.value)
            noun = ctx.get("noun")
            message = (
                f"unknown {noun} type `{type_name}`" if noun else f"unknown type `{type_name}`"
            )
            if category_name == "input":
                hint = input_type_hint(type_name)
            else:
                category = Category(category_name) if category_name in set(Category) else None
                hint = type_hint(type_name, category)
            location = (*path, "type")
            position = positions.value(location)
        else:
            extra = _context_path(details)
            location = (*path, *extra)
            position = positions.value(location)
            message = _message(details)
            if kind == "too_short" and (details.get("ctx") or {}).get("min_length") == 1:
                message = "must not be empty"
            if kind in ("enum", "literal_error"):
                hint = _choice_hint(details)
            builtin = kind in _BUILTIN_ERRORS and kind not in _SELF_DESCRIBING
            if location and isinstance(location[-1], str) and builtin:
                message = f"`{location[-1]}`: {message}"
        entries.append((location, message, position, hint, from_union))
    return _merge(entries, path_name)


def _choice_hint(details: ErrorDetails) -> str | None:
    """ "did you mean `QUEUE`?" for a misspelled enum value."""
    expected = str((details.get("ctx") or {}).get("expected", ""))
    choices = re.findall(r"'([^']*)'", expected)
    given = details.get("input")
    match = closest(given, choices) if isinstance(given, str) and choices else None
    if match is None and isinstance(given, str):
        match = next((c for c in choices if c.lower() == given.lower()), None)
    return f"did you mean `{match}`?" if match else None


def _merge(entries: list[tuple[Path, str, Any, str | None, bool]], path_name: str) -> list[Problem]:
    """Drop duplicates; the failed members of one union become one problem ("a or b")."""
    merged: dict[tuple[Path, bool], list[str]] = {}
    first: dict[tuple[Path, bool], tuple[Any, str | None]] = {}
    problems: list[Problem] = []
    seen: set[tuple[Path, str]] = set()
    for location, message, position, hint, from_union in entries:
        if from_union:
            key = (location, True)
            first.setdefault(key, (position, hint))
            if message not in merged.setdefault(key, []):
                merged[key].append(message)
            continue
        if (location, message) in seen:
            continue
        seen.add((location, message))
        problems.append(
            Problem(message, path_name, position.line, position.column, hint, format_path(location))
        )
    for key, messages in merged.items():
        position, hint = first[key]
        prefix = f"`{key[0][-1]}`: " if key[0] and isinstance(key[0][-1], str) else ""
        parts = [m[len(prefix) :] if prefix and m.startswith(prefix) else m for m in messages]
        # "Input should be a valid string or a valid boolean", not the phrase twice.
        lead = "Input should be "
        parts = [parts[0]] + [p[len(lead) :] if p.startswith(lead) else p for p in parts[1:]]
        problems.append(
            Problem(
                prefix + " or ".join(parts),
                path_name,
                position.line,
                position.column,
                hint,
                format_path(key[0]),
            )
        )
    return sorted(problems, key=lambda problem: (problem.line, problem.column))


#: pydantic's own error types: their messages do not say which property they are about.
_BUILTIN_ERRORS = frozenset(typing.get_args(ErrorType))
#: Error types whose message already names what is wrong.
_SELF_DESCRIBING = frozenset({"value_error", "assertion_error"})


def _is_name(item: str) -> bool:
    """A YAML property name, as opposed to a union member label like ``str`` or ``list[int]``."""
    return not any(char in item for char in "[]()") and item not in _UNION_LABELS


_UNION_LABELS = frozenset(
    {"str", "int", "float", "bool", "list", "dict", "none", "bytes", "is-instance", "literal"}
)


def _has(node: Any, item: str | int) -> bool:
    """Whether `item` is a key (of a map) or an index (of a list) present in `node`."""
    if isinstance(node, dict):
        return isinstance(item, str) and item in node
    return isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node)


def _child(node: Any, item: str | int) -> Any:
    return node[item]
