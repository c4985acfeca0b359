"""Flow-wide rules that no single model can check (Kestra's `FlowValidator`).

They run on the raw document (after plugin defaults), so they report problems even when
other parts of the flow do not validate: unique task ids across the whole tree, unique
trigger/input/output ids, input `dependsOn` references and cycles, recursive subflows.
(`workerGroup`, Enterprise-only in Kestra, is accepted: Tercel's workers have groups.)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tercel.errors import Problem
from tercel.model.labels import is_forbidden_system_label
from tercel.model.registry import Category, registry
from tercel.model.yaml_source import Path, PositionMap, format_path

#: Top-level keys that hold tasks (listeners hold `{conditions, tasks}` maps).
TASK_KEYS = ("tasks", "errors", "finally", "afterExecution", "listeners")
#: Keys whose typed maps are never tasks: Kestra's asset declarations repeat ids on purpose
#: (the output of one task is the input of the next).
NOT_TASK_KEYS = frozenset({"assets"})

SUBFLOW_TYPES = frozenset(
    {
        "io.kestra.plugin.core.flow.Subflow",
        "io.kestra.plugin.core.flow.Flow",
        "io.kestra.core.tasks.flows.Subflow",
        "io.kestra.core.tasks.flows.Flow",
    }
)


class _Rules:
    def __init__(self, positions: PositionMap, path_name: str) -> None:
        self.positions = positions
        self.path_name = path_name
        self.problems: list[Problem] = []

    def add(
        self,
        message: str,
        location: Path,
        hint: str | None = None,
        *,
        key: bool = False,
        severity: str = "error",
    ) -> None:
        position = self.positions.key(location) if key else self.positions.value(location)
        self.problems.append(
            Problem(
                message,
                self.path_name,
                position.line,
                position.column,
                hint,
                format_path(location),
                severity,
            )
        )


def _category(type_name: str) -> Category | None:
    found = registry.get(type_name)
    return None if found is None else found.category


def iter_tasks(data: dict[str, Any]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every task map of the flow in document order, with its path (any depth)."""
    # Document order, so that the *second* occurrence in the file is the one reported.
    for key, value in data.items():
        if key in TASK_KEYS:
            yield from _walk_tasks(value, (key,))


