"""PagerDuty: `PagerDutyAlert` and `PagerDutyExecution` (an Events API v2 event)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.templating.properties import Text, render_enum, render_str, require_str
from tercel.plugins.notifications.common import ExecutionNotice, WebhookTask
from tercel.plugins.slack.post import dumps, post_payload

EVENT_ACTIONS = ("TRIGGER", "ACKNOWLEDGE", "RESOLVE")


@plugin("io.kestra.plugin.notifications.pagerduty.PagerDutyAlert")
class PagerDutyAlert(WebhookTask):
    """Send an event (`payload`, Events API v2 JSON) to `url` (`.../v2/enqueue`)."""


@plugin("io.kestra.plugin.notifications.pagerduty.PagerDutyExecution")
class PagerDutyExecution(WebhookTask, ExecutionNotice):
    """Trigger (or acknowledge, resolve) a PagerDuty alert about an execution."""

    routing_key: Text | None = Field(default=None, description="The integration's key.")
    deduplication_key: Text | None = Field(default=None, description="The alert's `dedup_key`.")
    event_action: Text | None = Field(
        default=None, description="trigger (default), or acknowledge when a key is given."
    )
    payload_summary: Text | None = Field(default=None, description="The alert's summary.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Build the event and send it."""
        summary = self.summary(ctx)
        dedup = render_str(ctx, self.deduplication_key)
        if self.event_action is not None:
            action = render_enum(ctx, self.event_action, "eventAction", EVENT_ACTIONS).lower()
        else:
            action = "acknowledge" if dedup else "trigger"
        details: dict[str, Any] = {
            "Namespace": summary.namespace,
            "Flow ID": summary.flow_id,
            "Execution ID": summary.id,
            "Execution Status": summary.state,
            **self.extra_fields(ctx),
        }
        custom = self.message_line(ctx)
        if custom:
            details["Message"] = custom
        event: dict[str, Any] = {}
        routing = render_str(ctx, self.routing_key)
        if routing:
            event["routing_key"] = routing
        if dedup:
            event["dedup_key"] = dedup
        event["event_action"] = action
        event["payload"] = {
            "summary": render_str(ctx, self.payload_summary) or summary.headline,
            "source": f"{summary.namespace} {summary.id}",
            "severity": "error" if summary.failed_task else "info",
            "custom_details": details,
        }
        event["links"] = [{"href": summary.link, "text": summary.outcome}]
        await post_payload(ctx, require_str(ctx, self.url, "url"), dumps(event), self.headers(ctx))
        return TaskResult()
