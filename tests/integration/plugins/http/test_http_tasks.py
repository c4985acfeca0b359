"""http.Request and http.Download against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from stack_http_server import LocalHttpServer, Recorded, Reply

from tercel.errors import TaskError
from tercel.testing import FakeTaskContext, run_task

pytestmark = pytest.mark.integration

REQUEST = "io.kestra.plugin.core.http.Request"
DOWNLOAD = "io.kestra.plugin.core.http.Download"


@pytest.fixture
def server() -> Iterator[LocalHttpServer]:
    with LocalHttpServer() as running:
        yield running


@pytest.fixture
def ctx(tmp_path: Path) -> FakeTaskContext:
    return FakeTaskContext(tmp_path, variables={"inputs": {"name": "Ada"}})


async def test_get_returns_code_headers_and_body(
    server: LocalHttpServer, ctx: FakeTaskContext
) -> None:
    server.route("GET", "/deals", json_body=[{"id": 1}], headers={"X-Total": "1"})
    result = await run_task({"id": "t", "type": REQUEST, "uri": server.url("/deals")}, ctx)
    assert result.outputs is not None
    assert result.outputs["code"] == 200
    assert json.loads(result.outputs["body"]) == [{"id": 1}]
    assert result.outputs["headers"]["x-total"] == ["1"]
    assert result.outputs["uri"] == server.url("/deals")


async def test_post_sends_rendered_body_headers_and_content_type(
    server: LocalHttpServer, ctx: FakeTaskContext
) -> None:
    server.route("POST", "/hook", status=201, body="created")
    task = {
        "id": "t",
        "type": REQUEST,
        "uri": server.url("/hook"),
        "method": "POST",
        "contentType": "application/json",
        "headers": {"X-User": "{{ inputs.name }}"},
        "body": '{"name": "{{ inputs.name }}"}',
    }
    result = await run_task(task, ctx)
    assert result.outputs is not None
    assert result.outputs["code"] == 201
    assert result.outputs["body"] == "created"
    sent = server.requests[0]
    assert sent.json() == {"name": "Ada"}
    assert sent.header("content-type") == "application/json"
    assert sent.header("x-user") == "Ada"


async def test_map_body_is_sent_as_json(server: LocalHttpServer, ctx: FakeTaskContext) -> None:
    server.route("PUT", "/item", body="ok")
    task = {
        "id": "t",
        "type": REQUEST,
        "uri": server.url("/item"),
        "method": "PUT",
        "body": {"n": 1, "who": "{{ inputs.name }}"},
    }
    await run_task(task, ctx)
    assert server.requests[0].json() == {"n": 1, "who": "Ada"}
    assert server.requests[0].header("content-type") == "application/json"


async def test_form_data_is_url_encoded(server: LocalHttpServer, ctx: FakeTaskContext) -> None:
    server.route("POST", "/form", body="ok")
    task = {
        "id": "t",
        "type": REQUEST,
        "uri": server.url("/form"),
        "method": "POST",
        "contentType": "application/x-www-form-urlencoded",
        "formData": {"user": "{{ inputs.name }}", "n": 2},
    }
    await run_task(task, ctx)
    assert server.requests[0].body == b"user=Ada&n=2"


async def test_form_data_with_internal_file_is_multipart(
    server: LocalHttpServer, ctx: FakeTaskContext
) -> None:
    server.route("POST", "/upload", body="ok")
    uri = ctx.storage.put(ctx.file_uri("report.csv"), b"a,b\n1,2\n")
    task = {
        "id": "t",
        "type": REQUEST,
        "uri": server.url("/upload"),
        "method": "POST",
        "contentType": "multipart/form-data",
        "formData": {"file": uri, "kind": "csv"},
    }
    await run_task(task, ctx)
    sent = server.requests[0]
    assert (sent.header("content-type") or "").startswith("multipart/form-data; boundary=")
    assert b'filename="report.csv"' in sent.body
    assert b"a,b\n1,2\n" in sent.body


async def test_basic_auth_from_options(server: LocalHttpServer, ctx: FakeTaskContext) -> None:
    server.route("GET", "/private", body="ok")
    task = {
        "id": "t",
        "type": REQUEST,
        "uri": server.url("/private"),
        "options": {"basicAuthUser": "ada", "basicAuthPassword": "s3cret"},
    }
    await run_task(task, ctx)
    expected = "Basic " + base64.b64encode(b"ada:s3cret").decode()
    assert server.requests[0].header("authorization") == expected


async def test_bearer_auth_in_the_1x_shape(server: LocalHttpServer, ctx: FakeTaskContext) -> None:
    server.route("GET", "/private", body="ok")
    task = {
        "id": "t",
        "type": REQUEST,
        "uri": server.url("/private"),
        "options": {"auth": {"type": "BEARER", "token": "tok-1"}},
    }
    await run_task(task, ctx)
    assert server.requests[0].header("authorization") == "Bearer tok-1"


async def test_error_status_fails_the_task(server: LocalHttpServer, ctx: FakeTaskContext) -> None:
    server.route("GET", "/broken", status=500, body="boom")
    with pytest.raises(TaskError, match="response code '500'"):
        await run_task({"id": "t", "type": REQUEST, "uri": server.url("/broken")}, ctx)


async def test_allow_failed_returns_the_error_response(
    server: LocalHttpServer, ctx: FakeTaskContext
) -> None:
    task = {"id": "t", "type": REQUEST, "uri": server.url("/missing"), "allowFailed": True}
    result = await run_task(task, ctx)
    assert result.outputs is not None
    assert result.outputs["code"] == 404
    assert result.outputs["body"] == "not found"


async def test_allow_failed_in_1x_options(server: LocalHttpServer, ctx: FakeTaskContext) -> None:
    task = {
        "id": "t",
        "type": REQUEST,
        "uri": server.url("/missing"),
        "options": {"allowFailed": True},
    }
    result = await run_task(task, ctx)
    assert result.outputs is not None
    assert result.outputs["code"] == 404


async def test_redirects_are_followed_unless_disabled(
    server: LocalHttpServer, ctx: FakeTaskContext
) -> None:
    server.route("GET", "/old", status=302, headers={"Location": "/new"})
    server.route("GET", "/new", body="moved here")
    followed = await run_task({"id": "t", "type": REQUEST, "uri": server.url("/old")}, ctx)
    assert followed.outputs is not None
    assert followed.outputs["body"] == "moved here"
    task = {
        "id": "t",
        "type": REQUEST,
        "uri": server.url("/old"),
        "options": {"followRedirects": False},
    }
    stopped = await run_task(task, ctx)
    assert stopped.outputs is not None
    assert stopped.outputs["code"] == 302


async def test_read_timeout_fails_with_a_timeout_message(
    server: LocalHttpServer, ctx: FakeTaskContext
) -> None:
    server.route("GET", "/slow", body="late", delay=2.0)
    task = {
        "id": "t",
        "type": REQUEST,
        "uri": server.url("/slow"),
        "options": {"readTimeout": "PT0.2S"},
    }
    with pytest.raises(TaskError, match="timed out"):
        await run_task(task, ctx)


async def test_legacy_fs_http_name_runs_the_same_task(
    server: LocalHttpServer, ctx: FakeTaskContext
) -> None:
    server.route("GET", "/x", body="hello")
    task = {"id": "t", "type": "io.kestra.plugin.fs.http.Request", "uri": server.url("/x")}
    result = await run_task(task, ctx)
    assert result.outputs is not None
    assert result.outputs["body"] == "hello"


async def test_download_stores_the_body_in_internal_storage(
    server: LocalHttpServer, ctx: FakeTaskContext
) -> None:
    payload = b"id,name\n" + b"".join(f"{i},n{i}\n".encode() for i in range(5000))
    server.route("GET", "/export/deals.csv", body=payload)
    task = {"id": "t", "type": DOWNLOAD, "uri": server.url("/export/deals.csv")}
    result = await run_task(task, ctx)
    assert result.outputs is not None
    uri = result.outputs["uri"]
    assert uri.startswith("kestra:///")
    assert uri.endswith("/deals.csv")
    assert ctx.storage.get(uri) == payload
    assert result.outputs["length"] == len(payload)
    assert result.outputs["code"] == 200


async def test_download_uses_the_content_disposition_name(
    server: LocalHttpServer, ctx: FakeTaskContext
) -> None:
    server.route(
        "GET",
        "/get",
        body=b"x",
        headers={"Content-Disposition": 'attachment; filename="events.json"'},
    )
    result = await run_task({"id": "t", "type": DOWNLOAD, "uri": server.url("/get")}, ctx)
    assert result.outputs is not None
    assert result.outputs["uri"].endswith("/events.json")


async def test_download_fails_on_an_empty_body_unless_allowed(
    server: LocalHttpServer, ctx: FakeTaskContext
) -> None:
    server.route("GET", "/empty", body=b"")
    with pytest.raises(TaskError, match="no response body"):
        await run_task({"id": "t", "type": DOWNLOAD, "uri": server.url("/empty")}, ctx)
    task = {"id": "t", "type": DOWNLOAD, "uri": server.url("/empty"), "failOnEmptyResponse": False}
    result = await run_task(task, ctx)
    assert result.outputs is not None
    assert result.outputs["length"] == 0


async def test_download_of_a_missing_file_fails(
    server: LocalHttpServer, ctx: FakeTaskContext
) -> None:
    with pytest.raises(TaskError, match="404"):
        await run_task({"id": "t", "type": DOWNLOAD, "uri": server.url("/nope")}, ctx)


async def test_handler_sees_the_query_string(server: LocalHttpServer, ctx: FakeTaskContext) -> None:
    def page(request: Recorded) -> Reply:
        return Reply(body=json.dumps({"page": request.query["page"][0]}).encode())

    server.route("GET", "/deals", page)
    task = {"id": "t", "type": REQUEST, "uri": server.url("/deals?page=3")}
    result = await run_task(task, ctx)
    assert result.outputs is not None
    assert json.loads(result.outputs["body"]) == {"page": "3"}


async def test_download_save_as_names_the_stored_file(
    server: LocalHttpServer, ctx: FakeTaskContext
) -> None:
    server.route("GET", "/export", body=b"a,b\n")
    task = {"id": "t", "type": DOWNLOAD, "uri": server.url("/export"), "saveAs": "deals.csv"}
    result = await run_task(task, ctx)
    assert result.outputs is not None
    assert result.outputs["uri"].endswith("/deals.csv")
    assert ctx.storage.get(result.outputs["uri"]) == b"a,b\n"
