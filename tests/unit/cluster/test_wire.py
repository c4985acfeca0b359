"""Engine events cross processes as JSON and come back equal."""

from __future__ import annotations

import json

import pytest

from tercel.cluster.wire import event_from_wire, event_to_wire
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

EVENTS: list[Event] = [
    Start(running_count=2),
    TaskRunStarted("tr1", 3),
    TaskRunResult("tr1", State.FAILED, {"out": [1, "a"]}, 2, "boom", timed_out=True),
    SubflowEnded("tr2", "child", State.SUCCESS, {"x": 1}, None, 4),
    TimerFired("tr3", "pause-delay", 7),
    Kill(),
    Resume("tr4", {"approved": True}),
]


@pytest.mark.parametrize("event", EVENTS, ids=lambda e: type(e).__name__)
def test_an_event_survives_the_trip_through_json(event: Event) -> None:
    assert event_from_wire(json.loads(json.dumps(event_to_wire(event)))) == event


def test_an_unknown_event_type_is_a_store_error() -> None:
    with pytest.raises(StoreError, match="unknown execution event type 'Explode'"):
        event_from_wire({"type": "Explode"})
