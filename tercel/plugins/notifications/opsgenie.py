"""Opsgenie: `OpsgenieAlert` and `OpsgenieExecution` (the Alert API's create-alert request).

`authorizationToken` is sent as the `Authorization` header as given (`GenieKey <key>`).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.templating.properties import (
    Text,
    render_list,
    render_map,
    render_str,
    require_str,
)
from tercel.plugins.notifications.common import ExecutionNotice, WebhookTask
from tercel.plugins.slack.post import dumps, post_payload


@plugin("io.kestra.plugin.notifications.opsgenie.OpsgenieAlert")
class OpsgenieAlert(WebhookTask):
    """Create an alert (`payload`, the Alert API's JSON) at `url`."""

    authorization_token: Text | None = Field(
        default=None, description="The `Authorization` header, e.g. `GenieKey <key>`."
    )

    def headers(self, ctx: TaskContext) -> dict[str, str]:
        """`options.headers` and the authorization."""
        headers = super().headers(ctx)
        token = render_str(ctx, self.authorization_token)
        if token:
            headers["Authorization"] = token
        return headers


@plugin("io.kestra.plugin.notifications.opsgenie.OpsgenieExecution")
class OpsgenieExecution(OpsgenieAlert, ExecutionNotice):
    """Create an Opsgenie alert about an execution."""

    message: Text | None = Field(default=None, description="The alert's message.")
    alias: Text | None = Field(default=None, description="The alert's alias (deduplication).")
    responders: dict[str, str] | str | None = Field(
        default=None, description="Responders: id → type (team, user, escalation, schedule)."
    )
    visible_to: dict[str, str] | str | None = Field(
        default=None, description="Who sees the alert: id → type."
    )
    tags: list[str] | str | None = None
    priority: Text | None = Field(default=None, description="P1 to P5.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Build the alert and send it."""
        summary = self.summary(ctx)
        alert: dict[str, Any] = {"message": render_str(ctx, self.message) or summary.headline}
        alias = render_str(ctx, self.alias)
        if alias:
            alert["alias"] = alias
        description = f"*<{summary.link}|{summary.headline}"
        if summary.last_task:
            description += f" - Final task ID {summary.last_task}"
        description += f">*\n> {summary.outcome}"
        custom = self.message_line(ctx)
        if custom:
            description += f"\n{custom}"
        alert["description"] = description
        for key, value, name in (
            ("responders", self.responders, "responders"),
            ("visibleTo", self.visible_to, "visibleTo"),
        ):
            entries = render_map(ctx, value, name)
            if entries:
                alert[key] = [{"id": str(k), "type": str(v)} for k, v in entries.items()]
        tags = render_list(ctx, self.tags, "tags")
        if tags:
            alert["tags"] = [str(tag) for tag in tags]
        priority = render_str(ctx, self.priority)
        if priority:
            alert["priority"] = priority
        details = {
            "Namespace": summary.namespace,
            "Flow ID": summary.flow_id,
            "Execution ID": summary.id,
            "Execution Status": summary.state,
            **self.extra_fields(ctx),
        }
        if summary.last_task:
            details["Final task ID"] = summary.last_task
        alert["details"] = details
        await post_payload(ctx, require_str(ctx, self.url, "url"), dumps(alert), self.headers(ctx))
        return TaskResult()
