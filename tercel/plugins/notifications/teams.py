"""Microsoft Teams: `TeamsIncomingWebhook` and `TeamsExecution` (an Office 365 MessageCard).

Kestra has them as `io.kestra.plugin.notifications.teams.*` and, in its Microsoft 365 plugin,
`io.kestra.plugin.microsoft365.teams.*`; both names work.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.templating.properties import Text, render_str, require_str
from tercel.plugins.notifications.common import ExecutionNotice, WebhookTask
from tercel.plugins.slack.post import dumps, post_payload


@plugin(
    "io.kestra.plugin.notifications.teams.TeamsIncomingWebhook",
    aliases=("io.kestra.plugin.microsoft365.teams.TeamsIncomingWebhook",),
)
class TeamsIncomingWebhook(WebhookTask):
    """Post a message card (`payload`) to a Teams incoming webhook."""


@plugin(
    "io.kestra.plugin.notifications.teams.TeamsExecution",
    aliases=("io.kestra.plugin.microsoft365.teams.TeamsExecution",),
)
class TeamsExecution(WebhookTask, ExecutionNotice):
    """Post a MessageCard summarizing an execution to a Teams incoming webhook."""

    theme_color: Text = Field(default="0076D7", description="The card's accent colour (hex).")
    activity_title: Text | None = None
    activity_subtitle: Text | None = None

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Build the card and post it."""
        summary = self.summary(ctx)
        facts = [
            {"name": "Namespace", "value": summary.namespace},
            {"name": "Job", "value": summary.flow_id},
            {"name": "Execution", "value": summary.id},
            {"name": "Status", "value": summary.state},
        ]
        facts += [{"name": k, "value": v} for k, v in self.extra_fields(ctx).items()]
        section: dict[str, Any] = {}
        for key, value in (
            ("activityTitle", render_str(ctx, self.activity_title)),
            ("activitySubtitle", render_str(ctx, self.activity_subtitle)),
            ("text", self.message_line(ctx)),
        ):
            if value:
                section[key] = value
        section["facts"] = facts
        section["markdown"] = True
        card = {
            "@type": "MessageCard",
            "@context": "http://schema.org/extensions",
            "themeColor": render_str(ctx, self.theme_color) or "0076D7",
            "summary": f"*<{summary.link}|{summary.headline}>*\n> {summary.outcome}",
            "sections": [section],
            "potentialAction": [
                {
                    "@type": "OpenUri",
                    "name": "Open the execution",
                    "targets": [{"os": "default", "uri": summary.link}],
                }
            ],
        }
        await post_payload(ctx, require_str(ctx, self.url, "url"), dumps(card), self.headers(ctx))
        return TaskResult()
