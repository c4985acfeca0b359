"""Engine events as JSON, to cross processes through the `execution_events` inbox."""

from __future__ import annotations

import dataclasses
from typing import Any

from tercel.engine.api import (
    Event,
    Kill,
    Resume,
    Start,
    SubflowEnded,
    TaskRunResult,
    TaskRunStarted,
    TimerFired,
)
from tercel.engine.state import State
from tercel.errors import StoreError

_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (Start, TaskRunStarted, TaskRunResult, SubflowEnded, TimerFired, Kill, Resume)
}


def event_to_wire(event: Event) -> dict[str, Any]:
    """``{"type": "TaskRunResult", ...fields}``; states as their names."""
    wire: dict[str, Any] = {"type": type(event).__name__}
    for field in dataclasses.fields(event):
        value = getattr(event, field.name)
        if isinstance(value, State):
            value = value.value
        elif value is not None and field.name in ("outputs", "inputs"):
            value = dict(value)
        wire[field.name] = value
    return wire


def event_from_wire(wire: dict[str, Any]) -> Event:
    """The event `event_to_wire` wrote (StoreError for an unknown type)."""
    values = dict(wire)
    name = values.pop("type", None)
    cls = _TYPES.get(str(name))
    if cls is None:
        raise StoreError(f"unknown execution event type {name!r} in the inbox")
    if "state" in values and values["state"] is not None:
        values["state"] = State(values["state"])
    known = {field.name for field in dataclasses.fields(cls)}
    event: Event = cls(**{k: v for k, v in values.items() if k in known})
    return event
