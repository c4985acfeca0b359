"""Server-sent events built by polling the store: simple, and it works across processes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from starlette.requests import Request

#: How often a follower polls the store for news.
POLL_SECONDS = 0.2
#: A comment line keeps proxies from closing an idle stream.
KEEPALIVE_SECONDS = 15.0


def event(data: Any, name: str | None = None, event_id: str | None = None) -> str:
    """One SSE message carrying JSON."""
    lines = []
    if event_id is not None:
        lines.append(f"id: {event_id}")
    if name is not None:
        lines.append(f"event: {name}")
    lines.append("data: " + json.dumps(data, separators=(",", ":")))
    return "\n".join(lines) + "\n\n"


async def poll_stream(
    request: Request,
    step: Callable[[], Awaitable[tuple[list[str], bool]]],
    *,
    interval: float = POLL_SECONDS,
) -> AsyncIterator[str]:
    """Call `step` until it says it is done or the client goes away; yield its messages."""
    idle = 0.0
    while True:
        messages, done = await step()
        for message in messages:
            yield message
        if done:
            return
        if await request.is_disconnected():
            return
        if messages:
            idle = 0.0
        else:
            idle += interval
            if idle >= KEEPALIVE_SECONDS:
                idle = 0.0
                yield ": keep-alive\n\n"
        await asyncio.sleep(interval)
