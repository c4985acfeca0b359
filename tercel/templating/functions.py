"""Template functions (Kestra §9.3): ``render``, ``secret``, ``kv``, ``now``, ``range``..."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tercel.errors import TemplateError
from tercel.templating import limits


def pebble_range(start: Any, end: Any, step: Any = 1) -> list[int]:
    """Pebble's inclusive range: ``range(1, 3)`` and ``1..3`` give ``[1, 2, 3]``."""
    try:
        first, last, increment = int(start), int(end), int(step)
    except (TypeError, ValueError) as error:
        raise TemplateError(f"range bounds must be integers: {error}") from None
    if increment == 0:
        raise TemplateError("range step must not be 0")
    size = max(0, (last - first) // increment + 1)
    limits.check_size(size, "range")
    return list(range(first, last + (1 if increment > 0 else -1), increment))


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "range": pebble_range,
}
