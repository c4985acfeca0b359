"""A followed container log that ends early loses no line (Podman writes logs asynchronously)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, cast

from tercel.runners.docker import _stream
from tercel.runners.docker_api import STDERR, DockerClient
from tercel.runners.logstream import LineBatcher, LogLine, ProtocolState

STDOUT = 1
FULL = [
    (STDOUT, b"first\nsec"),
    (STDERR, b"oops\n"),
    (STDOUT, b"ond\n"),
    (STDOUT, b'::{"outputs":{"where":"container"}}::\n'),
]


class EarlyEndingLogs:
    """The followed stream stops after two frames; the full log has all four."""

    async def logs(
        self, container: str, *, follow: bool = True
    ) -> AsyncIterator[tuple[int, bytes]]:
        for frame in FULL[:2] if follow else FULL:
            yield frame


async def test_lines_missing_from_the_followed_stream_are_read_afterwards_once() -> None:
    received: list[LogLine] = []
    state = ProtocolState()
    batcher = LineBatcher(received.extend, state)

    await _stream(cast("DockerClient", cast("Any", EarlyEndingLogs())), "c1", batcher)
    await batcher.flush()

    assert [(line.stream, line.message) for line in received] == [
        ("stdout", "first"),
        ("stderr", "oops"),
        ("stdout", "second"),
    ]
    assert state.outputs == {"where": "container"}
