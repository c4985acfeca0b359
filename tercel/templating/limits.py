"""Resource caps that keep a hostile or careless template from exhausting the machine."""

from __future__ import annotations

from typing import Any

from tercel.errors import TemplateSecurityError

#: Longest string a template operation may build (characters).
MAX_STRING_LENGTH = 10_000_000
#: Longest list or range a template operation may build (items).
MAX_COLLECTION_SIZE = 1_000_000
#: Longest template source accepted (characters).
MAX_TEMPLATE_LENGTH = 1_000_000
#: Longest text `render()` renders again (characters): re-rendering grows text fast.
MAX_NESTED_TEMPLATE_LENGTH = 100_000
#: Longest template kept in the compiled-template cache (longer ones compile each time).
MAX_CACHED_TEMPLATE_LENGTH = 20_000
#: Deepest nesting of `render()` inside `render()`.
MAX_RENDER_DEPTH = 10
#: Passes of recursive `render()` before giving up (Kestra: "Too many rendering attempts").
MAX_RENDER_PASSES = 100
#: Largest exponent for `**` with integers.
MAX_EXPONENT = 10_000
#: Deepest expression nesting accepted by the parser.
MAX_NESTING = 100
#: Loop iterations one render (with its nested renders) may run.
MAX_LOOP_STEPS = 5_000_000
#: Wall-clock seconds one render may take (checked while looping).
MAX_RENDER_SECONDS = 10.0
#: Largest integer a template may compute (bits).
MAX_INT_BITS = 100_000


def check_size(size: int, what: str = "value") -> None:
    """Refuse to build a collection of `size` items."""
    if size > MAX_COLLECTION_SIZE:
        raise TemplateSecurityError(
            f"refusing to build a {what} of {size} items (limit {MAX_COLLECTION_SIZE})"
        )


def check_length(length: int, what: str = "string") -> None:
    """Refuse to build a string of `length` characters."""
    if length > MAX_STRING_LENGTH:
        raise TemplateSecurityError(
            f"refusing to build a {what} of {length} characters (limit {MAX_STRING_LENGTH})"
        )


def check_result(value: Any) -> Any:
    """Check the size of a just-built string or list and return it."""
    if isinstance(value, str):
        check_length(len(value))
    elif isinstance(value, (list, tuple)):
        check_size(len(value), "list")
    return value


def check_result_size(left: Any, right: Any) -> None:
    """Refuse ``left + right`` on strings or lists when the result would be too big."""
    try:
        size = len(left) + len(right)
    except TypeError:
        return
    if isinstance(left, str):
        check_length(size)
    else:
        check_size(size, "list")
