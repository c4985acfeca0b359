"""FakeTaskContext behaves like the runtime's context for the things plugins rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tercel.errors import ConflictError, InvalidNameError, NotFoundError, SecretError
from tercel.testing import FakeTaskContext, LogLine, parse_task, run_task


def test_render_uses_variables_and_extra(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"name": "Ada"}})
    assert ctx.render("hi {{ inputs.name }}") == "hi Ada"
    assert ctx.render(["{{ flow.namespace }}", {"k": "{{ x }}"}], {"x": 1}) == [
        "company.team",
        {"k": "1"},
    ]


def test_render_typed_keeps_the_type(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"items": [1, 2]}})
    assert ctx.render_typed("{{ inputs.items }}") == [1, 2]


def test_file_uri_is_under_the_task_run_folder(tmp_path: Path) -> None:
    ctx = FakeTaskContext(
        tmp_path, namespace="a.b", flow_id="f", execution_id="e", task_id="t", task_run_id="r"
    )
    assert ctx.file_uri("out.ion") == "kestra:///a/b/f/executions/e/tasks/t/r/out.ion"


def test_storage_round_trips_and_lists(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    uri = ctx.storage.put(ctx.file_uri("a.txt"), b"hello")
    assert ctx.storage.get(uri) == b"hello"
    assert ctx.storage.size(uri) == 5
    assert ctx.storage.list(uri.rsplit("/", 1)[0]) == [uri]
    assert ctx.storage.delete(uri)
    with pytest.raises(NotFoundError):
        ctx.storage.get(uri)


def test_storage_refuses_paths_escaping_the_base(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    with pytest.raises(InvalidNameError):
        ctx.storage.put("kestra:///../../etc/x", b"")


def test_kv_honours_overwrite_and_ttl(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    ctx.kv.set("ns", "k", 1)
    with pytest.raises(ConflictError):
        ctx.kv.set("ns", "k", 2, overwrite=False)
    ctx.kv.set("ns", "gone", 1, ttl_seconds=-1)
    assert ctx.kv.get("ns", "gone") is None
    assert ctx.kv.keys("ns") == ["k"]


def test_secrets_are_case_insensitive_and_masked_in_logs(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, secrets={"DB_PASSWORD": "hunter2"})
    message = f"password is {ctx.secret('db_password')}"
    ctx.logger.info(message)
    assert ctx.logs == [LogLine("INFO", "password is ******")]
    with pytest.raises(SecretError, match="missing"):
        ctx.secret("missing")


def test_warning_level_is_stored_as_warn(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    ctx.logger.warning("careful")
    assert ctx.messages("WARN") == ["careful"]


def test_context_without_base_dir_cleans_up() -> None:
    with FakeTaskContext() as ctx:
        base = ctx.base_dir
        assert ctx.working_dir.is_dir()
    assert not base.exists()


async def test_run_task_parses_aliases_and_runs(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    result = await run_task(
        {"id": "r", "type": "io.kestra.core.tasks.debugs.Return", "format": "{{ task.id }}"}, ctx
    )
    assert result.outputs == {"value": "task"}
    assert parse_task({"id": "r", "type": "io.kestra.core.tasks.debugs.Return"}).type == (
        "io.kestra.plugin.core.debug.Return"
    )


def test_templates_can_call_kv_secret_and_read(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, secrets={"TOKEN": "s3cr3t"})
    ctx.kv.set("company.team", "my-key", "kv-value")
    ctx.storage.put("kestra:///company/team/_files/hello.txt", b"file content")
    assert ctx.render("{{ kv('my-key') }}") == "kv-value"
    assert ctx.render("{{ secret('token') }}") == "s3cr3t"
    assert ctx.render("{{ read('hello.txt') }}") == "file content"
    assert ctx.mask("token s3cr3t") == "token ******"
