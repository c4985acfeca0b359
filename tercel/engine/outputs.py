"""`outputs.<taskId>` keyed by loop values (Kestra's `Execution.outputs()`, §8.3).

A task run's outputs live at ``outputs[taskId][v1][v2]...`` where the `v`s are the values of
its looping ancestors (outermost first) and its own value; maps are deep-merged. The tree is
updated in place, one task run at a time, so that a large loop stays linear.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def deep_merge(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    """Merge `source` into `target`: nested maps merged, anything else replaced."""
    for key, value in source.items():
        existing = target.get(key)
        if isinstance(existing, dict) and isinstance(value, Mapping):
            deep_merge(existing, value)
        else:
            target[key] = dict(value) if isinstance(value, Mapping) else value


def put_outputs(
    tree: dict[str, Any], task_id: str, path: Sequence[str], outputs: Mapping[str, Any]
) -> None:
    """Merge one task run's outputs into the tree at `task_id` / `path`."""
    if not path:
        node = tree.get(task_id)
        if not isinstance(node, dict):
            node = tree[task_id] = {}
        deep_merge(node, outputs)
        return
    node = tree.get(task_id)
    if not isinstance(node, dict):
        node = tree[task_id] = {}
    for key in path[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    leaf = node.get(path[-1])
    if not isinstance(leaf, dict):
        leaf = node[path[-1]] = {}
    deep_merge(leaf, outputs)
