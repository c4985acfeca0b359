"""Google Chat: `GoogleChatIncomingWebhook` and `GoogleChatExecution` (a text message)."""

from __future__ import annotations

from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.templating.properties import Text, render_str, require_str
from tercel.plugins.notifications.common import ExecutionNotice, WebhookTask
from tercel.plugins.slack.post import dumps, post_payload


@plugin("io.kestra.plugin.notifications.google.GoogleChatIncomingWebhook")
class GoogleChatIncomingWebhook(WebhookTask):
    """Post a message (`payload`, Google Chat's message JSON) to a space's webhook."""


@plugin("io.kestra.plugin.notifications.google.GoogleChatExecution")
class GoogleChatExecution(WebhookTask, ExecutionNotice):
    """Post an execution summary to a Google Chat space."""

    text: Text | None = None

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Build `{"text": ...}` (Google Chat's markup: `*bold*`, `<url|label>`) and post it."""
        summary = self.summary(ctx)
        lines = [
            render_str(ctx, self.text)
            or (
                f"Kestra Google notification: Namespace {summary.namespace}, Flow ID "
                f"{summary.flow_id}, Execution ID {summary.id}, Execution Status {summary.state}."
            ),
            f"*<{summary.link}|{summary.headline}>*",
            f"> {summary.outcome}",
        ]
        custom = self.message_line(ctx)
        if custom:
            lines.append(custom)
        lines += [f"{name}: {value}" for name, value in self.extra_fields(ctx).items()]
        body = dumps({"text": "\n".join(lines)})
        await post_payload(ctx, require_str(ctx, self.url, "url"), body, self.headers(ctx))
        return TaskResult()
