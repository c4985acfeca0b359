"""What the notification tasks share: the webhook properties and the execution properties."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.base import KestraModel
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.templating.properties import Text, render_map, render_str, require_str
from tercel.plugins.slack.post import dumps, post_payload
from tercel.plugins.slack.summary import ExecutionSummary, load_summary


class WebhookTask(RunnableTask):
    """POST `payload` (JSON, rendered) to `url`."""

    url: Text = Field(description="The webhook URL (keep it in a secret).")
    payload: Text | None = Field(default=None, description="The message as JSON (rendered).")
    options: dict[str, Any] | None = Field(
        default=None, description="HTTP options; `headers` are sent, the rest is accepted."
    )

    def headers(self, ctx: TaskContext) -> dict[str, str]:
        """`options.headers`, rendered."""
        options = self.options or {}
        return {
            str(key): str(value)
            for key, value in render_map(ctx, options.get("headers"), "options.headers").items()
        }

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Send the rendered `payload` as it is."""
        await post_payload(
            ctx, require_str(ctx, self.url, "url"), self.rendered_payload(ctx), self.headers(ctx)
        )
        return TaskResult()

    def rendered_payload(self, ctx: TaskContext) -> str:
        """`payload` rendered and checked to be JSON."""
        text = require_str(ctx, self.payload, "payload")
        check_json(text)
        return text


def check_json(text: str) -> None:
    """`TaskError` unless `text` is JSON."""
    try:
        json.loads(text)
    except json.JSONDecodeError as error:
        raise TaskError(f"property `payload` is not valid JSON once rendered: {error}") from None


class ExecutionNotice(KestraModel):
    """Kestra's properties of the execution tasks (mixed into each vendor's task)."""

    execution_id: Text = Field(
        default="{{ execution.id }}", description="The execution to report on."
    )
    custom_fields: dict[str, Any] | str | None = Field(
        default=None, description="More facts to report (name: value)."
    )
    custom_message: Text | None = Field(default=None, description="A line added to the message.")
    template_render_map: dict[str, Any] | None = Field(
        default=None, description="Accepted: the message has the vendor format Tercel builds."
    )

    def summary(self, ctx: TaskContext) -> ExecutionSummary:
        """The summary of the execution to report on."""
        task_type = str(getattr(self, "type", "notification"))
        return load_summary(ctx, require_str(ctx, self.execution_id, "executionId"), task_type)

    def extra_fields(self, ctx: TaskContext) -> dict[str, str]:
        """`customFields`, rendered, as text."""
        return {
            str(key): "" if value is None else str(value)
            for key, value in render_map(ctx, self.custom_fields, "customFields").items()
        }

    def message_line(self, ctx: TaskContext) -> str | None:
        """`customMessage`, rendered."""
        return render_str(ctx, self.custom_message)


__all__ = ["ExecutionNotice", "WebhookTask", "check_json", "dumps", "post_payload"]
