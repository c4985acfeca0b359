"""Pebble's and Kestra's tests (``x is empty``, ``x is even``...) and ``contains``."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from jinja2 import Undefined


def contains(container: Any, item: Any) -> bool:
    """Pebble's ``contains``: list element, map key, substring; with a list, all of it."""
    if container is None or isinstance(container, Undefined):
        return False
    if isinstance(container, str):
        return str(item) in container if item is not None else False
    if isinstance(container, Mapping):
        return item in container
    if isinstance(container, Iterable):
        elements = list(container)
        if isinstance(item, (list, tuple)):
            return all(element in elements for element in item)
        return item in elements
    return False


def is_empty(value: Any) -> bool:
    """Null, empty string (also blank), empty list or map."""
    if value is None:
        return True
    if isinstance(value, str):
        return value.strip() == ""
    if isinstance(value, (list, tuple, dict, set, frozenset, Mapping)):
        return len(value) == 0
    return False


def is_even(value: Any) -> bool:
    """An even integer."""
    return int(value) % 2 == 0


def is_odd(value: Any) -> bool:
    """An odd integer."""
    return int(value) % 2 == 1


def is_iterable(value: Any) -> bool:
    """A list (strings and maps are not, as in Pebble)."""
    return isinstance(value, (list, tuple, set, frozenset))


def is_map(value: Any) -> bool:
    """A map."""
    return isinstance(value, Mapping)


def is_json(value: Any) -> bool:
    """Kestra's ``json`` test: a string that parses as JSON."""
    if not isinstance(value, str):
        return False
    try:
        json.loads(value)
    except ValueError:
        return False
    return True


def is_null(value: Any) -> bool:
    """Null. Strict like Pebble: testing a missing variable is an error."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return value is None


def is_defined(value: Any) -> bool:
    """Defined and not null (eager form; the parser compiles ``is defined`` lazily)."""
    return value is not None and not isinstance(value, Undefined)


TESTS: dict[str, Callable[..., bool]] = {
    "defined": is_defined,
    "null": is_null,
    "none": is_null,
    "empty": is_empty,
    "even": is_even,
    "odd": is_odd,
    "iterable": is_iterable,
    "map": is_map,
    "json": is_json,
}
