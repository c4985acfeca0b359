"""Execution inputs: the model's typing and validation, with FILE uploads to storage."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tercel.errors import InputError, TemplateError

if TYPE_CHECKING:
    from tercel.model.flow import Flow
    from tercel.storage.api import InternalStorage


def _field(declared: Any, name: str, default: Any) -> Any:
    """A property of an input declaration (a model, or a raw map)."""
    if isinstance(declared, Mapping):
        return declared.get(name, default)
    return getattr(declared, name, default)


def _upload(
    flow: Flow,
    execution_id: str,
    input_id: str,
    value: Any,
    storage: InternalStorage,
    *,
    local_files: bool,
) -> str:
    """Store a FILE input's content; its ``kestra:///`` URI.

    Accepted: bytes, a ``(file name, bytes)`` upload, or — only when `local_files` (the
    command line) — a local path. A server never reads a path it was sent.
    """
    from tercel.storage.uri import input_file

    if isinstance(value, bytes):
        uri = input_file(flow.namespace, flow.id, execution_id, input_id, input_id)
        return storage.put(uri, value)
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], bytes):
        name = Path(str(value[0])).name or input_id
        uri = input_file(flow.namespace, flow.id, execution_id, input_id, name)
        return storage.put(uri, value[1])
    if not local_files:
        raise InputError(f"input `{input_id}`: expected an uploaded file or a kestra:/// URI")
    path = Path(str(value)).expanduser()
    if not path.is_file():
        raise InputError(f"input `{input_id}`: file `{value}` does not exist")
    uri = input_file(flow.namespace, flow.id, execution_id, input_id, path.name)
    return storage.put(uri, path)


def input_renderer(
    base: Mapping[str, Any], services: Any = None
) -> Callable[[str, Mapping[str, Any]], Any]:
    """The typed renderer of input expressions (``dependsOn.condition``, SELECT
    ``expression``, templated ``defaults``): `base` (flow, execution, envs, globals,
    namespace...) under the model's context (``inputs`` resolved so far)."""

    def render(expression: str, context: Mapping[str, Any]) -> Any:
        from tercel.templating import render_typed

        try:
            return render_typed(expression, {**base, **context}, services=services)
        except TemplateError as error:
            raise InputError(f"cannot render `{expression}`: {error}") from error

    return render


def resolve_execution_inputs(
    flow: Flow,
    raw: Mapping[str, Any],
    *,
    execution_id: str,
    storage: InternalStorage,
    local_files: bool,
    context: Mapping[str, Any] | None = None,
    services: Any = None,
    require: bool = True,
) -> dict[str, Any]:
    """Typed inputs of a new execution; InputError naming the input when one is wrong.

    Input expressions see `context` (see `input_renderer`) and the inputs resolved before.
    `require` false leaves missing required inputs null (see `check_inputs`).
    """
    from tercel.model.input_values import resolve_inputs

    def store_file(declared: Any, value: Any) -> str:
        input_id = str(_field(declared, "id", ""))
        return _upload(flow, execution_id, input_id, value, storage, local_files=local_files)

    render = input_renderer(context or {}, services)
    return dict(resolve_inputs(flow, raw, render=render, store_file=store_file, require=require))
