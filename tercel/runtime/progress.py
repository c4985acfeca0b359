"""A Rich tree of an execution's task runs (state, attempt, duration), for live progress."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text
from rich.tree import Tree

from tercel.engine.execution import Execution, TaskRun
from tercel.engine.state import State

#: Children shown per parent; the rest are summarised (a 10,000-item loop stays readable).
MAX_CHILDREN = 30

STYLES: dict[State, str] = {
    State.SUCCESS: "green",
    State.WARNING: "yellow",
    State.FAILED: "bold red",
    State.KILLED: "red",
    State.KILLING: "red",
    State.CANCELLED: "red",
    State.RUNNING: "cyan",
    State.PAUSED: "magenta",
    State.SKIPPED: "dim",
    State.RETRYING: "yellow",
    State.QUEUED: "dim",
    State.CREATED: "dim",
}


def _seconds(task_run: TaskRun, now: datetime) -> float | None:
    start = task_run.state.start_date
    if start is None:
        return None
    end = task_run.state.end_date or now
    return (end - start).total_seconds()


def _label(task_run: TaskRun, now: datetime) -> Text:
    state = task_run.state.current
    text = Text(task_run.task_id, style="bold")
    if task_run.value is not None:
        text.append(f" [{task_run.value}]", style="blue")
    text.append(f"  {state.value}", style=STYLES.get(state, ""))
    if len(task_run.attempts) > 1:
        text.append(f"  attempt {len(task_run.attempts)}", style="yellow")
    seconds = _seconds(task_run, now)
    if seconds is not None:
        text.append(f"  {seconds:.2f}s", style="dim")
    return text


def execution_tree(execution: Execution, now: datetime | None = None) -> Tree:
    """The task runs of `execution` as a tree under a header line."""
    now = now or datetime.now(UTC)
    state = execution.state.current
    header = Text(f"{execution.namespace}.{execution.flow_id} ", style="bold")
    header.append(execution.id, style="dim")
    header.append(f"  {state.value}", style=STYLES.get(state, ""))
    start = execution.state.start_date
    if start is not None:
        end = execution.state.end_date or now
        header.append(f"  {(end - start).total_seconds():.2f}s", style="dim")
    root = Tree(header)
    children: dict[str | None, list[TaskRun]] = {}
    for task_run in execution.task_run_list:
        children.setdefault(task_run.parent_task_run_id, []).append(task_run)

    def add(node: Tree, parent_id: str | None) -> None:
        runs = children.get(parent_id, [])
        shown = runs if len(runs) <= MAX_CHILDREN else runs[-MAX_CHILDREN:]
        if len(runs) > len(shown):
            node.add(Text(f"… {len(runs) - len(shown)} earlier task runs", style="dim"))
        for task_run in shown:
            add(node.add(_label(task_run, now)), task_run.id)

    add(root, None)
    return root
