"""`pluginDefaults` (Kestra §1.3): default property values injected before validation.

Every map with a `type` key under `tasks`, `errors`, `finally`, `afterExecution`,
`listeners` and `triggers` (at any depth: nested tasks, conditions, task runners) gets the
values of each default whose `type` equals its type or is a prefix of it. Non-forced
defaults fill what the plugin does not set (deep merge, the plugin wins); forced defaults
override it. Among several matching defaults the first declared wins, so flow-level
defaults beat namespace-level ones passed after them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tercel.model.registry import registry
from tercel.model.yaml_source import Path, PositionMap

#: Top-level flow keys whose content receives plugin defaults.
DEFAULTED_KEYS = ("tasks", "errors", "finally", "afterExecution", "listeners", "triggers")


@dataclass(frozen=True, slots=True)
class PluginDefaultEntry:
    """One default: `values` for every plugin whose type starts with `type`.

    `origin` is where its `values` map sits in the flow document (for error positions);
    None for defaults that come from elsewhere (namespace or server configuration).
    """

    type: str
    values: Mapping[str, Any]
    forced: bool = False
    origin: Path | None = None


def plugin_default_entries(items: Any, origin: Path | None = None) -> list[PluginDefaultEntry]:
    """Entries from a `pluginDefaults`-shaped list (e.g. a namespace's); malformed items skipped.

    `origin` is where the list sits in its document, to position errors in defaults.
    """
    entries: list[PluginDefaultEntry] = []
    if not isinstance(items, list):
        return entries
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        type_name, values = item.get("type"), item.get("values", {})
        if not isinstance(type_name, str) or not isinstance(values, dict):
            continue
        where = None if origin is None else (*origin, index, "values")
        entries.append(PluginDefaultEntry(type_name, values, item.get("forced") is True, where))
    return entries


def flow_defaults(data: Mapping[str, Any]) -> list[PluginDefaultEntry]:
    """The well-formed entries of a flow's `pluginDefaults` (and deprecated `taskDefaults`)."""
    return [
        entry
        for key in ("pluginDefaults", "taskDefaults")
        for entry in plugin_default_entries(data.get(key), (key,))
    ]


def matches(default_type: str, plugin_type: str) -> bool:
    """Kestra's rule: equal, or the default's type is a prefix of the plugin's type."""
    return plugin_type == default_type or plugin_type.startswith(default_type)


def apply_plugin_defaults(
    data: dict[str, Any],
    extra: Sequence[PluginDefaultEntry] = (),
    *,
    positions: PositionMap | None = None,
) -> dict[str, Any]:
    """Return a copy of flow `data` with the flow's own defaults, then `extra`, applied.

    When `positions` is given, injected values are redirected to where the default was
    written, so that an error in a default points into `pluginDefaults`. Properties of
    plugins set to ``null`` are dropped (Kestra treats them as not set).
    """
    entries = [*flow_defaults(data), *extra]
    result = dict(data)
    for key in DEFAULTED_KEYS:
        if key in result:
            result[key] = _walk(result[key], (key,), entries, positions)
    return result


def _names(type_name: str) -> tuple[str, ...]:
    found = registry.get(type_name)
    return (type_name,) if found is None else (type_name, found.name)


def _walk(
    node: Any, path: Path, entries: Sequence[PluginDefaultEntry], positions: PositionMap | None
) -> Any:
    if isinstance(node, list):
        return [_walk(item, (*path, index), entries, positions) for index, item in enumerate(node)]
    if not isinstance(node, dict):
        return node
    type_name = node.get("type")
    typed = isinstance(type_name, str)
    # Kestra (Jackson) reads `key: null` on a plugin as "not set": drop it so defaults apply.
    current: dict[str, Any] = {
        key: _walk(value, (*path, key), entries, positions)
        for key, value in node.items()
        if not (typed and value is None)
    }
    if not isinstance(type_name, str) or not entries:
        return current
    names = _names(type_name)
    matching = [entry for entry in entries if any(matches(entry.type, n) for n in names)]
    # First declared wins. The plugin's own values beat non-forced defaults, so those are
    # merged in order (what is set stays); forced ones beat everything, so in reverse.
    for entry in [e for e in matching if not e.forced]:
        current = _merge(dict(entry.values), current, path, entry.origin, positions, False)
    for entry in reversed([e for e in matching if e.forced]):
        current = _merge(current, dict(entry.values), path, entry.origin, positions, True)
    return current


def _merge(  # noqa: PLR0917 - private recursive helper
    base: dict[str, Any],
    winner: dict[str, Any],
    path: Path,
    origin: Path | None,
    positions: PositionMap | None,
    winner_is_default: bool,
) -> dict[str, Any]:
    """Deep-merge `winner` over `base`; record where values taken from a default came from."""
    merged = dict(base)
    for key, value in winner.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(
                merged[key],
                value,
                (*path, key),
                None if origin is None else (*origin, key),
                positions,
                winner_is_default,
            )
        else:
            merged[key] = value
            if winner_is_default:
                _redirect(positions, (*path, key), origin, key)
    if not winner_is_default:
        for key in base.keys() - winner.keys():
            _redirect(positions, (*path, key), origin, key)
    return merged


def _redirect(positions: PositionMap | None, target: Path, origin: Path | None, key: str) -> None:
    if positions is not None and origin is not None:
        positions.redirects[target] = (*origin, key)
