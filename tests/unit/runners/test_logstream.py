"""Line splitting and the ``::{...}::`` output protocol."""

from __future__ import annotations

import asyncio

import pytest

from tercel.runners import logstream
from tercel.runners.logstream import LineBatcher, LogLine, ProtocolState, parse_protocol, pump


async def _pump(data: bytes, stream: str = "stdout") -> tuple[list[LogLine], ProtocolState]:
    received: list[LogLine] = []
    state = ProtocolState()
    batcher = LineBatcher(received.extend, state)
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    await pump(reader, stream, batcher)
    await batcher.flush()
    return received, state


def test_protocol_lines_are_recognised_only_when_they_are_whole_json_objects() -> None:
    assert parse_protocol('::{"outputs":{"a":1}}::') == {"outputs": {"a": 1}}
    assert parse_protocol('  ::{"outputs":{}}::  ') == {"outputs": {}}
    assert parse_protocol("::{not json}::") is None
    assert parse_protocol('say ::{"outputs":{}}::') is None
    assert parse_protocol("::[1,2]::") is None


async def test_stdout_lines_are_info_and_counted() -> None:
    lines, state = await _pump(b"one\ntwo\r\nthree")
    assert [(line.level, line.message) for line in lines] == [
        ("INFO", "one"),
        ("INFO", "two"),
        ("INFO", "three"),
    ]
    assert state.stdout_lines == 3


async def test_stderr_lines_are_errors() -> None:
    lines, state = await _pump(b"boom\n", "stderr")
    assert [(line.level, line.message) for line in lines] == [("ERROR", "boom")]
    assert state.stderr_lines == 1


async def test_protocol_outputs_merge_later_keys_win_and_are_not_logged() -> None:
    data = (
        b'::{"outputs":{"a":1,"b":2}}::\n'
        b"plain\n"
        b'::{"outputs":{"b":3},"metrics":[{"name":"rows","type":"counter","value":5,'
        b'"tags":{"t":"x"}},{"name":"bad"}],"logs":[{"level":"warn","message":"careful"}]}::\n'
    )
    lines, state = await _pump(data)
    assert state.outputs == {"a": 1, "b": 3}
    assert state.metrics == [{"name": "rows", "type": "counter", "value": 5, "tags": {"t": "x"}}]
    assert [(line.level, line.message) for line in lines] == [
        ("INFO", "plain"),
        ("WARN", "careful"),
    ]
    assert state.stdout_lines == 1


async def test_an_endless_line_is_cut_not_buffered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logstream, "MAX_LINE_BYTES", 10)
    monkeypatch.setattr(logstream, "CHUNK_BYTES", 4)
    lines, _ = await _pump(b"x" * 50 + b"\nnext\n")
    assert [line.message for line in lines] == ["xxxxxxxxxx [line truncated]", "next"]


async def test_lines_reach_the_sink_in_batches() -> None:
    batches: list[int] = []
    state = ProtocolState()
    batcher = LineBatcher(lambda batch: batches.append(len(batch)), state)
    reader = asyncio.StreamReader()
    reader.feed_data(b"x\n" * (logstream.BATCH_LINES * 3))
    reader.feed_eof()
    await pump(reader, "stdout", batcher)
    await batcher.flush()
    assert sum(batches) == logstream.BATCH_LINES * 3
    assert len(batches) < 10
