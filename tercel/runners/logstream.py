"""Turn a child's stdout/stderr into log lines and the ``::{...}::`` output protocol.

Memory stays bounded whatever the child prints: bytes are read in chunks, a line longer
than `MAX_LINE_BYTES` is cut, and lines are handed to the sink in batches. When the sink
is slow, reading pauses, the pipe fills and the child blocks: back-pressure, not buffering.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

#: Longer lines are cut (with a marker) so one runaway line cannot exhaust memory.
MAX_LINE_BYTES = 1 << 20
CHUNK_BYTES = 1 << 16
#: A batch is handed over once it holds this many lines...
BATCH_LINES = 2000
#: ...or once its oldest line waited this long (so slow output still shows up live).
BATCH_SECONDS = 0.2

_PROTOCOL = re.compile(r"^::(\{.*\})::$")
_LEVELS = {"TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR"}


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line a script printed (or logged through the protocol)."""

    timestamp: float
    level: str
    message: str
    stream: str


LineSink = Callable[[list[LogLine]], Awaitable[None] | None]


@dataclass(slots=True)
class ProtocolState:
    """What the ``::{...}::`` lines said so far (Kestra §5.2)."""

    outputs: dict[str, Any] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    stdout_lines: int = 0
    stderr_lines: int = 0


def parse_protocol(text: str) -> dict[str, Any] | None:
    """The JSON of a protocol line, or None when the line is ordinary output."""
    match = _PROTOCOL.match(text.strip())
    if match is None:
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def apply_protocol(data: dict[str, Any], state: ProtocolState, now: float) -> list[LogLine]:
    """Merge outputs and metrics into `state`; return the log lines the message carried."""
    outputs = data.get("outputs")
    if isinstance(outputs, dict):
        state.outputs.update(outputs)
    metrics = data.get("metrics")
    if isinstance(metrics, list):
        state.metrics.extend(metric for metric in metrics if _valid_metric(metric))
    logs: list[LogLine] = []
    entries = data.get("logs")
    if isinstance(entries, list):
        for entry in entries:
            if not isinstance(entry, dict):
                continue
            level = str(entry.get("level", "INFO")).upper()
            level = "WARN" if level == "WARNING" else level
            logs.append(
                LogLine(
                    now,
                    level if level in _LEVELS else "INFO",
                    str(entry.get("message", "")),
                    "protocol",
                )
            )
    return logs


def _valid_metric(metric: Any) -> bool:
    return (
        isinstance(metric, dict)
        and isinstance(metric.get("name"), str)
        and isinstance(metric.get("value"), int | float)
        and not isinstance(metric.get("value"), bool)
    )


class LineBatcher:
    """Collects lines from both streams and hands them to the sink in batches."""

    def __init__(self, sink: LineSink, state: ProtocolState) -> None:
        self._sink = sink
        self._state = state
        self._batch: list[LogLine] = []
        self._first_at = 0.0
        self._lock = asyncio.Lock()
        #: The last stderr lines, to recognise how a child died (e.g. MemoryError).
        self._stderr_tail: deque[str] = deque(maxlen=20)

    async def add(self, stream: str, raw_lines: list[bytes]) -> None:
        """Classify raw lines of one stream (protocol or log), then flush when due."""
        now = time.time()
        level = "INFO" if stream == "stdout" else "ERROR"
        for raw in raw_lines:
            text = raw.decode("utf-8", errors="replace").rstrip("\r")
            # Cheap prefix test first: only candidate lines pay for the regex and JSON.
            data = parse_protocol(text) if text.startswith("::") else None
            if data is not None:
                self._append(apply_protocol(data, self._state, now))
                continue
            if stream == "stdout":
                self._state.stdout_lines += 1
            else:
                self._state.stderr_lines += 1
                self._stderr_tail.append(text)
            self._append([LogLine(now, level, text, stream)])
            if len(self._batch) >= BATCH_LINES:
                # Bounded batches keep each (synchronous) sink call short for the event loop.
                await self.flush()
        if self._batch and now - self._first_at >= BATCH_SECONDS:
            await self.flush()

    def _append(self, lines: list[LogLine]) -> None:
        if lines and not self._batch:
            self._first_at = lines[0].timestamp
        self._batch.extend(lines)

    def saw_any(self, markers: Iterable[str]) -> bool:
        """Whether one of the last stderr lines contains one of `markers`."""
        markers = tuple(markers)
        return any(marker in line for line in self._stderr_tail for marker in markers)

    async def flush(self) -> None:
        """Hand over whatever is pending."""
        async with self._lock:
            if not self._batch:
                return
            batch, self._batch = self._batch, []
            result = self._sink(batch)
            if inspect.isawaitable(result):
                await result
            else:
                # Let other tasks run between two batches of a chatty child.
                await asyncio.sleep(0)

    async def flush_periodically(self) -> None:
        """Run until cancelled: flush lines that waited too long (a quiet child)."""
        while True:
            await asyncio.sleep(BATCH_SECONDS)
            if self._batch and time.time() - self._first_at >= BATCH_SECONDS:
                await self.flush()


class LineSplitter:
    """Splits a byte stream into lines; cuts lines longer than `MAX_LINE_BYTES`."""

    def __init__(self) -> None:
        self._pending = bytearray()
        self._overflow = False

    def feed(self, chunk: bytes) -> list[bytes]:
        """The lines `chunk` completes (without their newline)."""
        parts = chunk.split(b"\n")
        complete: list[bytes] = []
        pending = self._pending
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            if self._overflow:
                # Skip the rest of an over-long line, up to its newline.
                if not last:
                    self._overflow = False
                continue
            pending += part
            if len(pending) > MAX_LINE_BYTES:
                complete.append(bytes(pending[:MAX_LINE_BYTES]) + b" [line truncated]")
                pending.clear()
                self._overflow = last
                continue
            if not last:
                complete.append(bytes(pending))
                pending.clear()
        return complete

    def finish(self) -> list[bytes]:
        """The last line, when the stream did not end with a newline."""
        rest = [bytes(self._pending)] if self._pending else []
        self._pending.clear()
        return rest


async def pump(reader: asyncio.StreamReader, stream: str, batcher: LineBatcher) -> None:
    """Read `reader` to EOF and hand its lines to `batcher`."""
    splitter = LineSplitter()
    while True:
        chunk = await reader.read(CHUNK_BYTES)
        if not chunk:
            break
        complete = splitter.feed(chunk)
        if complete:
            await batcher.add(stream, complete)
    rest = splitter.finish()
    if rest:
        await batcher.add(stream, rest)
