"""Java-like methods reachable on plain values (``name.toUpperCase()``, ``list.size()``).

Pebble lets templates call public Java methods; flows sometimes do. This table offers the
common ones, implemented here, instead of exposing any Python method.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

METHODS: dict[type, dict[str, Callable[..., Any]]] = {}
