"""Turn pydantic validation errors into `Problem`s positioned in the YAML source.

Rules: a missing property points at the map that lacks it; an unknown property points at
its key; anything else points at the offending value. Validators that raise
`PydanticCustomError` may pass ``{"property": "cases"}`` (or a dotted path) in the error
context to point at one property of the model instead of the whole map.
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails
from pydantic_core.core_schema import ErrorType

from tercel.errors import Problem
from tercel.model.hints import (
    closest,
    closest_property,
    input_type_hint,
    model_at,
    type_hint,
)
from tercel.model.registry import Category
from tercel.model.yaml_source import Path, PathItem, Position, PositionMap, format_path

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


@dataclass(frozen=True, slots=True)
class _Entry:
    """One error, placed: where it is, what it says, and whether a union member failed."""

    location: Path
    message: str
    position: Position
    hint: str | None = None
    from_union: bool = False
    #: For an unknown property: the known name it is probably a typo of.
    suggestion: str | None = None
    #: For a missing property: its name.
    missing: str | None = None
    #: The value that failed (for hints about its YAML shape).
    given: Any = None


class _Mapper:
    """Places the errors of one validation of `data` (a flow document) in the source."""

    def __init__(self, data: Any, positions: PositionMap, root: type[BaseModel]) -> None:
        self.data = data
        self.positions = positions
        self.root = root

    def entry(self, details: ErrorDetails) -> _Entry:
        path, skipped = data_path(self.data, details["loc"])
        names = [item for item in skipped if isinstance(item, str) and _is_name(item)]
        kind = details["type"]
        if kind in ("missing", "missing_property", "task_missing_type"):
            found = self._missing(details, path, names)
        elif kind == "extra_forbidden":
            found = self._unknown_property(path)
        elif kind == "unknown_type":
            found = self._unknown_type(details, path)
        else:
            found = self._wrong_value(details, path)
        from_union = any(isinstance(item, str) and not _is_name(item) for item in skipped)
        if not from_union and kind in _SHAPES:
            message, hint = _shape_problem(kind, found.location, details["input"])
            found = replace(found, message=message, hint=hint)
        return replace(found, from_union=from_union, given=details.get("input"))

    def _missing(self, details: ErrorDetails, path: Path, names: list[str]) -> _Entry:
        """A missing property points at the map that lacks it."""
        kind = details["type"]
        name = str((details.get("ctx") or {}).get("name", "type"))
        message = _message(details)
        if kind == "missing":
            name = str(names[-1]) if names else "?"
            message = f"missing required property `{name}`"
        elif kind == "task_missing_type":
            message = "missing required property `type`"
        return _Entry((*path, name), message, self.positions.value(path), missing=name)

    def _unknown_property(self, path: Path) -> _Entry:
        """An unknown property points at its key, with the nearest known name."""
        key = str(path[-1]) if path else "?"
        model = model_at(self.root, self.data, path[:-1])
        suggestion = closest_property(model, key)
        hint = f"did you mean `{suggestion}`?" if suggestion else None
        return _Entry(
            path, f"unknown property `{key}`", self.positions.key(path), hint, suggestion=suggestion
        )

    def _unknown_type(self, details: ErrorDetails, path: Path) -> _Entry:
        """An unknown type points at the `type` value, with the nearest registered type."""
        ctx = details.get("ctx") or {}
        type_name = str(ctx.get("type_name", "?"))
        category_name = ctx.get("category", Category.TASK.value)
        noun = ctx.get("noun")
        message = f"unknown {noun} type `{type_name}`" if noun else f"unknown type `{type_name}`"
        if category_name == "input":
            hint = input_type_hint(type_name)
        else:
            category = Category(category_name) if category_name in set(Category) else None
            hint = type_hint(type_name, category)
        location = (*path, "type")
        return _Entry(location, message, self.positions.value(location), hint)

    def _wrong_value(self, details: ErrorDetails, path: Path) -> _Entry:
        """Anything else points at the value (or at the validator's `property`)."""
        kind = details["type"]
        location = (*path, *_context_path(details))
        message = _message(details)
        hint = _choice_hint(details) if kind in ("enum", "literal_error") else None
        if kind == "too_short" and (details.get("ctx") or {}).get("min_length") == 1:
            message = "must not be empty"
        builtin = kind in _BUILTIN_ERRORS and kind not in _SELF_DESCRIBING
        if location and isinstance(location[-1], str) and builtin:
            message = f"`{location[-1]}`: {message}"
        return _Entry(location, message, self.positions.value(location), hint)


#: pydantic error types that mean "a map was expected" or "a list was expected".
_SHAPES = {
    "dict_type": "a map",
    "model_type": "a map",
    "model_attributes_type": "a map",
    "list_type": "a list",
}


def _shape_of(value: Any) -> str:
    if isinstance(value, dict):
        return "a map"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    return "a number" if isinstance(value, int | float) else "a string"


def _shape_problem(kind: str, location: Path, value: Any) -> tuple[str, str | None]:
    """ "`tasks` must be a list, found a map", with how to write it; YAML users think in shapes."""
    name = f"`{location[-1]}`" if location and isinstance(location[-1], str) else "this value"
    expected = _SHAPES[kind]
    hint = None
    if expected == "a list" and isinstance(value, dict):
        hint = "start each item with `- `, e.g. `- id: ...`"
    elif expected == "a map" and isinstance(value, list):
        hint = "write `key: value` lines without a leading `- `"
    return f"{name} must be {expected}, found {_shape_of(value)}", hint


def problems_from_error(
    error: ValidationError,
    data: Any,
    positions: PositionMap,
    *,
    path_name: str,
    root: type[BaseModel],
) -> list[Problem]:
    """One `Problem` per distinct (place, message) of `error`, in source order."""
    mapper = _Mapper(data, positions, root)
    entries = [mapper.entry(details) for details in error.errors(include_url=False)]
    return _merge(_without_typo_echoes(entries), path_name)


def _without_typo_echoes(entries: list[_Entry]) -> list[_Entry]:
    """Drop "missing `message`" when the same map has `mesage`: one typo, one problem."""
    typos = {(*entry.location[:-1], entry.suggestion) for entry in entries if entry.suggestion}
    return [
        entry
        for entry in entries
        if entry.missing is None or (*entry.location[:-1], entry.missing) not in typos
    ]


def _choice_hint(details: ErrorDetails) -> str | None:
    """ "did you mean `QUEUE`?" for a misspelled enum value."""
    expected = str((details.get("ctx") or {}).get("expected", ""))
    choices = re.findall(r"'([^']*)'", expected)
    given = details.get("input")
    match = closest(given, choices) if isinstance(given, str) and choices else None
    if match is None and isinstance(given, str):
        match = next((c for c in choices if c.lower() == given.lower()), None)
    return f"did you mean `{match}`?" if match else None


def _merge(entries: list[_Entry], path_name: str) -> list[Problem]:
    """Drop duplicates; the failed members of one union become one problem ("a or b")."""
    unions: dict[Path, list[_Entry]] = {}
    problems: list[Problem] = []
    seen: set[tuple[Path, str]] = set()
    for entry in entries:
        if entry.from_union:
            unions.setdefault(entry.location, []).append(entry)
        elif (entry.location, entry.message) not in seen:
            seen.add((entry.location, entry.message))
            problems.append(_problem(entry, entry.message, path_name))
    for location, members in unions.items():
        if any(
            len(other) > len(location) and other[: len(location)] == location for other in unions
        ):
            continue  # `commands[1]` failed inside the list: "or a string" is beside the point
        entry = members[0]
        if _colon_made_a_map(entry.given) and entry.hint is None:
            entry = replace(entry, hint=_COLON_HINT)
        problems.append(_problem(entry, _union_message(location, members), path_name))
    return sorted(problems, key=lambda problem: (problem.line, problem.column))


_COLON_HINT = "an unquoted `: ` turns a value into a map: quote the whole value"


def _colon_made_a_map(value: Any) -> bool:
    """`- echo status: done` reads as the map ``{"echo status": "done"}``."""
    return isinstance(value, dict) and len(value) == 1 and isinstance(next(iter(value)), str)


def _union_message(location: Path, members: list[_Entry]) -> str:
    """``runIf`: Input should be a valid string or a valid boolean`, each reason once."""
    prefix = f"`{location[-1]}`: " if location and isinstance(location[-1], str) else ""
    parts: list[str] = []
    for member in members:
        text = member.message.removeprefix(prefix) if prefix else member.message
        if text not in parts:
            parts.append(text)
    lead = "Input should be "
    parts = [parts[0], *(part.removeprefix(lead) for part in parts[1:])]
    if not prefix and location and isinstance(location[-1], int):
        keys = [i for i, item in enumerate(location) if isinstance(item, str)]
        prefix = f"`{format_path(location[keys[-1] :] if keys else location)}`: "
    found = members[0].given
    suffix = f", found {_shape_of(found)}" if isinstance(found, dict | list) else ""
    return prefix + " or ".join(parts) + suffix


#: pydantic's "`limit`: Input should be greater than 0", said the way a flow author reads it.
_INPUT_SHOULD_BE = re.compile(r"^(`[^`]*`): Input should be ")


def _problem(entry: _Entry, message: str, path_name: str) -> Problem:
    return Problem(
        _INPUT_SHOULD_BE.sub(r"\1 must be ", message).replace("a valid dictionary", "a map"),
        path_name,
        entry.position.line,
        entry.position.column,
        entry.hint,
        format_path(entry.location),
    )


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
