"""Java-like methods reachable on plain values (``name.toUpperCase()``, ``list.size()``).

Pebble lets templates call public Java methods and some flows do. This table offers the
common ones, implemented here, instead of exposing any Python method or attribute.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tercel.errors import TemplateError
from tercel.templating import limits, patterns
from tercel.templating.output import to_text


def _substring(text: str, begin: int, end: int | None = None) -> str:
    stop = len(text) if end is None else end
    if begin < 0 or stop > len(text) or begin > stop:
        raise TemplateError(f"begin {begin}, end {stop}, length {len(text)}")
    return text[begin:stop]


def _java_split(text: str, regex: str, limit: int = 0) -> list[str]:
    from tercel.templating.filters.strings import split

    return split(text, regex, limit) or []


def _repeat(text: str, count: int) -> str:
    limits.check_length(len(text) * max(count, 0))
    return text * count


def _replace(text: str, old: Any, new: Any) -> str:
    return patterns.bounded_replace(text, to_text(old), to_text(new))


def _replace_all(text: str, regex: str, replacement: str) -> str:
    return patterns.substitute(regex, replacement, text)


STRING_METHODS: dict[str, Callable[..., Any]] = {
    "length": len,
    "isEmpty": lambda text: text == "",
    "isBlank": lambda text: text.strip() == "",
    "toUpperCase": str.upper,
    "toLowerCase": str.lower,
    "trim": str.strip,
    "strip": str.strip,
    "contains": lambda text, part: to_text(part) in text,
    "startsWith": lambda text, part: text.startswith(to_text(part)),
    "endsWith": lambda text, part: text.endswith(to_text(part)),
    "equals": lambda text, other: text == other,
    "equalsIgnoreCase": lambda text, other: (
        isinstance(other, str) and text.lower() == other.lower()
    ),
    "indexOf": lambda text, part: text.find(to_text(part)),
    "lastIndexOf": lambda text, part: text.rfind(to_text(part)),
    "substring": _substring,
    "charAt": lambda text, index: text[index],
    "split": _java_split,
    "replace": _replace,
    "replaceAll": _replace_all,
    "matches": lambda text, regex: patterns.full_match(regex, text),
    "repeat": _repeat,
    "concat": lambda text, other: text + to_text(other),
    "toString": lambda text: text,
}

LIST_METHODS: dict[str, Callable[..., Any]] = {
    "size": len,
    "isEmpty": lambda items: len(items) == 0,
    "contains": lambda items, item: item in items,
    "get": lambda items, index: items[index],
    "indexOf": lambda items, item: items.index(item) if item in items else -1,
}

METHODS: dict[type, dict[str, Callable[..., Any]]] = {
    str: STRING_METHODS,
    list: LIST_METHODS,
    tuple: LIST_METHODS,
    bool: {"toString": to_text},
    int: {"toString": to_text},
    float: {"toString": to_text},
}
