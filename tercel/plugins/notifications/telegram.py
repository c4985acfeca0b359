"""Telegram: `TelegramSend` and `TelegramExecution`, through the Bot API's `sendMessage`.

The bot token is part of the URL Telegram expects (`/bot<token>/sendMessage`); errors never
show the URL.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.templating.properties import Text, render_enum, render_str, require_str
from tercel.plugins.notifications.common import ExecutionNotice
from tercel.plugins.slack.post import dumps, post_payload

API_URL = "https://api.telegram.org"
PARSE_MODES = {"HTML": "HTML", "MARKDOWNV2": "MarkdownV2"}


@plugin("io.kestra.plugin.notifications.telegram.TelegramSend")
class TelegramSend(RunnableTask):
    """Send the text `payload` to the chat `channel` as the bot whose `token` is given."""

    token: Text = Field(description="The bot's token (keep it in a secret).")
    channel: Text = Field(description="The chat id (or @channelusername).")
    payload: Text | None = Field(default=None, description="The message text.")
    parse_mode: Text | None = Field(default=None, description="HTML or MarkdownV2.")
    endpoint_override: Text | None = Field(
        default=None, description="Another Bot API server (default: https://api.telegram.org)."
    )
    options: dict[str, Any] | None = None

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Send `payload`."""
        await self.send(ctx, require_str(ctx, self.payload, "payload"))
        return TaskResult()

    async def send(self, ctx: TaskContext, text: str) -> None:
        """Call `sendMessage`; a reply without `ok: true` fails the task."""
        base = (render_str(ctx, self.endpoint_override) or API_URL).rstrip("/")
        token = require_str(ctx, self.token, "token")
        message: dict[str, Any] = {
            "chat_id": require_str(ctx, self.channel, "channel"),
            "text": text,
        }
        if self.parse_mode is not None:
            mode = render_enum(ctx, self.parse_mode, "parseMode", tuple(PARSE_MODES))
            message["parse_mode"] = PARSE_MODES[mode]
        response = await post_payload(ctx, f"{base}/bot{token}/sendMessage", dumps(message))
        try:
            ok = bool(response.json().get("ok"))
        except ValueError:
            ok = False
        if not ok:
            raise TaskError(f"Telegram did not accept the message: {response.text[:200].strip()}")


@plugin("io.kestra.plugin.notifications.telegram.TelegramExecution")
class TelegramExecution(TelegramSend, ExecutionNotice):
    """Send an execution summary to a Telegram chat."""

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Build the text and send it."""
        summary = self.summary(ctx)
        lines = [
            f"<{summary.namespace} {summary.flow_id} {summary.id} ➛ {summary.state}> "
            f"{summary.outcome} ({summary.link})"
        ]
        custom = self.message_line(ctx)
        if custom:
            lines.append(custom)
        lines += [f"{name}: {value}" for name, value in self.extra_fields(ctx).items()]
        await self.send(ctx, "\n".join(lines))
        return TaskResult()
