"""`email.MailExecution` (also `notifications.mail.MailExecution`): e-mail a summary of an
execution (by default the current one; in a Flow-triggered flow, `{{ trigger.executionId }}`).

The summary is the one the Slack tasks post (`tercel.plugins.slack.summary`), as an HTML
table and as plain text.
"""

from __future__ import annotations

from html import escape
from typing import Any

from pydantic import Field

from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.templating.properties import Text, render_map, render_str, require_str
from tercel.plugins.mail.send import MailServerTask
from tercel.plugins.slack.summary import ExecutionSummary, load_summary


@plugin(
    "io.kestra.plugin.email.MailExecution",
    aliases=("io.kestra.plugin.notifications.mail.MailExecution",),
)
class MailExecution(MailServerTask):
    """Send an e-mail with the execution's link, namespace, flow, dates, state and failed task."""

    execution_id: Text = Field(
        default="{{ execution.id }}", description="The execution to report on."
    )
    custom_message: Text | None = Field(default=None, description="A line added to the text.")
    custom_fields: dict[str, Any] | str | None = Field(
        default=None, description="More rows of the summary table."
    )
    plain_text_content: Text | None = Field(
        default=None, description="Replaces the plain-text summary."
    )
    template_render_map: dict[str, Any] | None = Field(
        default=None, description="Accepted: the summary uses Tercel's own layout."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Read the execution, build the summary and deliver it."""
        execution_id = require_str(ctx, self.execution_id, "executionId")
        summary = load_summary(ctx, execution_id, self.type)
        message, recipients = self.envelope(ctx)
        if message["Subject"] is None:
            message["Subject"] = f"[{summary.namespace}] {summary.flow_id} ➛ {summary.state}"
        rows = _rows(summary) + [
            (str(key), "" if value is None else str(value))
            for key, value in render_map(ctx, self.custom_fields, "customFields").items()
        ]
        custom = render_str(ctx, self.custom_message)
        text = render_str(ctx, self.plain_text_content) or _text(summary, rows, custom)
        message.set_content(text)
        message.add_alternative(_html(summary, rows, custom), subtype="html")
        self.add_files(ctx, message, True)
        await self.send(ctx, message, recipients)
        return TaskResult()


def _rows(summary: ExecutionSummary) -> list[tuple[str, str]]:
    rows = [
        ("Namespace", summary.namespace),
        ("Flow", summary.flow_id),
        ("Execution", summary.id),
        ("Status", summary.state),
    ]
    if summary.start_date:
        rows.append(("Start", summary.start_date))
    if summary.duration:
        rows.append(("Duration", summary.duration))
    if summary.failed_task:
        rows.append(("Failed task", summary.failed_task))
    return rows


def _text(summary: ExecutionSummary, rows: list[tuple[str, str]], custom: str | None) -> str:
    lines = [f"[{summary.namespace}] {summary.flow_id} ➛ {summary.state}", summary.link, ""]
    if custom:
        lines += [custom, ""]
    lines += [f"{title}: {value}" for title, value in rows]
    return "\n".join(lines) + "\n"


def _html(summary: ExecutionSummary, rows: list[tuple[str, str]], custom: str | None) -> str:
    cells = "".join(
        f"<tr><th align='left'>{escape(title)}</th><td>{escape(value)}</td></tr>"
        for title, value in rows
    )
    note = f"<p>{escape(custom)}</p>" if custom else ""
    return (
        f"<p><a href='{escape(summary.link)}'>[{escape(summary.namespace)}] "
        f"{escape(summary.flow_id)} ➛ {escape(summary.state)}</a></p>{note}<table>{cells}</table>"
    )
