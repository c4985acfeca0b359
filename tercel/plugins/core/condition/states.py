"""A state name in YAML (``SUCCESS``, ``FAILED``...): see `tercel.model.state_names`."""

from __future__ import annotations

from tercel.model.state_names import STATE_NAMES, StateName

__all__ = ["STATE_NAMES", "StateName"]
