"""HTTP tasks: `core.http.Request`, `Download` and `SseRequest` (and legacy `fs.http` names)."""

from __future__ import annotations

import importlib

_MODULES = ("request", "download", "sse_request")
_registered = False


def register() -> None:
    """Import the modules whose `@plugin` decorators declare the HTTP task types."""
    global _registered  # noqa: PLW0603 - registration is idempotent by design
    if _registered:
        return
    _registered = True
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")
