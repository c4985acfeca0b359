"""Where a state lives: a JSON file in internal storage, per flow (or namespace) and name.

``kestra:///<ns>/<flow>/states/<name>/<taskrun value or _>.json``, or without ``<flow>``
when the state is shared by the namespace. Inside a loop, with `taskrunValue` true (the
default), each value of the loop has its own state.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.plugins.context import RunnableTask, TaskContext
from tercel.plugins.core.templating.properties import Text, render_bool, require_str
from tercel.storage.uri import from_path, namespace_path, slugify

_NO_VALUE = "_"


class StateTask(RunnableTask):
    """Properties shared by the state tasks."""

    name: Text = Field(default="default", description="The state's name.")
    namespace: bool | str = Field(
        default=False, description="Share the state with every flow of the namespace."
    )
    taskrun_value: bool | str = Field(
        default=True, description="Inside a loop, keep one state per value of the loop."
    )

    def state_uri(self, ctx: TaskContext) -> str:
        """The URI of this state's file."""
        # A leading `_` would make the folder look like a namespace's `_files`.
        name = slugify(require_str(ctx, self.name, "name")).lstrip("_") or "default"
        folder = namespace_path(ctx.namespace)
        if not render_bool(ctx, self.namespace, "namespace", False):
            folder += "/" + slugify(ctx.flow_id)
        value: Any = None
        if render_bool(ctx, self.taskrun_value, "taskrunValue", True):
            taskrun = ctx.variables.get("taskrun")
            value = taskrun.get("value") if isinstance(taskrun, Mapping) else None
        leaf = slugify(str(value)) if value not in (None, "") else _NO_VALUE
        return from_path(f"{folder}/states/{name}/{leaf or _NO_VALUE}.json")

    def read_state(self, ctx: TaskContext, uri: str) -> dict[str, Any] | None:
        """The stored state, or None when there is none."""
        if not ctx.storage.exists(uri):
            return None
        try:
            data = json.loads(ctx.storage.get(uri))
        except json.JSONDecodeError as error:
            raise TaskError(f"state file `{uri}` is not valid JSON: {error}") from None
        return data if isinstance(data, dict) else {}


def deep_merge(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """`update` over `base`; nested maps are merged, anything else replaced."""
    merged = dict(base)
    for key, value in update.items():
        current = merged.get(key)
        if isinstance(current, Mapping) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = value
    return merged
