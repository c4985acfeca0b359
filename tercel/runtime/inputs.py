"""Execution inputs: the model's typing and validation, plus FILE uploads to storage."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tercel.errors import InputError

if TYPE_CHECKING:
    from tercel.model.flow import Flow
    from tercel.plugins.context import InternalStorage


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

    FILE values are uploaded first (a local path when `local_files`, bytes, or an existing
    ``kestra:///`` URI), so that the model's typing sees URIs.
    """
    values = dict(raw)
    for declared in flow.inputs:
        input_id = getattr(declared, "id", None)
        if getattr(declared, "type", None) != "FILE" or input_id not in values:
            continue
        value = values[input_id]
        if value is None or (
            isinstance(value, str) and not local_files and value.startswith("kestra://")
        ):
            continue
        if local_files or isinstance(value, bytes):
            values[input_id] = _upload(flow, execution_id, input_id, value, storage)
    from tercel.model.input_values import resolve_inputs

    return dict(resolve_inputs(flow, values))