def _walk_tasks(node: Any, path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _walk_tasks(item, (*path, index))
        return
    if not isinstance(node, dict):
        return
    type_name = node.get("type")
    if isinstance(type_name, str) and "." in type_name:
        category = _category(type_name)
        if category not in (None, Category.TASK):
            return  # a condition, trigger or task runner: holds no tasks
        yield path, node
    for key, value in node.items():
        if isinstance(value, (dict, list)) and key not in NOT_TASK_KEYS:
            yield from _walk_tasks(value, (*path, key))


def check_rules(data: dict[str, Any], positions: PositionMap, path_name: str) -> list[Problem]:
    """Problems with the flow as a whole; never raises on malformed data."""
    rules = _Rules(positions, path_name)
    tasks = list(iter_tasks(data))
    _unique_task_ids(rules, tasks)
    _unique_ids(rules, data.get("triggers"), "triggers", "Duplicate trigger id with name [{}]")
    _unique_ids(
        rules, data.get("inputs"), "inputs", "Duplicate input with name [{}]", ("id", "name")
    )
    _unique_ids(rules, data.get("outputs"), "outputs", "Duplicate output with name [{}]")
    _input_dependencies(rules, data.get("inputs"))
    _recursive_subflow(rules, data, tasks)
    _system_labels(rules, data.get("labels"))
    _deprecations(rules, data)
    return rules.problems


#: Deprecated top-level keys and what to use instead.
DEPRECATED_KEYS = {
    "taskDefaults": "use `pluginDefaults`",
    "listeners": "use `afterExecution` tasks, or another flow with a Flow trigger",
}


def _deprecations(rules: _Rules, data: dict[str, Any]) -> None:
    """Warnings (not errors): deprecated keys and legacy type names still accepted."""
    for key, advice in DEPRECATED_KEYS.items():
        if key in data:
            rules.add(f"`{key}` is deprecated", (key,), advice, key=True, severity="warning")
    for path, node in _typed_maps(data, ()):
        type_name = node["type"]
        found = registry.get(type_name)
        if found is not None and found.name != type_name:
            rules.add(
                f"`{type_name}` is a deprecated name of `{found.name}`",
                (*path, "type"),
                "use the new name",
                severity="warning",
            )


def _typed_maps(node: Any, path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    if isinstance(node, list):
        for index, item in enumerate(node):
            yield from _typed_maps(item, (*path, index))
    elif isinstance(node, dict):
        if isinstance(node.get("type"), str) and path and path[0] != "variables":
            yield path, node
        for key, value in node.items():
            if isinstance(value, (dict, list)):
                yield from _typed_maps(value, (*path, key))


def _system_labels(rules: _Rules, labels: Any) -> None:
    entries: list[tuple[Any, Path]]
    if isinstance(labels, dict):
        entries = [(key, ("labels", key)) for key in labels]
    elif isinstance(labels, list):
        entries = [
            (item["key"], ("labels", index, "key"))
            for index, item in enumerate(labels)
            if isinstance(item, dict) and isinstance(item.get("key"), str)
        ]
    else:
        return
    for key, location in entries:
        if isinstance(key, str) and is_forbidden_system_label(key):
            rules.add(
                f"System labels can only be set by Tercel itself: `{key}`",
                location,
                "only `system.readOnly` may be set on a flow",
                key=isinstance(labels, dict),
            )


def _unique_task_ids(rules: _Rules, tasks: list[tuple[Path, dict[str, Any]]]) -> None:
    seen: dict[str, Path] = {}
    for path, task in tasks:
        task_id = task.get("id")
        if not isinstance(task_id, str):
            continue
        if task_id in seen:
            first = rules.positions.value((*seen[task_id], "id"))
            rules.add(
                f"Duplicate task id with name [{task_id}]",
                (*path, "id"),
                f"first used at line {first.line}; task ids must be unique in the whole flow",
            )
        else:
            seen[task_id] = path


def _unique_ids(
    rules: _Rules, items: Any, key: str, message: str, id_keys: tuple[str, ...] = ("id",)
) -> None:
    if not isinstance(items, list):
        return
    seen: set[str] = set()
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        id_key = next((k for k in id_keys if isinstance(item.get(k), str)), None)
        if id_key is None:
            continue
        value = item[id_key]
        if value in seen:
            rules.add(message.format(value), (key, index, id_key))
        seen.add(value)


def _input_dependencies(rules: _Rules, inputs: Any) -> None:
    if not isinstance(inputs, list):
        return
    ids: dict[str, int] = {}
    for index, item in enumerate(inputs):
        if isinstance(item, dict):
            input_id = item.get("id", item.get("name"))
            if isinstance(input_id, str):
                ids.setdefault(input_id, index)
    graph: dict[str, list[str]] = {}
    for index, item in enumerate(inputs):
        if not isinstance(item, dict):
            continue
        input_id = item.get("id", item.get("name"))
        depends = item.get("dependsOn")
        names = depends.get("inputs") if isinstance(depends, dict) else None
        if not isinstance(input_id, str) or not isinstance(names, list):
            continue
        graph[input_id] = []
        for position, name in enumerate(names):
            location = ("inputs", index, "dependsOn", "inputs", position)
            if not isinstance(name, str):
                continue
            if name == input_id:
                rules.add(f"input `{input_id}` cannot depend on itself", location)
            elif name not in ids:
                rules.add(f"input `{input_id}` depends on unknown input `{name}`", location)
            else:
                graph[input_id].append(name)
    for cycle in _cycles(graph):
        start = cycle[0]
        rules.add(
            "cycle in input dependencies: " + " -> ".join([*cycle, start]),
            ("inputs", ids[start], "dependsOn"),
        )


def _cycles(graph: dict[str, list[str]]) -> list[list[str]]:
    """One cycle per strongly connected loop, found by depth-first search."""
    state: dict[str, int] = {}
    found: list[list[str]] = []
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for target in graph.get(node, []):
            if state.get(target) == 1:
                found.append(stack[stack.index(target) :])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node)
    return found


def _recursive_subflow(
    rules: _Rules, data: dict[str, Any], tasks: list[tuple[Path, dict[str, Any]]]
) -> None:
    namespace, flow_id = data.get("namespace"), data.get("id")
    for path, task in tasks:
        type_name = task.get("type")
        found = registry.get(type_name) if isinstance(type_name, str) else None
        canonical = found.name if found is not None else type_name
        if canonical not in SUBFLOW_TYPES and type_name not in SUBFLOW_TYPES:
            continue
        if task.get("namespace") == namespace and task.get("flowId") == flow_id:
            rules.add(
                f"Recursive call to flow [{namespace}.{flow_id}]",
                (*path, "flowId"),
                "a Subflow task cannot start the flow it belongs to",
            )
