"""Git: `Clone`, `SyncFlows`, `SyncNamespaceFiles`, `PushFlows`, `PushNamespaceFiles` (the git
command line; sync and push through the flows-as-code service)."""

from __future__ import annotations

import importlib

_MODULES: tuple[str, ...] = ("clone", "sync", "push")
_registered = False


def register() -> None:
    """Import the modules whose `@plugin` decorators declare this family's types."""
    global _registered  # noqa: PLW0603 - registration is idempotent by design
    if _registered:
        return
    _registered = True
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")
