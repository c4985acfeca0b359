"""`email.MailSend` (also `notifications.mail.MailSend`): send an e-mail through SMTP."""

from __future__ import annotations

import asyncio
import json
from email.message import EmailMessage
from email.utils import getaddresses
from typing import Any

from pydantic import Field

from tercel.errors import TaskError
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.storage.files import local_file, render_uri
from tercel.plugins.core.templating.properties import (
    Text,
    render_bool,
    render_enum,
    render_int,
    render_list,
    render_str,
    require_str,
)
from tercel.plugins.mail.smtp import STRATEGIES, Server, deliver

#: The text part Kestra sends when only HTML is given.
DEFAULT_PLAIN_TEXT = "Please view this email in a modern email client"


class MailServerTask(RunnableTask):
    """The SMTP server properties Kestra's mail tasks share."""

    host: Text | None = Field(default=None, description="The SMTP server's host name.")
    port: int | str | None = Field(
        default=None, description="Its port (default: 465 for SMTPS, 587 with STARTTLS, 25)."
    )
    username: Text | None = None
    password: Text | None = None
    transport_strategy: Text = Field(
        default="SMTPS", description="SMTPS (TLS), SMTP_TLS (STARTTLS), SMTP or SMTP_OAUTH2."
    )
    session_timeout: int | str = Field(default=10_000, description="Timeout in milliseconds.")
    verify_server_identity: bool | str = Field(
        default=True, description="Check that the certificate names the host."
    )
    trusted_hosts: list[str] | str | None = Field(
        default=None, description="Hosts whose certificate is accepted without checks (`*`)."
    )
    from_: Text | None = Field(default=None, alias="from", description="The sender's address.")
    to: Text | None = Field(default=None, description="Recipients, separated by `;` or `,`.")
    cc: Text | None = Field(default=None, description="Carbon-copy recipients.")
    subject: Text | None = None
    attachments: Any = Field(
        default=None,
        description="Files from internal storage: a list of {name, uri, contentType}, or JSON.",
    )
    embedded_images: Any = Field(
        default=None, description="Images the HTML refers to as `cid:<name>` (same shape)."
    )

    def server(self, ctx: TaskContext) -> Server:
        """The rendered server settings."""
        timeout = render_int(ctx, self.session_timeout, "sessionTimeout") or 10_000
        return Server(
            host=require_str(ctx, self.host, "host"),
            port=render_int(ctx, self.port, "port"),
            strategy=render_enum(ctx, self.transport_strategy, "transportStrategy", STRATEGIES),
            timeout_seconds=timeout / 1000,
            username=render_str(ctx, self.username),
            password=render_str(ctx, self.password),
            verify_identity=render_bool(
                ctx, self.verify_server_identity, "verifyServerIdentity", True
            ),
            trusted_hosts=tuple(
                str(host) for host in render_list(ctx, self.trusted_hosts, "trustedHosts")
            ),
        )

    def envelope(self, ctx: TaskContext) -> tuple[EmailMessage, list[str]]:
        """A message with the sender, recipients and subject set, and who receives it."""
        sender = require_str(ctx, self.from_, "from")
        to = _addresses(require_str(ctx, self.to, "to"))
        cc = _addresses(render_str(ctx, self.cc) or "")
        if not to:
            raise TaskError("property `to` holds no e-mail address")
        message = EmailMessage()
        message["From"] = sender
        message["To"] = ", ".join(to)
        if cc:
            message["Cc"] = ", ".join(cc)
        subject = render_str(ctx, self.subject)
        if subject is not None:
            message["Subject"] = subject
        # Kestra asks for a return receipt to the sender on every message.
        message["Return-Receipt-To"] = sender
        return message, to + cc

    def add_files(self, ctx: TaskContext, message: EmailMessage, html: bool) -> None:
        """Attach `attachments`, and `embeddedImages` to the HTML part (`html` says if any)."""
        for name, content_type, data in _files(ctx, self.embedded_images, "embeddedImages"):
            if not html:
                raise TaskError("`embeddedImages` need an HTML body (`htmlTextContent`)")
            body = message.get_body(("html",))
            assert body is not None
            maintype, _, subtype = content_type.partition("/")
            body.add_related(data, maintype, subtype, cid=f"<{name}>", filename=name)
        for name, content_type, data in _files(ctx, self.attachments, "attachments"):
            maintype, _, subtype = content_type.partition("/")
            message.add_attachment(
                data, maintype=maintype, subtype=subtype or "octet-stream", filename=name
            )

    async def send(self, ctx: TaskContext, message: EmailMessage, recipients: list[str]) -> None:
        """Deliver in a worker thread (smtplib blocks)."""
        server = self.server(ctx)
        ctx.logger.debug(f"Sending an e-mail to {', '.join(recipients)}")  # noqa: G004
        await asyncio.to_thread(deliver, server, message, recipients)


@plugin(
    "io.kestra.plugin.email.MailSend",
    aliases=("io.kestra.plugin.notifications.mail.MailSend",),
)
class MailSend(MailServerTask):
    """Send an e-mail: plain text and/or HTML, attachments and embedded images."""

    html_text_content: Text | None = Field(default=None, description="The HTML body.")
    plain_text_content: Text | None = Field(default=None, description="The plain-text body.")

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Build the message and deliver it; a refused message fails the task."""
        message, recipients = self.envelope(ctx)
        html = render_str(ctx, self.html_text_content)
        message.set_content(render_str(ctx, self.plain_text_content) or DEFAULT_PLAIN_TEXT)
        if html is not None:
            message.add_alternative(html, subtype="html")
        self.add_files(ctx, message, html is not None)
        await self.send(ctx, message, recipients)
        return TaskResult()


def _addresses(text: str) -> list[str]:
    """`a@x; B <b@y>, c@z` → the addresses, as Kestra splits recipients (`;`, also `,`)."""
    return [address for _, address in getaddresses([text.replace(";", ",")]) if address]


def _files(ctx: TaskContext, value: Any, name: str) -> list[tuple[str, str, bytes]]:
    """Each `{name, uri, contentType}` entry as (file name, content type, bytes)."""
    if value is None:
        return []
    rendered = ctx.render(value)
    if isinstance(rendered, str):
        if not rendered.strip():
            return []
        try:
            rendered = json.loads(rendered)
            if isinstance(rendered, str):  # Kestra's `| toJson` of a JSON text: decode twice
                rendered = json.loads(rendered)
        except json.JSONDecodeError as error:
            raise TaskError(f"property `{name}` is not a JSON list: {error}") from None
    if not isinstance(rendered, list):
        raise TaskError(f"property `{name}` must be a list of {{name, uri, contentType}}")
    files = []
    for index, entry in enumerate(rendered):
        if not isinstance(entry, dict) or not entry.get("uri") or not entry.get("name"):
            raise TaskError(f"`{name}[{index}]` needs a `name` and a `uri`")
        file_name = str(entry["name"])
        content_type = str(entry.get("contentType") or "application/octet-stream")
        path = local_file(ctx, render_uri(ctx, entry["uri"], f"{name}[{index}].uri"))
        files.append((file_name, content_type, path.read_bytes()))
    return files
