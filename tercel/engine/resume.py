"""`onResume` inputs of a Pause: validated and typed like flow inputs (§4.2, §13.14)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from tercel.engine.plan import Pausing
from tercel.engine.typed import parse_typed
from tercel.errors import InputError
from tercel.model.task import Task


def _field(declaration: Any, name: str, default: Any = None) -> Any:
    if isinstance(declaration, Mapping):
        return declaration.get(name, default)
    return getattr(declaration, name, default)


def resume_outputs(
    task: Task,
    inputs: Mapping[str, Any] | None,
    render: Callable[[str, Mapping[str, Any]], Any] | None = None,
) -> dict[str, Any] | None:
    """`{"onResume": {...}}` for a Pause with `onResume`; InputError when one is invalid.

    Typed and checked by the model's input algorithm (the same as flow inputs), so that
    messages match; raw maps (older declarations) fall back to a minimal typing. `render`
    renders templated `defaults`, conditions and SELECT expressions (in the Pause's context).
    """
    declarations = list(task.on_resume) if isinstance(task, Pausing) else []
    if not declarations:
        return None
    if not any(isinstance(declaration, Mapping) for declaration in declarations):
        from tercel.model.input_values import resolve_inputs

        resolved = resolve_inputs(list(declarations), dict(inputs or {}), render=render)
        return {"onResume": resolved}
    given = dict(inputs or {})
    typed: dict[str, Any] = {}
    for declaration in declarations:
        input_id = str(_field(declaration, "id"))
        input_type = _field(declaration, "type")
        type_name = str(getattr(input_type, "value", input_type))
        value = given.get(input_id, _field(declaration, "defaults"))
        if value is None:
            if _field(declaration, "required", True):
                raise InputError(
                    f"Invalid input for `{input_id}`, missing required input, but received `null`"
                )
            typed[input_id] = None
            continue
        try:
            typed[input_id] = parse_typed(type_name, value)
        except ValueError as error:
            raise InputError(f"Invalid input for `{input_id}`: {error}") from error
    return {"onResume": typed}
