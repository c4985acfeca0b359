"""Discord: `DiscordIncomingWebhook` and `DiscordExecution` (a webhook message with embeds)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.base import KestraModel
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.templating.properties import Text, render_str, require_str
from tercel.plugins.notifications.common import ExecutionNotice, WebhookTask
from tercel.plugins.slack.post import dumps, post_payload


@plugin("io.kestra.plugin.notifications.discord.DiscordIncomingWebhook")
class DiscordIncomingWebhook(WebhookTask):
    """Post a message (`payload`, Discord's webhook JSON) to a Discord webhook."""


class Embed(KestraModel):
    """One of Kestra's `embedList` entries."""

    title: Text | None = None
    website_url: Text | None = None
    description: Text | None = None
    thumbnail: Text | None = None
    author_name: Text | None = None
    footer: Text | None = None
    color: list[int] | None = Field(default=None, description="RGB, e.g. [255, 0, 0].")


@plugin("io.kestra.plugin.notifications.discord.DiscordExecution")
class DiscordExecution(WebhookTask, ExecutionNotice):
    """Post an execution summary to a Discord webhook (an embed per `embedList` entry)."""

    username: Text | None = None
    avatar_url: Text | None = None
    content: Text | None = None
    embed_list: list[Embed] | None = None

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Build the message and post it; a `payload` of your own is sent as it is."""
        if self.payload is not None and (render_str(ctx, self.payload) or "").strip():
            return await super().run(ctx)
        summary = self.summary(ctx)
        facts = (
            f"Namespace: {summary.namespace}\nFlow ID: {summary.flow_id}\n"
            f"Execution ID: {summary.id}\nExecution Status: {summary.state}"
        )
        for name, value in self.extra_fields(ctx).items():
            facts += f"\n{name}: {value}"
        base: dict[str, Any] = {
            "title": summary.headline,
            "url": summary.link,
            "description": facts,
            "footer": {"text": summary.outcome},
        }
        embeds = [self._embed(ctx, embed, base) for embed in self.embed_list or []] or [base]
        message: dict[str, Any] = {"tts": False}
        for key, given in (
            ("username", render_str(ctx, self.username)),
            ("avatar_url", render_str(ctx, self.avatar_url)),
        ):
            if given:
                message[key] = given
        content = render_str(ctx, self.content) or self.message_line(ctx)
        if content:
            message["content"] = content
        message["embeds"] = embeds
        await post_payload(
            ctx, require_str(ctx, self.url, "url"), dumps(message), self.headers(ctx)
        )
        return TaskResult()

    def _embed(self, ctx: TaskContext, embed: Embed, base: dict[str, Any]) -> dict[str, Any]:
        made = dict(base)
        for key, value in (
            ("title", render_str(ctx, embed.title)),
            ("url", render_str(ctx, embed.website_url)),
            ("description", render_str(ctx, embed.description)),
        ):
            if value:
                made[key] = value
        thumbnail = render_str(ctx, embed.thumbnail)
        if thumbnail:
            made["thumbnail"] = {"url": thumbnail}
        author = render_str(ctx, embed.author_name)
        if author:
            made["author"] = {"name": author}
        footer = render_str(ctx, embed.footer)
        if footer:
            made["footer"] = {"text": footer}
        if embed.color is not None:
            if len(embed.color) < 3:
                raise TaskError("`embedList[].color` is three numbers: red, green, blue")
            red, green, blue = (max(0, min(255, part)) for part in embed.color[:3])
            made["color"] = (red << 16) + (green << 8) + blue
        return made
