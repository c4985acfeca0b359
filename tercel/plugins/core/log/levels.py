"""Kestra's log levels (SLF4J's), from the most to the least verbose."""

from __future__ import annotations

from typing import Any

from tercel.plugins.context import TaskContext
from tercel.plugins.core.templating.properties import render_enum

#: Every level, ordered: a minimum level keeps itself and those after it.
LEVELS: tuple[str, ...] = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")


def render_level(ctx: TaskContext, value: Any, name: str = "level") -> str:
    """Render a `level` property; ``WARNING`` is read as Kestra's ``WARN``."""
    if isinstance(value, str) and value.strip().upper() == "WARNING":
        return "WARN"
    return render_enum(ctx, value, name, LEVELS)


def levels_from(minimum: str) -> list[str]:
    """`minimum` and every more severe level."""
    return list(LEVELS[LEVELS.index(minimum) :])
