"""`slack.notifications.SlackIncomingWebhook`: post a message to an incoming webhook."""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.templating.properties import Text, render_str, require_str
from tercel.plugins.slack.post import dumps, post_payload


# Kestra's docs and blueprints name it `io.kestra.plugin.slack.notifications.*` (the Slack
# plugin); `io.kestra.plugin.notifications.slack.*` is the older notifications plugin's name.
@plugin(
    "io.kestra.plugin.slack.notifications.SlackIncomingWebhook",
    aliases=(
        "io.kestra.plugin.notifications.slack.SlackIncomingWebhook",
        "io.kestra.plugin.slack.SlackIncomingWebhook",
    ),
)
class SlackIncomingWebhook(RunnableTask):
    """Send `payload` (Slack message JSON) or plain `messageText` to the webhook `url`."""

    url: Text = Field(description="The incoming webhook URL (keep it in a secret).")
    payload: Any = Field(default=None, description="The message as JSON (string or map).")
    message_text: Text | None = Field(default=None, description="A plain text message.")
    options: dict[str, Any] | None = Field(default=None, description="HTTP options (ignored).")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Render and send the message; fails when the webhook does not accept it."""
        url = require_str(ctx, self.url, "url")
        body = render_payload(ctx, self.payload, self.message_text)
        await post_payload(ctx, url, body)
        return TaskResult()


def render_payload(ctx: TaskContext, payload: Any, message_text: str | None) -> str:
    """The JSON text to send: `payload` rendered (checked to be JSON), else `{"text": ...}`."""
    if payload is not None:
        rendered = ctx.render(payload)
        if not isinstance(rendered, str):
            return dumps(rendered)
        try:
            json.loads(rendered)
        except json.JSONDecodeError as error:
            message = f"property `payload` is not valid JSON once rendered: {error}"
            raise TaskError(message) from None
        return rendered
    text = render_str(ctx, message_text)
    if text is None:
        raise TaskError("one of `payload` or `messageText` is required")
    return dumps({"text": text})
