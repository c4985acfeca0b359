"""The executor: applies one event to an execution and runs Kestra's loop (§6.2)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from tercel.engine.api import Decision, Event, NewId, RandomDraw, Renderer
from tercel.engine.execution import Execution

if TYPE_CHECKING:
    from tercel.model.flow import Flow


class Executor:
    """One decision: built per call to `decide`, discarded after."""

    def __init__(
        self,
        flow: Flow,
        execution: Execution,
        now: datetime,
        *,
        new_id: NewId,
        render: Renderer,
        random: RandomDraw | None,
        environment: Mapping[str, Any] | None,
    ) -> None:
        self.flow = flow
        self.execution = execution
        self.now = now
        self.new_id = new_id
        self.renderer = render
        self.random = random
        self.environment = environment or {}

    def handle(self, event: Event) -> Decision:
        """Apply `event` and decide (work in progress)."""
        raise NotImplementedError(type(event).__name__)
