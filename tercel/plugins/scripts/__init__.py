"""Script tasks (`io.kestra.plugin.scripts.*`) and the Docker task runner."""

from __future__ import annotations

import importlib

_MODULES = ("task_runners", "shell", "python", "node")
_registered = False


def register() -> None:
    """Import the modules whose `@plugin` decorators declare the script types."""
    global _registered  # noqa: PLW0603 - registration is idempotent by design
    if _registered:
        return
    _registered = True
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")
