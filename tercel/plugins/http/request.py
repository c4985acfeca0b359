"""`io.kestra.plugin.core.http.Request`: call a URL, return code, headers and body."""

from __future__ import annotations

import httpx

from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.http.options import HttpTask, response_headers, transport_error


@plugin(
    "io.kestra.plugin.core.http.Request",
    aliases=("io.kestra.plugin.fs.http.Request", "io.kestra.core.tasks.http.Request"),
)
class Request(HttpTask):
    """Send an HTTP request; outputs `uri`, `code`, `headers` and `body` (text)."""

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Send the request; a 4xx/5xx fails the task unless `allowFailed`."""
        kwargs = self.request_kwargs(ctx)
        async with self.client(ctx) as client:
            try:
                response = await client.request(**kwargs)
            except httpx.HTTPError as error:
                raise transport_error(error, kwargs["url"]) from None
        message = f"{kwargs['method']} {kwargs['url']} -> {response.status_code}"
        ctx.logger.debug(message)
        ctx.metric("response.length", "counter", float(len(response.content)))
        self.check_status(ctx, response)
        return TaskResult(
            outputs={
                "uri": str(response.request.url),
                "code": response.status_code,
                "headers": response_headers(response),
                "body": response.text if response.content else None,
            }
        )
