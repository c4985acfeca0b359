"""`slack.notifications.SlackExecution`: post a summary of an execution to Slack."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.execution.access import require_executions
from tercel.plugins.core.templating.properties import Text, render_map, render_str, require_str
from tercel.plugins.slack.post import dumps, post_payload
from tercel.plugins.slack.summary import ExecutionSummary

#: Attachment colour by final state (Slack's named colours).
_COLOURS = {"SUCCESS": "good", "WARNING": "warning", "FAILED": "danger", "KILLED": "danger"}


# Kestra's docs and blueprints name it `io.kestra.plugin.slack.notifications.*` (the Slack
# plugin); `io.kestra.plugin.notifications.slack.*` is the older notifications plugin's name.
@plugin(
    "io.kestra.plugin.slack.notifications.SlackExecution",
    aliases=(
        "io.kestra.plugin.notifications.slack.SlackExecution",
        "io.kestra.plugin.slack.SlackExecution",
    ),
)
class SlackExecution(RunnableTask):
    """Send a message about an execution (by default the current one) to a Slack webhook.

    In a flow started by a Flow trigger, set ``executionId: "{{ trigger.executionId }}"`` to
    report on the execution that triggered it.
    """

    url: Text = Field(description="The incoming webhook URL (keep it in a secret).")
    execution_id: Text = Field(
        default="{{ execution.id }}", description="The execution to report on."
    )
    channel: Text | None = None
    username: Text | None = None
    icon_url: Text | None = None
    icon_emoji: Text | None = None
    custom_message: Text | None = None
    custom_fields: dict[str, Any] | str | None = None
    message_text: Text | None = Field(default=None, description="Overrides the first line.")
    options: dict[str, Any] | None = Field(default=None, description="HTTP options (ignored).")
    payload: Any = Field(
        default=None,
        description="Inherited from SlackIncomingWebhook; as in Kestra, the execution summary "
        "replaces it (use SlackIncomingWebhook to send a message of your own).",
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Read the execution from the store, build the message and post it."""
        url = require_str(ctx, self.url, "url")
        execution_id = require_str(ctx, self.execution_id, "executionId")
        execution = require_executions(ctx, self.type).find(execution_id)
        if execution is None:
            raise TaskError(f"execution `{execution_id}` not found")
        summary = ExecutionSummary.of(execution)
        if self.payload is not None:
            ctx.logger.warning(
                "`payload` is ignored: SlackExecution sends the execution summary "
                "(use SlackIncomingWebhook to send a payload of your own)"
            )
        payload = self.message(ctx, summary)
        await post_payload(ctx, url, dumps(payload))
        return TaskResult()

    def message(self, ctx: TaskContext, summary: ExecutionSummary) -> dict[str, Any]:
        """The Slack message: a linked headline and an attachment with one field per fact."""
        headline = f"<{summary.link}|[{summary.namespace}] {summary.flow_id} ➛ {summary.state}>"
        if summary.failed_task:
            headline += f" > {summary.failed_task}"
        text = render_str(ctx, self.message_text) or headline
        custom = render_str(ctx, self.custom_message)
        if custom:
            text += f"\n> {custom}"
        fields = [
            _field("Namespace", summary.namespace),
            _field("Flow", summary.flow_id),
            _field("Execution", f"<{summary.link}|{summary.id}>"),
            _field("Status", summary.state),
        ]
        if summary.start_date:
            fields.append(_field("Start", summary.start_date))
        if summary.duration:
            fields.append(_field("Duration", summary.duration))
        if summary.failed_task:
            fields.append(_field("Failed task", summary.failed_task))
        for key, value in render_map(ctx, self.custom_fields, "customFields").items():
            fields.append(_field(str(key), "" if value is None else str(value)))
        payload: dict[str, Any] = {}
        for key, prop in (
            ("channel", self.channel),
            ("username", self.username),
            ("icon_url", self.icon_url),
            ("icon_emoji", self.icon_emoji),
        ):
            value = render_str(ctx, prop)
            if value:
                payload[key] = value
        payload["text"] = text
        payload["attachments"] = [
            {
                "fallback": f"[{summary.namespace}] {summary.flow_id} ➛ {summary.state}",
                "color": _COLOURS.get(summary.state, "#cccccc"),
                "fields": fields,
            }
        ]
        return payload


def _field(title: str, value: str) -> dict[str, Any]:
    return {"title": title, "value": value, "short": True}
