"""`core.http.SseRequest` against a local server streaming Server-Sent Events."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from stack_http_server import LocalHttpServer

from tercel.errors import TaskError
from tercel.testing import FakeTaskContext, run_task

pytestmark = pytest.mark.integration

STREAM = (
    ": keep-alive\n\n"
    'data: {"message": "Hello", "n": 1}\n\n'
    "event: progress\nid: 2\n"
    'data: {"message": ", ",\ndata: "n": 2}\n\n'
    'data: {"message": "world"}\n\n'
    "data: [DONE]\n\n"
)


@pytest.fixture
def server() -> Iterator[LocalHttpServer]:
    with LocalHttpServer() as local:
        local.route("GET", "/events", body=STREAM, headers={"Content-Type": "text/event-stream"})
        local.route("GET", "/gone", status=404, body="no stream")
        yield local


async def test_every_event_is_kept_with_json_data_parsed(
    server: LocalHttpServer, tmp_path: Path
) -> None:
    ctx = FakeTaskContext(tmp_path)
    task = {
        "id": "consume",
        "type": "io.kestra.plugin.core.http.SseRequest",
        "uri": server.url("/events"),
        "headers": {"Authorization": "Bearer t0ken"},
    }
    outputs = (await run_task(task, ctx)).outputs
    assert outputs is not None
    assert outputs["size"] == 4
    assert outputs["uri"] == server.url("/events")
    assert outputs["events"] == [
        {"data": {"message": "Hello", "n": 1}},
        {"data": {"message": ", ", "n": 2}, "event": "progress", "id": "2"},
        {"data": {"message": "world"}},
        {"data": "[DONE]"},
    ]
    assert "result" not in outputs
    sent = server.requests[0]
    assert sent.header("accept") == "text/event-stream"
    assert sent.header("authorization") == "Bearer t0ken"
    assert ctx.metrics[0]["name"] == "size"


async def test_a_jq_expression_concatenates_the_values(
    server: LocalHttpServer, tmp_path: Path
) -> None:
    task = {
        "id": "consume",
        "type": "io.kestra.plugin.core.http.SseRequest",
        "uri": server.url("/events"),
        "concatJqExpression": "$.data.message",
        "failedOnMissingJq": False,
    }
    outputs = (await run_task(task, FakeTaskContext(tmp_path))).outputs
    assert outputs is not None
    assert outputs["result"] == "Hello, world"
    assert "events" not in outputs
    strict = {**task, "failedOnMissingJq": True}
    with pytest.raises(TaskError, match="cannot read"):
        await run_task(strict, FakeTaskContext(tmp_path))


async def test_an_error_status_fails_the_task(server: LocalHttpServer, tmp_path: Path) -> None:
    task = {
        "id": "consume",
        "type": "io.kestra.plugin.core.http.SseRequest",
        "uri": server.url("/gone"),
    }
    with pytest.raises(TaskError, match="404"):
        await run_task(task, FakeTaskContext(tmp_path))
