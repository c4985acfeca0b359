"""Template filters (Kestra §9.4), one module per family."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tercel.templating.filters import collections, dates, encoding, strings

FILTERS: dict[str, Callable[..., Any]] = {
    **strings.FILTERS,
    **collections.FILTERS,
    **dates.FILTERS,
    **encoding.FILTERS,
}
# Kestra's docs spell it `numberFormat`; Pebble registers `numberformat`.
FILTERS["numberFormat"] = FILTERS["numberformat"]
