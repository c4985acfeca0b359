"""Filters on lists and maps: first, last, length, join, keys, values, sort, slice..."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from tercel.errors import TemplateError
from tercel.templating import limits
from tercel.templating.output import to_json, to_text
from tercel.templating.predicates import is_empty


def _list(value: Any, filter_name: str) -> list[Any]:
    if isinstance(value, (list, tuple)):
        return list(value)
    raise TemplateError(
        f"'{filter_name}' filter can only be applied to List. Actual type was: "
        f"{type(value).__name__}"
    )


def first(value: Any) -> Any:
    """First element of a list, first character of a string."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            raise TemplateError("the 'first' filter cannot take the first character of ''")
        return value[0]
    if isinstance(value, Mapping):
        return next(iter(value.items()), None)
    return next(iter(value), None)


def last(value: Any) -> Any:
    """Last element of a list, last character of a string."""
    if value is None:
        return None
    if isinstance(value, str):
        if not value:
            raise TemplateError("the 'last' filter cannot take the last character of ''")
        return value[-1]
    items = list(value.items()) if isinstance(value, Mapping) else list(value)
    return items[-1] if items else None


def length(value: Any) -> int:
    """Size of a string, list or map; 0 for null and other values."""
    if value is None:
        return 0
    if isinstance(value, (str, list, tuple, dict, set, frozenset, Mapping)):
        return len(value)
    return 0


def join(value: Any, separator: str | None = None) -> str | None:
    """Elements printed and joined with `separator`."""
    if value is None:
        return None
    if isinstance(value, (str, Mapping)) or not isinstance(value, Iterable):
        raise TemplateError(
            "The 'join' filter expects that the input is either a collection or an array."
        )
    parts = [to_text(item) if item is not None else "null" for item in value]
    glue = separator or ""
    limits.check_length(sum(map(len, parts)) + len(glue) * max(len(parts) - 1, 0))
    return glue.join(parts)


def keys(value: Any) -> list[Any] | None:
    """Keys of a map, indexes of a list."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return list(value.keys())
    if isinstance(value, (list, tuple)):
        return list(range(len(value)))
    raise TemplateError(
        "'keys' filter can only be applied to List, Map, Array. Actual type was: "
        f"{type(value).__name__}"
    )


def values(value: Any) -> list[Any] | None:
    """Values of a map."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return list(value.values())
    raise TemplateError(
        f"'values' filter can only be applied to Map. Actual type was: {type(value).__name__}"
    )


def flatten(value: Any) -> list[Any] | None:
    """One level of nested lists flattened."""
    if value is None:
        return None
    if not isinstance(value, (list, tuple)):
        raise TemplateError("The 'flatten' filter can only be applied to lists.")
    result: list[Any] = []
    for item in value:
        if isinstance(item, (list, tuple)):
            result.extend(item)
        else:
            result.append(item)
    return result


def chunk(value: Any, size: int | None = None) -> list[list[Any]] | None:
    """Consecutive sub-lists of `size` elements (the last may be shorter)."""
    if value is None:
        return None
    if size is None:
        raise TemplateError("'chunk' filter expects an argument 'size'.")
    items = _list(value, "chunk")
    if size <= 0:
        raise TemplateError("'chunk' filter expects a size greater than 0")
    return [items[index : index + size] for index in range(0, len(items), size)]


def merge(value: Any, items: Any = None) -> Any:
    """Maps merged (right wins), lists concatenated."""
    if value is None:
        if items is None:
            raise TemplateError("The two arguments to be merged are null")
        return items
    if items is None:
        return value
    if isinstance(value, Mapping):
        if isinstance(items, Mapping):
            return {**value, **items}
        if isinstance(items, (list, tuple)):
            return {**value, **{item: item for item in items}}
        raise TemplateError("Currently, only Maps and Lists can be merged with a Map.")
    if isinstance(value, (list, tuple)):
        if isinstance(items, Mapping):
            limits.check_size(len(value) + len(items), "list")
            return [*value, *items.items()]
        if isinstance(items, (list, tuple)):
            limits.check_size(len(value) + len(items), "list")
            return [*value, *items]
        raise TemplateError("Currently, only Maps and Lists can be merged with a List.")
    raise TemplateError("The object being filtered is not a Map/List/Array")


def reverse(value: Any) -> Any:
    """Elements in reverse order (a string reversed, too)."""
    if value is None:
        return None
    if isinstance(value, str):
        return value[::-1]
    return list(reversed(_list(value, "reverse")))


def _compare(left: Any, right: Any) -> int:
    try:
        return -1 if left < right else 1 if left > right else 0
    except TypeError:
        raise TemplateError(
            f"cannot compare {type(left).__name__} with {type(right).__name__} to sort"
        ) from None


def sort(value: Any) -> list[Any] | None:
    """Elements in ascending order."""
    if value is None:
        return None
    return sorted(_list(value, "sort"), key=functools.cmp_to_key(_compare))


def rsort(value: Any) -> list[Any] | None:
    """Elements in descending order."""
    if value is None:
        return None
    return sorted(_list(value, "rsort"), key=functools.cmp_to_key(_compare), reverse=True)


def slice_(value: Any, fromIndex: int | None = None, toIndex: int | None = None) -> Any:  # noqa: N803
    """Pebble's ``slice(from, to)``: the sub-list or substring ``[from, to)``."""
    if value is None:
        return None
    start = 0 if fromIndex is None else fromIndex
    if not isinstance(start, int) or start < 0:
        raise TemplateError("fromIndex must be a number greater than or equal to 0")
    if not isinstance(value, (str, list, tuple)):
        raise TemplateError(
            "Slice filter can only be applied to String, List and array inputs. "
            f"Actual type was: {type(value).__name__}"
        )
    size = len(value)
    end = size if toIndex is None else toIndex
    if toIndex is not None:
        if end > size:
            raise TemplateError(f"toIndex must be smaller than input size: {size}")
        if start >= end:
            raise TemplateError("toIndex must be greater than fromIndex")
    result = value[start:end]
    return list(result) if isinstance(result, tuple) else result


def distinct(value: Any) -> list[Any] | None:
    """Elements without repeats, in first-seen order."""
    if value is None:
        return None
    result: list[Any] = []
    seen: set[str] = set()
    for item in _list(value, "distinct"):
        key = to_json(item)  # works for maps and lists too, in linear time
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


def default(value: Any, default: Any = None) -> Any:
    """`default` when the value is null, undefined, blank or an empty list/map."""
    return default if is_empty(value) else value


FILTERS: dict[str, Callable[..., Any]] = {
    "first": first,
    "last": last,
    "length": length,
    "join": join,
    "keys": keys,
    "values": values,
    "flatten": flatten,
    "chunk": chunk,
    "merge": merge,
    "reverse": reverse,
    "sort": sort,
    "rsort": rsort,
    "slice": slice_,
    "distinct": distinct,
    "default": default,
}
