"""The outputs a Subflow task run gets when its child execution ends."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from tercel.errors import TemplateError, TercelError
from tercel.runtime.template_places import with_place

if TYPE_CHECKING:
    from tercel.runtime.tracked import ParentLink, Tracked


def subflow_outputs(
    child: Tracked,
    parent: Tracked | None,
    link: ParentLink,
    environment: Mapping[str, Any] | None,
) -> tuple[Mapping[str, Any] | None, str | None]:
    """The child's flow outputs, or the Subflow task's (deprecated) `outputs` property
    rendered in the child's context when the child flow declares none; or an error."""
    execution = child.execution
    if execution.outputs or parent is None or link.iteration is not None:
        return execution.outputs, None
    task_run = parent.task_run(link.task_run_id)
    task = (
        next((t for t in parent.flow.all_tasks() if t.id == task_run.task_id), None)
        if task_run
        else None
    )
    declared = getattr(task, "outputs", None)
    if not isinstance(declared, Mapping) or not declared:
        return execution.outputs, None
    from tercel.engine.context import execution_context
    from tercel.templating import render_value

    context = execution_context(child.flow, execution, environment=environment)
    try:
        rendered = render_value(dict(declared), context, services=child.services)
    except TemplateError as error:
        # The template is the parent's Subflow task `outputs`: point there.
        located = with_place(error, parent.renderer.place, task.id if task else None, declared)
        return None, f"cannot render the subflow outputs: {located}"
    except TercelError as error:
        return None, f"cannot render the subflow outputs: {error}"
    return dict(rendered), None
