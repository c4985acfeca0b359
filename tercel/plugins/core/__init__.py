"""Kestra's `io.kestra.plugin.core.*` types (and their legacy aliases)."""

from __future__ import annotations

import importlib
import pkgutil

_registered = False


def register() -> None:
    """Import every module of this package so that their `@plugin` decorators run."""
    global _registered  # noqa: PLW0603 - registration is idempotent by design
    if _registered:
        return
    _registered = True
    for module in pkgutil.walk_packages(__path__, prefix=f"{__name__}."):
        importlib.import_module(module.name)
