"""Namespace inheritance: `data.sources` sees the variables and plugin defaults of `data`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tercel.store.records import NamespaceRecord


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """`base` with `override` merged in, maps merged key by key (override wins)."""
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def merge_hierarchy(
    tenant: str, namespace: str, chain: Sequence[NamespaceRecord | None]
) -> NamespaceRecord:
    """Merge stored records, root first, into the effective record of `namespace`.

    Variables are deep-merged (a child's key wins); plugin defaults are listed child first,
    so that a lookup taking the first match uses the nearest namespace's default.
    """
    variables: dict[str, Any] = {}
    defaults: list[dict[str, Any]] = []
    description: str | None = None
    updated = None
    for record in chain:
        if record is None:
            continue
        variables = deep_merge(variables, record.variables)
        defaults = list(record.plugin_defaults) + defaults
        if record.id == namespace:
            description = record.description
            updated = record.updated
    return NamespaceRecord(tenant, namespace, description, variables, defaults, updated)
