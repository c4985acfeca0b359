"""dbt: `io.kestra.plugin.dbt.cli.DbtCLI` (dbt commands as a script task)."""

from __future__ import annotations

import importlib

_MODULES: tuple[str, ...] = ("cli",)
_registered = False


def register() -> None:
    """Import the modules whose `@plugin` decorators declare this family's types."""
    global _registered  # noqa: PLW0603 - registration is idempotent by design
    if _registered:
        return
    _registered = True
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")
