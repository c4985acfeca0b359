"""Slack tasks against a local webhook receiver: the JSON that arrives is what Slack would get."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from stack_http_server import LocalHttpServer

from tercel.engine.execution import Execution, TaskRun
from tercel.engine.state import State, StateTrail
from tercel.errors import TaskError
from tercel.testing import FakeTaskContext, run_task

pytestmark = pytest.mark.integration

START = datetime(2026, 3, 1, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def receiver() -> Iterator[LocalHttpServer]:
    with LocalHttpServer() as server:
        server.route("POST", "/hook", body="ok")
        yield server


def failed_execution(namespace: str = "data.sources", flow_id: str = "hubspot") -> Execution:
    trail = StateTrail.start(START)
    trail.set(State.RUNNING, START + timedelta(seconds=1))
    trail.set(State.FAILED, START + timedelta(minutes=2, seconds=3))
    ok = StateTrail.start(START)
    ok.set(State.SUCCESS, START + timedelta(seconds=5))
    bad = StateTrail.start(START + timedelta(seconds=5))
    bad.set(State.FAILED, START + timedelta(minutes=2))
    execution = Execution("exec1", namespace, flow_id, 3, state=trail)
    execution.task_run_list = [
        TaskRun("tr1", "exec1", namespace, flow_id, "extract", ok),
        TaskRun("tr2", "exec1", namespace, flow_id, "load", bad),
    ]
    return execution


async def test_incoming_webhook_posts_the_payload_as_json(
    receiver: LocalHttpServer, tmp_path: Path
) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"who": "Ada"}})
    task = {
        "id": "t",
        "type": "io.kestra.plugin.slack.notifications.SlackIncomingWebhook",
        "url": receiver.url("/hook"),
        "payload": '{"channel": "#general", "text": "Hello {{ inputs.who }}"}',
    }
    await run_task(task, ctx)
    sent = receiver.requests[0]
    assert sent.json() == {"channel": "#general", "text": "Hello Ada"}
    assert (sent.header("content-type") or "").startswith("application/json")


async def test_incoming_webhook_message_text_and_old_name(
    receiver: LocalHttpServer, tmp_path: Path
) -> None:
    task = {
        "id": "t",
        "type": "io.kestra.plugin.notifications.slack.SlackIncomingWebhook",
        "url": receiver.url("/hook"),
        "messageText": "deploy done ✅",
    }
    await run_task(task, FakeTaskContext(tmp_path))
    assert receiver.requests[0].json() == {"text": "deploy done ✅"}


async def test_incoming_webhook_refuses_a_payload_that_is_not_json(
    receiver: LocalHttpServer, tmp_path: Path
) -> None:
    task = {
        "id": "t",
        "type": "io.kestra.plugin.slack.notifications.SlackIncomingWebhook",
        "url": receiver.url("/hook"),
        "payload": "{not json",
    }
    with pytest.raises(TaskError, match="not valid JSON"):
        await run_task(task, FakeTaskContext(tmp_path))
    assert receiver.requests == []


async def test_webhook_error_fails_without_leaking_the_url(tmp_path: Path) -> None:
    with LocalHttpServer() as server:
        server.route("POST", "/T000/B000/secret-token", status=403, body="invalid_token")
        task = {
            "id": "t",
            "type": "io.kestra.plugin.slack.notifications.SlackIncomingWebhook",
            "url": server.url("/T000/B000/secret-token"),
            "messageText": "x",
        }
        with pytest.raises(TaskError, match="403: invalid_token") as raised:
            await run_task(task, FakeTaskContext(tmp_path))
    assert "secret-token" not in str(raised.value)


async def test_slack_execution_reports_the_failed_execution(
    receiver: LocalHttpServer, tmp_path: Path
) -> None:
    ctx = FakeTaskContext(
        tmp_path,
        namespace="monitors",
        flow_id="slack",
        variables={"trigger": {"executionId": "exec1", "namespace": "data.sources"}},
    )
    ctx.store.executions.create(failed_execution())
    task = {
        "id": "data",
        "type": "io.kestra.plugin.slack.notifications.SlackExecution",
        "url": receiver.url("/hook"),
        "channel": "#data-alerts",
        "username": "Kestra Monitor",
        "iconEmoji": ":alert:",
        "executionId": "{{ trigger.executionId }}",
        "customMessage": "owner: {{ trigger.namespace }}",
        "customFields": {"Env": "prod"},
    }
    await run_task(task, ctx)
    message = receiver.requests[0].json()
    assert message["channel"] == "#data-alerts"
    assert message["username"] == "Kestra Monitor"
    assert message["icon_emoji"] == ":alert:"
    link = "http://localhost:8080/ui/main/executions/data.sources/hubspot/exec1"
    assert message["text"] == (
        f"<{link}|[data.sources] hubspot ➛ FAILED> > load\n> owner: data.sources"
    )
    attachment = message["attachments"][0]
    assert attachment["color"] == "danger"
    fields = {field["title"]: field["value"] for field in attachment["fields"]}
    assert fields == {
        "Namespace": "data.sources",
        "Flow": "hubspot",
        "Execution": f"<{link}|exec1>",
        "Status": "FAILED",
        "Start": "2026-03-01T01:00:00.000Z",
        "Duration": "PT2M3S",
        "Failed task": "load",
        "Env": "prod",
    }


async def test_slack_execution_icon_url_and_public_url(
    receiver: LocalHttpServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TERCEL_PUBLIC_URL", "https://tercel.example.com/")
    ctx = FakeTaskContext(tmp_path, execution_id="exec1")
    ctx.store.executions.create(failed_execution("product.web", "signup"))
    task = {
        "id": "t",
        "type": "io.kestra.plugin.notifications.slack.SlackExecution",
        "url": receiver.url("/hook"),
        "iconUrl": "https://x/icon.png",
    }
    await run_task(task, ctx)
    message = receiver.requests[0].json()
    assert message["icon_url"] == "https://x/icon.png"
    assert "channel" not in message
    assert message["text"].startswith(
        "<https://tercel.example.com/ui/main/executions/product.web/signup/exec1|"
    )


async def test_slack_execution_of_an_unknown_execution_fails(
    receiver: LocalHttpServer, tmp_path: Path
) -> None:
    task = {
        "id": "t",
        "type": "io.kestra.plugin.slack.notifications.SlackExecution",
        "url": receiver.url("/hook"),
        "executionId": "nope",
    }
    with pytest.raises(TaskError, match="execution `nope` not found"):
        await run_task(task, FakeTaskContext(tmp_path))
    assert receiver.requests == []


async def test_slack_execution_accepts_its_inherited_payload_and_sends_the_summary(
    receiver: LocalHttpServer, tmp_path: Path
) -> None:
    ctx = FakeTaskContext(tmp_path, execution_id="exec1")
    ctx.store.executions.create(failed_execution())
    task = {
        "id": "t",
        "type": "io.kestra.plugin.slack.notifications.SlackExecution",
        "url": receiver.url("/hook"),
        "payload": '{"text": "mine"}',
    }
    await run_task(task, ctx)
    message = receiver.requests[0].json()
    assert "hubspot" in message["text"]
    assert any("`payload` is ignored" in line for line in ctx.messages("WARN"))
