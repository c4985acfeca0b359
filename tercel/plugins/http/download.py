"""`io.kestra.plugin.core.http.Download`: fetch a URL into internal storage."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import ClassVar
from urllib.parse import unquote, urlparse

import httpx
from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext, TaskResult
from tercel.plugins.core.templating.properties import Text, render_bool, render_str
from tercel.plugins.http.options import HttpTask, response_headers, transport_error

_FILENAME = re.compile(r"""filename\*?=(?:UTF-8'')?"?([^";]+)"?""", re.IGNORECASE)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@plugin(
    "io.kestra.plugin.core.http.Download",
    aliases=("io.kestra.plugin.fs.http.Download", "io.kestra.core.tasks.http.Download"),
)
class Download(HttpTask):
    """Download a file; outputs `uri` (``kestra:///``), `code`, `length`, `headers`."""

    default_method: ClassVar[str] = "GET"

    fail_on_empty_response: bool | str = Field(
        default=True, description="Fail when the response has no body."
    )
    save_as: Text | None = Field(
        default=None,
        description="The file name to store the download under (default: the server's, "
        "else the URL's last segment).",
    )

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Stream the response to a temp file, then store it under the task run's folder."""
        kwargs = self.request_kwargs(ctx)
        with tempfile.TemporaryDirectory(prefix="tercel-download-") as folder:
            target = Path(folder) / "body"
            length = 0
            async with self.client(ctx) as client:
                try:
                    async with client.stream(**kwargs) as response:
                        self.check_status(ctx, response)
                        with target.open("wb") as sink:
                            async for chunk in response.aiter_bytes():
                                if ctx.cancelled:
                                    raise TaskError("download cancelled")
                                sink.write(chunk)
                                length += len(chunk)
                except httpx.HTTPError as error:
                    raise transport_error(error, kwargs["url"]) from None
            if length == 0 and render_bool(
                ctx, self.fail_on_empty_response, "failOnEmptyResponse", True
            ):
                raise TaskError(f"no response body from {kwargs['url']}")
            name = _safe_name(render_str(ctx, self.save_as) or "") or _file_name(response)
            uri = ctx.storage.put(ctx.file_uri(name), target)
        ctx.metric("response.length", "counter", float(length))
        message = f"downloaded {length} bytes from {kwargs['url']} to {uri}"
        ctx.logger.debug(message)
        return TaskResult(
            outputs={
                "uri": uri,
                "code": response.status_code,
                "length": length,
                "headers": response_headers(response),
            }
        )


def _file_name(response: httpx.Response) -> str:
    """The server's file name (Content-Disposition), else the URL's last segment."""
    disposition = response.headers.get("content-disposition", "")
    match = _FILENAME.search(disposition)
    raw = unquote(match.group(1)) if match else ""
    if not raw:
        raw = unquote(urlparse(str(response.request.url)).path.rsplit("/", 1)[-1])
    return _safe_name(raw) or "download"


def _safe_name(raw: str) -> str:
    """The last path segment of `raw`, with unusual characters replaced."""
    return _UNSAFE.sub("_", raw.replace("\\", "/").rsplit("/", 1)[-1]).strip("._")
