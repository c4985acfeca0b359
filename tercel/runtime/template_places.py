"""Where a failing template sits in its flow: ``tasks[1].message at flow.yml:9:14``.

Run-time template errors name the expression; a user also needs the YAML position to fix
it. Positions are computed only when an error happens (parsing the flow's source again),
so rendering pays nothing for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from tercel.errors import TemplateError

if TYPE_CHECKING:
    from tercel.model.flow import Flow
    from tercel.model.yaml_source import Path

#: `place(task_id, template)` → a label such as ``tasks[1].message at flow.yml:9:14``.
Placer = Callable[[str | None, str], str | None]


class FlowSources:
    """The YAML text of flows that came from files, keyed by (namespace, flow id)."""

    def __init__(self) -> None:
        self._sources: dict[tuple[str, str], tuple[str, str]] = {}

    def add(self, flow: Flow, path: str, source: str) -> None:
        """Remember that `flow` was loaded from `source` (the text of file `path`)."""
        self._sources[(flow.namespace, flow.id)] = (path, source)

    def place(self, flow: Flow, task_id: str | None, template: str) -> str | None:
        """Where `template` is written (in task `task_id` when given), or None if unknown."""
        known = self._sources.get((flow.namespace, flow.id))
        if known is not None:
            found = _place_in_source(flow, known[0], known[1], task_id, template)
            if found is not None:
                return found
        # No source (a flow from the API or the store): the dotted path still helps.
        data = flow.model_dump(by_alias=True, exclude_none=True, mode="json")
        path = _find(data, task_id, template)
        return None if path is None else format_location(path)

    def task_place(self, flow: Flow, task_id: str) -> str | None:
        """Where task `task_id` is declared (``tasks[0] at flow.yml:5:5``), None if unknown."""
        from tercel.model.yaml_source import parse_documents

        known = self._sources.get((flow.namespace, flow.id))
        if known is not None:
            for document in parse_documents(known[1], known[0]):
                data = document.data
                if not isinstance(data, dict) or data.get("id") != flow.id:
                    continue
                for path, node in _tasks(data, ()):
                    if node.get("id") == task_id:
                        position = document.positions.value(path)
                        location = format_location(path)
                        return f"{location} at {known[0]}:{position.line}:{position.column}"
        data = flow.model_dump(by_alias=True, exclude_none=True, mode="json")
        return next(
            (format_location(path) for path, node in _tasks(data, ()) if node.get("id") == task_id),
            None,
        )

    def placer(self, flow: Flow) -> Placer:
        """`place` bound to `flow`."""
        return lambda task_id, template: self.place(flow, task_id, template)


def _place_in_source(
    flow: Flow, file: str, source: str, task_id: str | None, template: str
) -> str | None:
    from tercel.model.yaml_source import parse_documents

    for document in parse_documents(source, file):
        data = document.data
        if not isinstance(data, dict) or data.get("id") != flow.id:
            continue
        path = _find(data, task_id, template)
        if path is None:
            return None
        position = document.positions.value(path)
        return f"{format_location(path)} at {file}:{position.line}:{position.column}"
    return None


def format_location(path: Path) -> str:
    """``("tasks", 2, "message")`` → ``tasks[2].message``."""
    text = ""
    for item in path:
        if isinstance(item, int):
            text += f"[{item}]"
        else:
            text += f".{item}" if text else str(item)
    return text


def _is_task(node: Any) -> bool:
    return isinstance(node, dict) and isinstance(node.get("id"), str) and "type" in node


def _find(data: Any, task_id: str | None, template: str) -> Path | None:
    """Path of the string holding `template`, inside the task `task_id` when given."""
    if task_id is None:
        return next(_strings(data, (), template, skip_tasks=False), None)
    for path, node in _tasks(data, ()):
        if node.get("id") == task_id:
            found = next(_strings(node, path, template, skip_tasks=True), None)
            if found is not None:
                return found
    return None


def _tasks(node: Any, path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
    if _is_task(node):
        yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _tasks(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _tasks(value, (*path, index))


def _strings(node: Any, path: Path, template: str, *, skip_tasks: bool) -> Iterator[Path]:
    """Paths of strings that contain `template`; nested tasks are not this task's own."""
    if isinstance(node, str):
        if template in node:
            yield path
    elif isinstance(node, dict):
        for key, value in node.items():
            if skip_tasks and path and _is_task(value):
                continue
            yield from _strings(value, (*path, key), template, skip_tasks=skip_tasks)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            if skip_tasks and _is_task(value):
                continue
            yield from _strings(value, (*path, index), template, skip_tasks=skip_tasks)


def failing_template(value: Any, error: TemplateError) -> str | None:
    """The template string of `value` that `error` is about (the first one when unsure)."""
    candidates = list(_templates(value))
    message = str(error)
    for text in candidates:
        if text[:20] in message:
            return text
    return candidates[0] if candidates else None


def _templates(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if "{{" in value or "{%" in value:
            yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _templates(key)
            yield from _templates(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _templates(item)


def with_place(
    error: TemplateError, place: Placer | None, task_id: str | None, value: Any
) -> TemplateError:
    """`error` with the YAML position of its template added, when it can be found."""
    if place is None:
        return error
    template = failing_template(value, error)
    if template is None:
        return error
    try:
        where = place(task_id, template)
    except Exception:  # noqa: BLE001 - locating is a courtesy: never hide the real error
        return error
    if where is None or where in str(error):
        return error
    task = f"task `{task_id}`, " if task_id else ""
    return type(error)(f"{error} ({task}{where})")
