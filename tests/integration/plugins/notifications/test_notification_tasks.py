"""Teams, Discord, Google Chat, Telegram, PagerDuty and Opsgenie tasks against a local receiver:
the JSON that arrives is the message format each vendor documents."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from stack_http_server import LocalHttpServer

from tercel.engine.execution import Execution, TaskRun
from tercel.engine.state import State, StateTrail
from tercel.errors import TaskError
from tercel.testing import FakeTaskContext, run_task

pytestmark = pytest.mark.integration

LINK = "http://localhost:8080/ui/main/executions/data.sources/hubspot/exec1"
START = datetime(2026, 3, 1, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def receiver() -> Iterator[LocalHttpServer]:
    with LocalHttpServer() as server:
        server.route("POST", "/hook", body="1")
        server.route("POST", "/botT0KEN:abc/sendMessage", json_body={"ok": True, "result": {}})
        server.route(
            "POST", "/botBAD/sendMessage", json_body={"ok": False, "description": "chat not found"}
        )
        yield server


def failed_execution() -> Execution:
    trail = StateTrail.start(START)
    trail.set(State.RUNNING, START + timedelta(seconds=1))
    trail.set(State.FAILED, START + timedelta(minutes=2, seconds=3))
    ok = StateTrail.start(START)
    ok.set(State.SUCCESS, START + timedelta(seconds=5))
    bad = StateTrail.start(START + timedelta(seconds=5))
    bad.set(State.FAILED, START + timedelta(minutes=2))
    execution = Execution("exec1", "data.sources", "hubspot", 3, state=trail)
    execution.task_run_list = [
        TaskRun("tr1", "exec1", "data.sources", "hubspot", "extract", ok),
        TaskRun("tr2", "exec1", "data.sources", "hubspot", "load", bad),
    ]
    return execution


def monitor_context(tmp_path: Path) -> FakeTaskContext:
    ctx = FakeTaskContext(
        tmp_path,
        namespace="monitors",
        flow_id="alerts",
        variables={"trigger": {"executionId": "exec1"}},
    )
    ctx.store.executions.create(failed_execution())
    return ctx


async def send(ctx: FakeTaskContext, task_type: str, **properties: Any) -> None:
    await run_task({"id": "notify", "type": task_type, **properties}, ctx)


@pytest.mark.parametrize(
    "task_type",
    [
        "io.kestra.plugin.notifications.teams.TeamsIncomingWebhook",
        "io.kestra.plugin.microsoft365.teams.TeamsIncomingWebhook",
        "io.kestra.plugin.notifications.discord.DiscordIncomingWebhook",
        "io.kestra.plugin.notifications.google.GoogleChatIncomingWebhook",
        "io.kestra.plugin.notifications.pagerduty.PagerDutyAlert",
    ],
)
async def test_webhook_tasks_post_the_rendered_payload_as_json(
    receiver: LocalHttpServer, tmp_path: Path, task_type: str
) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"who": "Ada"}})
    await send(
        ctx, task_type, url=receiver.url("/hook"), payload='{"text": "Hello {{ inputs.who }}"}'
    )
    sent = receiver.requests[0]
    assert sent.json() == {"text": "Hello Ada"}
    assert (sent.header("content-type") or "").startswith("application/json")


async def test_a_payload_that_is_not_json_is_refused_before_sending(
    receiver: LocalHttpServer, tmp_path: Path
) -> None:
    with pytest.raises(TaskError, match="not valid JSON"):
        await send(
            FakeTaskContext(tmp_path),
            "io.kestra.plugin.notifications.discord.DiscordIncomingWebhook",
            url=receiver.url("/hook"),
            payload="{oops",
        )
    assert receiver.requests == []


async def test_teams_execution_posts_a_message_card(
    receiver: LocalHttpServer, tmp_path: Path
) -> None:
    await send(
        monitor_context(tmp_path),
        "io.kestra.plugin.microsoft365.teams.TeamsExecution",
        url=receiver.url("/hook"),
        executionId="{{ trigger.executionId }}",
        activityTitle="Kestra Teams notification",
        customFields={"Env": "prod"},
        customMessage="owner: data team",
    )
    card = receiver.requests[0].json()
    assert card["@type"] == "MessageCard"
    assert card["@context"] == "http://schema.org/extensions"
    assert card["themeColor"] == "0076D7"
    assert (
        card["summary"]
        == f"*<{LINK}|[data.sources] hubspot ➛ FAILED>*\n> Failed on task `load` after PT2M3S"
    )
    (section,) = card["sections"]
    assert section["activityTitle"] == "Kestra Teams notification"
    assert section["text"] == "owner: data team"
    assert {fact["name"]: fact["value"] for fact in section["facts"]} == {
        "Namespace": "data.sources",
        "Job": "hubspot",
        "Execution": "exec1",
        "Status": "FAILED",
        "Env": "prod",
    }
    assert card["potentialAction"][0]["targets"][0]["uri"] == LINK


async def test_discord_execution_posts_embeds(receiver: LocalHttpServer, tmp_path: Path) -> None:
    await send(
        monitor_context(tmp_path),
        "io.kestra.plugin.notifications.discord.DiscordExecution",
        url=receiver.url("/hook"),
        executionId="{{ trigger.executionId }}",
        username="Kestra",
        avatarUrl="https://example.com/k.png",
        content="Flow failed",
        embedList=[{"title": "Data platform", "color": [255, 0, 0], "authorName": "monitor"}],
    )
    message = receiver.requests[0].json()
    assert message["username"] == "Kestra"
    assert message["avatar_url"] == "https://example.com/k.png"
    assert message["content"] == "Flow failed"
    assert message["tts"] is False
    (embed,) = message["embeds"]
    assert embed["title"] == "Data platform"
    assert embed["url"] == LINK
    assert embed["color"] == 0xFF0000
    assert embed["author"] == {"name": "monitor"}
    assert embed["description"] == (
        "Namespace: data.sources\nFlow ID: hubspot\nExecution ID: exec1\nExecution Status: FAILED"
    )
    assert embed["footer"] == {"text": "Failed on task `load` after PT2M3S"}


async def test_google_chat_execution_posts_text(receiver: LocalHttpServer, tmp_path: Path) -> None:
    await send(
        monitor_context(tmp_path),
        "io.kestra.plugin.notifications.google.GoogleChatExecution",
        url=receiver.url("/hook"),
        executionId="{{ trigger.executionId }}",
    )
    text = receiver.requests[0].json()["text"]
    assert text.splitlines() == [
        "Kestra Google notification: Namespace data.sources, Flow ID hubspot, Execution ID exec1, "
        "Execution Status FAILED.",
        f"*<{LINK}|[data.sources] hubspot ➛ FAILED>*",
        "> Failed on task `load` after PT2M3S",
    ]


async def test_telegram_send_calls_the_bot_api(receiver: LocalHttpServer, tmp_path: Path) -> None:
    await send(
        FakeTaskContext(tmp_path),
        "io.kestra.plugin.notifications.telegram.TelegramSend",
        token="T0KEN:abc",
        channel="@data_alerts",
        payload="<b>deploy</b> done",
        parseMode="HTML",
        endpointOverride=receiver.url(""),
    )
    sent = receiver.requests[0]
    assert sent.path == "/botT0KEN:abc/sendMessage"
    assert sent.json() == {
        "chat_id": "@data_alerts",
        "text": "<b>deploy</b> done",
        "parse_mode": "HTML",
    }


async def test_telegram_refusal_fails_without_showing_the_token(
    receiver: LocalHttpServer, tmp_path: Path
) -> None:
    with pytest.raises(TaskError, match="chat not found") as raised:
        await send(
            FakeTaskContext(tmp_path),
            "io.kestra.plugin.notifications.telegram.TelegramSend",
            token="BAD",
            channel="42",
            payload="x",
            endpointOverride=receiver.url(""),
        )
    assert "/botBAD" not in str(raised.value)


async def test_telegram_execution_sends_the_summary(
    receiver: LocalHttpServer, tmp_path: Path
) -> None:
    await send(
        monitor_context(tmp_path),
        "io.kestra.plugin.notifications.telegram.TelegramExecution",
        token="T0KEN:abc",
        channel="42",
        executionId="{{ trigger.executionId }}",
        endpointOverride=receiver.url(""),
    )
    assert receiver.requests[0].json() == {
        "chat_id": "42",
        "text": (
            f"<data.sources hubspot exec1 ➛ FAILED> Failed on task `load` after PT2M3S ({LINK})"
        ),
    }


async def test_pagerduty_execution_sends_an_events_v2_event(
    receiver: LocalHttpServer, tmp_path: Path
) -> None:
    await send(
        monitor_context(tmp_path),
        "io.kestra.plugin.notifications.pagerduty.PagerDutyExecution",
        url=receiver.url("/hook"),
        executionId="{{ trigger.executionId }}",
        routingKey="R0UTING",
        payloadSummary="Hubspot load failed",
    )
    event = receiver.requests[0].json()
    assert event == {
        "routing_key": "R0UTING",
        "event_action": "trigger",
        "payload": {
            "summary": "Hubspot load failed",
            "source": "data.sources exec1",
            "severity": "error",
            "custom_details": {
                "Namespace": "data.sources",
                "Flow ID": "hubspot",
                "Execution ID": "exec1",
                "Execution Status": "FAILED",
            },
        },
        "links": [{"href": LINK, "text": "Failed on task `load` after PT2M3S"}],
    }


async def test_pagerduty_deduplication_key_acknowledges(
    receiver: LocalHttpServer, tmp_path: Path
) -> None:
    await send(
        monitor_context(tmp_path),
        "io.kestra.plugin.notifications.pagerduty.PagerDutyExecution",
        url=receiver.url("/hook"),
        executionId="exec1",
        routingKey="R",
        deduplicationKey="hubspot-load",
    )
    event = receiver.requests[0].json()
    assert event["dedup_key"] == "hubspot-load"
    assert event["event_action"] == "acknowledge"


async def test_opsgenie_execution_creates_an_alert_with_the_genie_key(
    receiver: LocalHttpServer, tmp_path: Path
) -> None:
    await send(
        monitor_context(tmp_path),
        "io.kestra.plugin.notifications.opsgenie.OpsgenieExecution",
        url=receiver.url("/hook"),
        executionId="{{ trigger.executionId }}",
        authorizationToken="GenieKey s3cret",
        message="Hubspot load failed",
        alias="hubspot-load",
        responders={"4513b7ea-3b91-438f-b7e4-e3e54af9147c": "team"},
        visibleTo={"bb4d9938-c3c2-455d-aaab-727aa701c0d8": "user"},
        tags=["data", "prod"],
        priority="P1",
    )
    sent = receiver.requests[0]
    assert sent.header("authorization") == "GenieKey s3cret"
    alert = sent.json()
    assert alert["message"] == "Hubspot load failed"
    assert alert["alias"] == "hubspot-load"
    assert alert["responders"] == [{"id": "4513b7ea-3b91-438f-b7e4-e3e54af9147c", "type": "team"}]
    assert alert["visibleTo"] == [{"id": "bb4d9938-c3c2-455d-aaab-727aa701c0d8", "type": "user"}]
    assert alert["tags"] == ["data", "prod"]
    assert alert["priority"] == "P1"
    assert alert["description"] == (
        f"*<{LINK}|[data.sources] hubspot ➛ FAILED - Final task ID load>*\n"
        "> Failed on task `load` after PT2M3S"
    )
    assert alert["details"]["Final task ID"] == "load"


async def test_an_unknown_execution_fails_the_task(
    receiver: LocalHttpServer, tmp_path: Path
) -> None:
    with pytest.raises(TaskError, match="execution `nope` not found"):
        await send(
            monitor_context(tmp_path),
            "io.kestra.plugin.notifications.teams.TeamsExecution",
            url=receiver.url("/hook"),
            executionId="nope",
        )
    assert receiver.requests == []
