"""MailSend and MailExecution against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from smtp_server import PASSWORD, USER, smtp_server

from tercel.engine.execution import Execution, TaskRun
from tercel.engine.state import State, StateTrail
from tercel.errors import TaskError
from tercel.testing import FakeTaskContext, run_task

pytestmark = pytest.mark.integration


def mail_task(port: int, **properties: Any) -> dict[str, Any]:
    return {
        "id": "send_email",
        "type": "io.kestra.plugin.email.MailSend",
        "host": "127.0.0.1",
        "port": port,
        "from": "hello@kestra.io",
        "to": "ada@example.com; Bob <bob@example.com>",
        "username": USER,
        "password": "{{ secret('EMAIL_PASSWORD') }}",
        "trustedHosts": ["127.0.0.1"],
        **properties,
    }


async def test_starttls_login_html_and_an_attachment_from_storage(tmp_path: Path) -> None:
    ctx = FakeTaskContext(
        tmp_path, secrets={"EMAIL_PASSWORD": PASSWORD}, variables={"flow": {"id": "etl"}}
    )
    report = ctx.storage.put(ctx.file_uri("report.csv"), b"id,total\n1,42\n")
    with smtp_server(tmp_path, mode="starttls") as (inbox, port):
        await run_task(
            mail_task(
                port,
                transportStrategy="SMTP_TLS",
                cc="ops@example.com",
                subject="Kestra workflow failed for the flow {{ flow.id }}",
                htmlTextContent="<b>Failure</b> in {{ flow.id }}",
                attachments=[{"name": "report.csv", "uri": report, "contentType": "text/csv"}],
            ),
            ctx,
        )
    (received,) = inbox.messages
    assert received.login == USER
    assert received.mail_from == "hello@kestra.io"
    assert received.recipients == ["ada@example.com", "bob@example.com", "ops@example.com"]
    message = received.message
    assert message["Subject"] == "Kestra workflow failed for the flow etl"
    assert message["Cc"] == "ops@example.com"
    assert message["Return-Receipt-To"] == "hello@kestra.io"
    html = message.get_body(("html",))
    plain = message.get_body(("plain",))
    assert html is not None
    assert html.get_content().strip() == "<b>Failure</b> in etl"
    assert plain is not None
    assert plain.get_content().strip() == "Please view this email in a modern email client"
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "report.csv"
    assert attachment.get_content_type() == "text/csv"
    assert attachment.get_payload(decode=True) == b"id,total\n1,42\n"  # byte for byte


async def test_smtps_is_the_default_and_the_old_type_name_works(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, secrets={"EMAIL_PASSWORD": PASSWORD})
    image = ctx.storage.put(ctx.file_uri("logo.png"), b"\x89PNG\r\n\x1a\nfake")
    task = mail_task(
        0,
        type="io.kestra.plugin.notifications.mail.MailSend",
        plainTextContent="plain body",
        htmlTextContent="<img src='cid:logo.png'>",
        embeddedImages=[{"name": "logo.png", "uri": image, "contentType": "image/png"}],
    )
    with smtp_server(tmp_path, mode="smtps") as (inbox, port):
        await run_task({**task, "port": port}, ctx)
    message = inbox.messages[0].message
    plain = message.get_body(("plain",))
    assert plain is not None
    assert plain.get_content().strip() == "plain body"
    related = [part for part in message.walk() if part.get_content_type() == "image/png"]
    assert [part["Content-ID"] for part in related] == ["<logo.png>"]


async def test_attachments_given_as_json_text_as_kestra_inputs_pass_them(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, secrets={"EMAIL_PASSWORD": PASSWORD})
    uri = ctx.storage.put(ctx.file_uri("a.txt"), b"hello")
    ctx.variables["inputs"]["attachments"] = [{"name": "a.txt", "uri": uri}]  # type: ignore[index]
    with smtp_server(tmp_path, mode="starttls") as (inbox, port):
        await run_task(
            mail_task(
                port, transportStrategy="SMTP_TLS", attachments="{{ inputs.attachments | toJson }}"
            ),
            ctx,
        )
    (attachment,) = list(inbox.messages[0].message.iter_attachments())
    assert attachment.get_content_type() == "application/octet-stream"
    assert attachment.get_content() == b"hello"


async def test_an_untrusted_certificate_is_refused(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, secrets={"EMAIL_PASSWORD": PASSWORD})
    with smtp_server(tmp_path, mode="smtps") as (inbox, port):
        task = mail_task(port, trustedHosts=None)
        with pytest.raises(TaskError, match=r"TLS with 127\.0\.0\.1"):
            await run_task(task, ctx)
    assert inbox.messages == []


async def test_smtp_tls_requires_starttls_from_the_server(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, secrets={"EMAIL_PASSWORD": PASSWORD})
    with smtp_server(tmp_path, mode="plain") as (inbox, port):
        with pytest.raises(TaskError, match="does not offer STARTTLS"):
            await run_task(mail_task(port, transportStrategy="SMTP_TLS"), ctx)
        await run_task(mail_task(port, transportStrategy="SMTP", username=None, password=None), ctx)
    assert len(inbox.messages) == 1


async def test_refused_credentials_fail_without_showing_the_password(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, secrets={"EMAIL_PASSWORD": "wrong-password"})
    with (
        smtp_server(tmp_path, mode="starttls") as (inbox, port),
        pytest.raises(TaskError, match="refused the credentials") as raised,
    ):
        await run_task(mail_task(port, transportStrategy="SMTP_TLS"), ctx)
    assert "wrong-password" not in str(raised.value)
    assert inbox.messages == []


async def test_an_attachment_of_another_execution_is_refused(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, secrets={"EMAIL_PASSWORD": PASSWORD})
    other = "kestra:///company/team/flow/executions/other/tasks/t/r/secret.csv"
    with smtp_server(tmp_path, mode="starttls") as (inbox, port), pytest.raises(TaskError):
        await run_task(
            mail_task(
                port,
                transportStrategy="SMTP_TLS",
                attachments=[{"name": "s.csv", "uri": other}],
            ),
            ctx,
        )
    assert inbox.messages == []


def failed_execution() -> Execution:
    start = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    trail = StateTrail.start(start)
    trail.set(State.RUNNING, start + timedelta(seconds=1))
    trail.set(State.FAILED, start + timedelta(minutes=2, seconds=3))
    bad = StateTrail.start(start)
    bad.set(State.FAILED, start + timedelta(minutes=2))
    execution = Execution("exec1", "prod.sales", "daily", 1, state=trail)
    execution.task_run_list = [TaskRun("tr1", "exec1", "prod.sales", "daily", "load", bad)]
    return execution


async def test_mail_execution_sends_the_summary_of_the_triggering_execution(
    tmp_path: Path,
) -> None:
    ctx = FakeTaskContext(
        tmp_path,
        secrets={"EMAIL_PASSWORD": PASSWORD},
        variables={"trigger": {"executionId": "exec1"}},
    )
    ctx.store.executions.create(failed_execution())
    task = mail_task(
        0,
        type="io.kestra.plugin.notifications.mail.MailExecution",
        transportStrategy="SMTP_TLS",
        executionId="{{ trigger.executionId }}",
        customMessage="Owner: sales",
        customFields={"Env": "prod"},
    )
    with smtp_server(tmp_path, mode="starttls") as (inbox, port):
        await run_task({**task, "port": port}, ctx)
    message = inbox.messages[0].message
    assert message["Subject"] == "[prod.sales] daily ➛ FAILED"
    plain = message.get_body(("plain",))
    assert plain is not None
    text = plain.get_content()
    assert "http://localhost:8080/ui/main/executions/prod.sales/daily/exec1" in text
    for line in (
        "Owner: sales",
        "Status: FAILED",
        "Failed task: load",
        "Duration: PT2M3S",
        "Env: prod",
    ):
        assert line in text
    html = message.get_body(("html",))
    assert html is not None
    assert "<th align='left'>Failed task</th><td>load</td>" in html.get_content()
