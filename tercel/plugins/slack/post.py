"""Sending a JSON payload to an incoming webhook (Slack's, and every other vendor's)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import httpx

from tercel.errors import TaskError
from tercel.plugins.context import TaskContext

#: Slack answers within a second; a stuck receiver must not hold a worker for long.
TIMEOUT_SECONDS = 30.0


def dumps(payload: Any) -> str:
    """The payload as compact JSON text (non-ASCII characters kept, as Slack expects)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


async def post_payload(
    ctx: TaskContext, url: str, body: str, headers: Mapping[str, str] | None = None
) -> httpx.Response:
    """POST `body` (JSON text) to `url` (with extra `headers`); a non-2xx answer or a network
    error fails the task. Every webhook-style notification task sends through here."""
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT_SECONDS) as client:
            response = await client.post(
                url,
                content=body.encode("utf-8"),
                headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})},
            )
    except httpx.HTTPError as error:
        # The webhook URL is a credential: never echo it back in the error.
        raise TaskError(f"cannot send the message to the webhook: {type(error).__name__}") from None
    if response.status_code >= 300:
        raise TaskError(
            f"the webhook answered {response.status_code}: {response.text[:200].strip()}"
        )
    ctx.logger.debug("message sent to the webhook")
    return response
