"""`http.Trigger`: poll a URL and start an execution when `responseCondition` holds."""

from __future__ import annotations

from typing import Any

from tercel.model.registry import Category, plugin
from tercel.model.trigger import PollingTrigger


@plugin(
    "io.kestra.plugin.core.http.Trigger",
    category=Category.TRIGGER,
    aliases=("io.kestra.plugin.fs.http.Trigger",),
)
class HttpTrigger(PollingTrigger):
    """Call `uri` every `interval`; the response is available as `trigger.*`."""

    uri: str
    method: str = "GET"
    body: str | None = None
    form_data: dict[str, Any] | None = None
    content_type: str | None = None
    headers: dict[str, Any] | None = None
    options: dict[str, Any] | None = None
    ssl_options: dict[str, Any] | None = None
    response_condition: str = "{{ response.statusCode < 400 }}"
    encrypt_body: bool = False
