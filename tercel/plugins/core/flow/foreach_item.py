"""`flow.ForEachItem`: split a file into batches and run one subflow execution per batch.

Like Kestra, it expands into three hidden children: `<id>_split` (a runnable task that
writes the batch files), `<id>_items` (an executable task that starts one child execution
per batch) and `<id>_merge` (a runnable task that merges the children's outputs).
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field, field_validator

from tercel.engine.plan import Plan, PlanContext, Slot, SubflowRequest
from tercel.errors import TaskError
from tercel.model.base import KestraModel
from tercel.model.registry import plugin
from tercel.model.task import Task, TaskKind
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.flow.base import FlowableTask, Text, scalar_to_str
from tercel.plugins.core.flow.subflow import check_labels, label_map
from tercel.plugins.core.storage.files import check_readable

SPLIT_SUFFIX = "_split"
ITEMS_SUFFIX = "_items"
MERGE_SUFFIX = "_merge"


class Batch(KestraModel):
    """How to cut the file: every `rows` lines, every `bytes`, or into `partitions`."""

    rows: Text | None = None
    bytes: Text | None = None
    partitions: Text | None = None
    separator: str = "\n"


def split_content(content: str, batch: Batch, render: Any) -> list[str]:
    """Cut `content` into batch texts (each batch keeps its trailing separator)."""
    sep = batch.separator
    records = [record for record in content.split(sep) if record != ""]
    if not records:
        return []
    if batch.partitions is not None:
        partitions = max(1, int(render(batch.partitions)))
        size = -(-len(records) // partitions)
        groups = [records[i : i + size] for i in range(0, len(records), size)]
    elif batch.bytes is not None:
        limit = max(1, int(render(batch.bytes)))
        groups = []
        current: list[str] = []
        length = 0
        for record in records:
            if current and length + len(record) + len(sep) > limit:
                groups.append(current)
                current, length = [], 0
            current.append(record)
            length += len(record) + len(sep)
        if current:
            groups.append(current)
    else:
        rows = max(1, int(render(batch.rows) if batch.rows is not None else 1))
        groups = [records[i : i + rows] for i in range(0, len(records), rows)]
    return ["".join(record + sep for record in group) for group in groups]


class ForEachItemSplit(RunnableTask):
    """Hidden `<id>_split`: write each batch as a file; output `splits` (their URIs)."""

    items: str
    batch: Batch = Field(default_factory=Batch)

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Read the items file, cut it, store each batch as `<n>.txt`."""
        uri = check_readable(ctx, str(ctx.render(self.items)))
        try:
            content = ctx.storage.get(uri).decode("utf-8")
        except Exception as error:  # the storage raises NotFoundError and friends
            raise TaskError(f"cannot read the items file `{uri}`: {error}") from error
        batches = split_content(content, self.batch, ctx.render)
        splits = [
            ctx.storage.put(self._batch_uri(ctx, n), text.encode("utf-8"))
            for n, text in enumerate(batches, start=1)
        ]
        return TaskResult(outputs={"splits": splits})

    def _batch_uri(self, ctx: TaskContext, number: int) -> str:
        # Kestra stores batches under `tasks/<id>-split/` (not the hidden task's `<id>_split`).
        uri = ctx.file_uri(f"{number}.txt")
        folder = (
            self.id[: -len(SPLIT_SUFFIX)] + "-split" if self.id.endswith(SPLIT_SUFFIX) else None
        )
        if folder is None:
            return uri
        return uri.replace(f"/tasks/{self.id}/", f"/tasks/{folder}/", 1)


class ForEachItemExecutable(Task):
    """Hidden `<id>_items`: one child execution per batch file."""

    kind: ClassVar[TaskKind] = TaskKind.EXECUTABLE
    #: The engine reports `numberOfBatches` and `iterations` instead of one child's outputs.
    multiple_subflows: ClassVar[bool] = True

    split_id: str
    namespace: str
    flow_id: str
    revision: int | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, Any] | list[dict[str, Any]] | None = None
    wait: bool = True
    transmit_failed: bool = True
    inherit_labels: bool = False
    schedule_date: str | None = None

    def subflow_requests(self, ctx: PlanContext) -> list[SubflowRequest]:
        """One request per batch; `taskrun.items` / `taskrun.iteration` usable in inputs."""
        split = ctx.outputs_of(self.split_id) or {}
        uris: list[str] = list(split.get("splits") or [])
        labels = {
            str(key): scalar_to_str(ctx.render_value(value))
            for key, value in label_map(self.labels).items()
        }
        taskrun = dict(ctx.context.get("taskrun") or {})
        requests = []
        for iteration, uri in enumerate(uris, start=1):
            extra = {"taskrun": {**taskrun, "items": uri, "iteration": iteration}}
            requests.append(
                SubflowRequest(
                    namespace=ctx.render(self.namespace),
                    flow_id=ctx.render(self.flow_id),
                    revision=self.revision,
                    inputs=ctx.render_value(self.inputs, extra),
                    labels=labels,
                    wait=self.wait,
                    transmit_failed=self.transmit_failed,
                    inherit_labels=self.inherit_labels,
                    schedule_date=ctx.render(self.schedule_date) if self.schedule_date else None,
                    iteration=iteration,
                )
            )
        return requests


