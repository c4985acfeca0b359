"""The typed flow model: YAML with positions, the type registry, validation and JSON Schema."""

from __future__ import annotations
