"""Truthiness of rendered strings, as Kestra decides it (§13.9)."""

from __future__ import annotations

_FALSY = frozenset({"false", "0", "-0", ""})


def is_truthy(rendered: str) -> bool:
    """If / runIf / Fail / LoopUntil: false for ``false``, ``0``, ``-0`` and blank.

    Case-insensitive and surrounding whitespace ignored, like Kestra's ``TruthUtils``.
    """
    return rendered.strip().lower() not in _FALSY


def is_condition_true(rendered: str) -> bool:
    """Expression / ExecutionOutputs conditions: false only for blank or ``false``."""
    text = rendered.strip()
    return bool(text) and text.lower() != "false"
