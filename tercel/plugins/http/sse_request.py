"""`io.kestra.plugin.core.http.SseRequest`: consume a Server-Sent Events stream to its end.

Each event is kept as ``{"data": ..., "event": ..., "id": ...}`` (fields the server sent),
`data` parsed as JSON when it is JSON. With `concatJqExpression`, the expression runs on each
event and the text values it gives are concatenated into `result` (``$.data.x`` is read as
``.data.x``); otherwise the events are the `events` output. The stream is read as it comes,
until the server closes it.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
from pydantic import Field

from tercel.errors import TaskError, TemplateError
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.templating.properties import Text, render_bool, render_str
from tercel.plugins.http.options import HttpTask, transport_error
from tercel.templating.jqrun import run_jq


@plugin("io.kestra.plugin.core.http.SseRequest")
class SseRequest(HttpTask):
    """Consume an SSE endpoint; outputs `uri`, `size`, and `events` or `result`."""

    concat_jq_expression: Text | None = Field(
        default=None, description="jq run on each event; the text values are concatenated."
    )
    failed_on_missing_jq: bool | str = Field(
        default=True, description="Fail when the expression gives no text for an event."
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Read every event, then answer as Kestra does."""
        kwargs = self.request_kwargs(ctx)
        kwargs["headers"].setdefault("Accept", "text/event-stream")
        events: list[dict[str, Any]] = []
        async with self.client(ctx) as client:
            try:
                async with client.stream(**kwargs) as response:
                    if response.status_code >= 400:
                        await response.aread()
                        self.check_status(ctx, response)
                    async for event in _events(response):
                        events.append(event)
                        if ctx.cancelled:
                            break
            except httpx.HTTPError as error:
                raise transport_error(error, kwargs["url"]) from None
        ctx.metric("size", "counter", float(len(events)))
        outputs: dict[str, Any] = {"uri": kwargs["url"], "size": len(events)}
        program = render_str(ctx, self.concat_jq_expression)
        parts = self._extract(ctx, program, events) if program else []
        if parts:
            outputs["result"] = "".join(parts)
        else:
            outputs["events"] = events
        return TaskResult(outputs=outputs)

    def _extract(self, ctx: TaskContext, program: str, events: list[dict[str, Any]]) -> list[str]:
        strict = render_bool(ctx, self.failed_on_missing_jq, "failedOnMissingJq", True)
        expression = program[1:] if program.startswith("$.") else program
        parts = []
        for event in events:
            try:
                values = run_jq(expression, event)
                text = _text(values[0]) if values else None
            except (TemplateError, ValueError) as error:
                text, failure = None, str(error)
            else:
                failure = "it gave no text value"
            if text is None:
                message = f"cannot read `{program}` from the event {json.dumps(event)}: {failure}"
                if strict:
                    raise TaskError(message)
                ctx.logger.debug(message)
                continue
            parts.append(text)
        return parts


def _text(value: Any) -> str | None:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    return None


async def _events(response: httpx.Response) -> AsyncIterator[dict[str, Any]]:
    """The events of an SSE stream (the `text/event-stream` format)."""
    fields: dict[str, str] = {}
    data: list[str] = []
    async for line in response.aiter_lines():
        if line == "":
            if data or fields:
                yield _event(fields, data)
            fields, data = {}, []
            continue
        if line.startswith(":"):
            continue  # a comment (often a keep-alive)
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            data.append(value)
        elif name in ("event", "id", "retry"):
            fields[name] = value
    if data or fields:
        yield _event(fields, data)


def _event(fields: dict[str, str], data: list[str]) -> dict[str, Any]:
    text = "\n".join(data)
    try:
        parsed: Any = json.loads(text)
    except json.JSONDecodeError:
        parsed = text
    return {"data": parsed, **fields}
