"""Canonical condition type names and the legacy names that resolve to them."""

from __future__ import annotations

PREFIX = "io.kestra.plugin.core.condition."
LEGACY_PREFIX = "io.kestra.core.models.conditions.types."


def condition_type(short: str) -> str:
    """``"ExecutionStatus"`` → ``io.kestra.plugin.core.condition.ExecutionStatus``."""
    return PREFIX + short


def legacy_aliases(short: str, *extra: str) -> tuple[str, ...]:
    """The ``<X>Condition`` spellings of condition `short` (old and new packages)."""
    names = [f"{PREFIX}{short}Condition", f"{LEGACY_PREFIX}{short}Condition"]
    for name in extra:
        names += [f"{PREFIX}{name}", f"{LEGACY_PREFIX}{name}"]
    return tuple(names)
