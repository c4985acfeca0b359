"""What the executor keeps in memory per execution it drives, and the engine's renderer."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from tercel.errors import TemplateError
from tercel.runtime.template_places import Placer, with_place

if TYPE_CHECKING:
    from tercel.engine.execution import Execution, TaskRun
    from tercel.model.flow import Flow
    from tercel.runtime.services import ExecutionServices


def utc_now() -> datetime:
    """The runtime's clock."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class ParentLink:
    """Where to report the end of a subflow execution."""

    execution_id: str
    task_run_id: str
    iteration: int | None
    wait: bool


class TemplateRenderer:
    """The engine's `Renderer`, bound to one execution's template services."""

    def __init__(self, services: ExecutionServices, place: Placer | None = None) -> None:
        self.services = services
        #: Finds a template's YAML position, used only once rendering failed.
        self.place = place

    def render(self, template: str, context: Mapping[str, Any]) -> str:
        """Render to a string."""
        from tercel.templating import render

        try:
            return render(template, context, services=self.services)
        except TemplateError as error:
            raise with_place(error, self.place, None, template) from None

    def render_typed(self, expression: str, context: Mapping[str, Any]) -> Any:
        """Render to a typed value."""
        from tercel.templating import render_typed

        try:
            return render_typed(expression, context, services=self.services)
        except TemplateError as error:
            raise with_place(error, self.place, None, expression) from None


@dataclass(eq=False)
class Tracked:
    """An execution the executor is driving, with what is in flight for it."""

    flow: Flow
    execution: Execution
    services: ExecutionServices
    renderer: TemplateRenderer
    parent: ParentLink | None = None
    jobs: set[str] = field(default_factory=set)
    timers: set[asyncio.TimerHandle] = field(default_factory=set)
    waiting_children: set[str] = field(default_factory=set)
    #: Set when the execution is finished, or PAUSED with nothing that could resume it.
    settled: asyncio.Event = field(default_factory=asyncio.Event)
    finished: bool = False
    index: dict[str, TaskRun] = field(default_factory=dict)
    #: Read-only variables of every render context of this execution (``envs``,
    #: ``globals``, ``namespace``...): `Executor.environment_for`.
    environment: Mapping[str, Any] | None = None

    def task_run(self, task_run_id: str) -> TaskRun | None:
        """A task run by id (indexed, so that large loops stay linear)."""
        found = self.index.get(task_run_id)
        if found is None:
            for task_run in self.execution.task_run_list:
                self.index[task_run.id] = task_run
            found = self.index.get(task_run_id)
        return found