class ForEachItemMergeOutputs(RunnableTask):
    """Hidden `<id>_merge`: the children's outputs as one JSON-lines file (`subflowOutputs`)."""

    items_id: str

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Merge `outputs.<id>_items.subflowOutputs` (by iteration) into a file."""
        items = (ctx.variables.get("outputs") or {}).get(self.items_id) or {}
        by_iteration: dict[str, Any] = items.get("subflowOutputs") or {}
        lines = [
            json.dumps(by_iteration[key], separators=(",", ":"))
            for key in sorted(by_iteration, key=int)
        ]
        uri = ctx.storage.put(ctx.file_uri("outputs.jsonl"), "\n".join(lines).encode("utf-8"))
        return TaskResult(outputs={"subflowOutputs": uri})


@plugin(
    "io.kestra.plugin.core.flow.ForEachItem",
    aliases=("io.kestra.core.tasks.flows.ForEachItem",),
)
class ForEachItem(FlowableTask):
    """Run `flowId` once per batch of lines of the `items` file."""

    items: str
    batch: Batch = Field(default_factory=Batch)
    namespace: str
    flow_id: str
    revision: int | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, Any] | list[dict[str, Any]] | None = None
    wait: bool = True
    transmit_failed: bool = True
    inherit_labels: bool = False
    schedule_date: str | None = None

    @field_validator("labels", mode="before")
    @classmethod
    def _labels_shape(cls, value: Any) -> Any:
        return check_labels(value)

    def hidden_tasks(self) -> list[Task]:
        """The three hidden children, built from this task's properties."""
        split = ForEachItemSplit(
            id=self.id + SPLIT_SUFFIX,
            type=f"{self.type}$ForEachItemSplit",
            items=self.items,
            batch=self.batch,
            retry=self.retry,
        )
        items = ForEachItemExecutable(
            id=self.id + ITEMS_SUFFIX,
            type=f"{self.type}$ForEachItemExecutable",
            split_id=split.id,
            namespace=self.namespace,
            flow_id=self.flow_id,
            revision=self.revision,
            inputs=self.inputs,
            labels=self.labels,
            wait=self.wait,
            transmit_failed=self.transmit_failed,
            inherit_labels=self.inherit_labels,
            schedule_date=self.schedule_date,
        )
        merge = ForEachItemMergeOutputs(
            id=self.id + MERGE_SUFFIX,
            type=f"{self.type}$ForEachItemMergeOutputs",
            items_id=items.id,
        )
        return [split, items, merge]

    def child_task_lists(self) -> dict[str, list[Task]]:
        """The hidden `tasks`, then `errors` and `finally`."""
        return {"tasks": self.hidden_tasks(), **super().child_task_lists()}

    def plan(self, ctx: PlanContext) -> Plan:
        """Split, start the children, merge their outputs — in sequence."""
        return Plan(
            slots=[Slot(task) for task in self.hidden_tasks()],
            errors=[task for task in self.errors if not task.disabled],
            finally_=[task for task in self.finally_ if not task.disabled],
        )

    def final_outputs(self, ctx: PlanContext) -> dict[str, Any] | None:
        """`numberOfBatches`, `iterations` (from `_items`) and `uri` (from `_merge`)."""
        outputs: dict[str, Any] = {}
        items = ctx.outputs_of(self.id + ITEMS_SUFFIX) or {}
        for key in ("numberOfBatches", "iterations"):
            if key in items:
                outputs[key] = items[key]
        merged = ctx.outputs_of(self.id + MERGE_SUFFIX) or {}
        if "subflowOutputs" in merged:
            outputs["uri"] = merged["subflowOutputs"]
        return outputs or None
