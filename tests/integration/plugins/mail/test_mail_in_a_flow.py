"""Kestra's documented MailSend example (an `errors` branch e-mailing a failure) run through the
real runtime, against a local SMTP server: only the server's address differs from the docs."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from smtp_server import PASSWORD, USER, smtp_server

from tercel.engine.state import State
from tercel.model.loader import load_flow
from tercel.runtime.local import LocalRuntime

pytestmark = pytest.mark.integration

FLOW = """
id: unreliable_flow
namespace: company.team

tasks:
  - id: fail
    type: io.kestra.plugin.scripts.shell.Commands
    runner: PROCESS
    commands:
      - exit 1

errors:
  - id: send_email
    type: io.kestra.plugin.notifications.mail.MailSend
    from: hello@kestra.io
    to: hello@kestra.io
    username: "{{ secret('EMAIL_USERNAME') }}"
    password: "{{ secret('EMAIL_PASSWORD') }}"
    host: 127.0.0.1
    port: PORT # or 587
    subject: "Kestra workflow failed for the flow {{flow.id}} in the namespace {{flow.namespace}}"
    htmlTextContent: "Failure alert for flow {{ flow.namespace }}.{{ flow.id }} with ID {{ execution.id }}"

pluginDefaults:
  - type: io.kestra.plugin.notifications.mail.MailSend
    values:
      trustedHosts: ["127.0.0.1"]
"""


def encoded(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


async def test_the_documented_failure_alert_is_delivered(tmp_path: Path) -> None:
    environ = {"SECRET_EMAIL_USERNAME": encoded(USER), "SECRET_EMAIL_PASSWORD": encoded(PASSWORD)}
    with smtp_server(tmp_path, mode="smtps") as (inbox, port):
        flow = load_flow(FLOW.replace("PORT", str(port)), "unreliable_flow.yml")
        async with LocalRuntime.open(tmp_path / "home", environ=environ) as runtime:
            execution = await runtime.run(flow, {}, timeout=60)
            logs = [entry.message for entry in runtime.store.logs.list(execution.id)]
    assert execution.state.current is State.FAILED
    assert execution.task_runs_of("send_email")[0].state.current is State.SUCCESS, logs
    (received,) = inbox.messages
    assert received.login == USER
    assert received.message["Subject"] == (
        "Kestra workflow failed for the flow unreliable_flow in the namespace company.team"
    )
    html = received.message.get_body(("html",))
    assert html is not None
    assert f"with ID {execution.id}" in html.get_content()
    # The password never reaches the logs.
    assert not any(PASSWORD in line for line in logs)
