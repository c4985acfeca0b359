"""Execution inputs: the model's typing and validation, plus FILE uploads to storage."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tercel.errors import InputError

if TYPE_CHECKING:
    from tercel.model.flow import Flow
    from tercel.plugins.context import InternalStorage


def _field(declared: Any, name: str, default: Any) -> Any:
    """A property of an input declaration (a model, or a raw map)."""
    if isinstance(declared, Mapping):
        return declared.get(name, default)
    return getattr(declared, name, default)


def _upload(
    flow: Flow, execution_id: str, input_id: str, value: Any, storage: InternalStorage
) -> str:
    """Store a local file given for a FILE input; its ``kestra:///`` URI."""
    from tercel.storage.uri import input_file, is_internal

    if isinstance(value, str) and is_internal(value):
        return value
    if isinstance(value, bytes):
        uri = input_file(flow.namespace, flow.id, execution_id, input_id, input_id)
        return storage.put(uri, value)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bytes):
        # An upload: (file name, content), e.g. a multipart field of the API.
        name = Path(str(value[0])).name or input_id
        uri = input_file(flow.namespace, flow.id, execution_id, input_id, name)
        return storage.put(uri, value[1])
    path = Path(str(value)).expanduser()
    if not path.is_file():
        raise InputError(f"input `{input_id}`: file `{value}` does not exist")
    uri = input_file(flow.namespace, flow.id, execution_id, input_id, path.name)
    return storage.put(uri, path)


def resolve_execution_inputs(
    flow: Flow,
    raw: Mapping[str, Any],
    *,
    execution_id: str,
    storage: InternalStorage,
    local_files: bool,
) -> dict[str, Any]:
    """Typed inputs of a new execution; InputError naming the input when one is wrong.

    FILE values are uploaded first (a local path when `local_files`, bytes, a
    ``(file name, bytes)`` pair, or an existing ``kestra:///`` URI), so that the model's
    typing sees URIs.
    """
    values = dict(raw)
    for declared in flow.inputs:
        input_id = _field(declared, "id", None)
        if _field(declared, "type", None) != "FILE" or input_id not in values:
            continue
        value = values[input_id]
        if value is None or (
            isinstance(value, str) and not local_files and value.startswith("kestra://")
        ):
            continue
        if local_files or isinstance(value, bytes | tuple):
            values[input_id] = _upload(flow, execution_id, input_id, value, storage)
    try:
        from tercel.model.input_values import resolve_inputs
    except ImportError:  # pragma: no cover - until the model's input typing lands
        return _untyped(flow, values)
    return dict(resolve_inputs(flow, values))


def _untyped(flow: Flow, values: dict[str, Any]) -> dict[str, Any]:
    """Declared inputs with their defaults, values as given (stand-in, see above)."""
    typed: dict[str, Any] = {}
    for declared in flow.inputs:
        input_id = str(_field(declared, "id", ""))
        if input_id in values:
            typed[input_id] = values[input_id]
        elif _field(declared, "defaults", None) is not None:
            typed[input_id] = _field(declared, "defaults", None)
        elif _field(declared, "required", True) and _field(declared, "type", "") != "BOOLEAN":
            raise InputError(f"input `{input_id}` is required")
    return typed
