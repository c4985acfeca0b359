"""Delivering one message over SMTP with Kestra's transport strategies.

* ``SMTPS`` (Kestra's default): TLS from the first byte, port 465 by default;
* ``SMTP_TLS``: plain connection upgraded with STARTTLS, which the server must offer (587);
* ``SMTP``: plain connection, upgraded with STARTTLS when the server offers it (25);
* ``SMTP_OAUTH2``: as ``SMTP_TLS``, then ``AUTH XOAUTH2`` with `password` as the token.

Certificates are verified, host name included (`verifyServerIdentity`), except for the hosts
listed in `trustedHosts` (``*`` for any), whose certificates are accepted as they are.
"""

from __future__ import annotations

import base64
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

from tercel.errors import TaskError

STRATEGIES = ("SMTP", "SMTPS", "SMTP_TLS", "SMTP_OAUTH2")
_DEFAULT_PORTS = {"SMTP": 25, "SMTPS": 465, "SMTP_TLS": 587, "SMTP_OAUTH2": 587}


@dataclass(frozen=True, slots=True)
class Server:
    """Where and how to deliver."""

    host: str
    port: int | None
    strategy: str
    timeout_seconds: float
    username: str | None = None
    password: str | None = None
    verify_identity: bool = True
    trusted_hosts: tuple[str, ...] = field(default_factory=tuple)

    def tls_context(self) -> ssl.SSLContext:
        """Verifying by default; accepting any certificate of a trusted host."""
        context = ssl.create_default_context()
        if "*" in self.trusted_hosts or self.host in self.trusted_hosts:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        elif not self.verify_identity:
            context.check_hostname = False
        return context


def deliver(server: Server, message: EmailMessage, recipients: list[str]) -> None:
    """Send `message` to `recipients`; `TaskError` says which step failed (never a secret)."""
    port = server.port or _DEFAULT_PORTS[server.strategy]
    step = "connect"
    try:
        client: smtplib.SMTP
        if server.strategy == "SMTPS":
            client = smtplib.SMTP_SSL(
                server.host, port, timeout=server.timeout_seconds, context=server.tls_context()
            )
        else:
            client = smtplib.SMTP(server.host, port, timeout=server.timeout_seconds)
        with client:
            client.ehlo()
            if server.strategy != "SMTPS":
                offered = client.has_extn("starttls")
                if server.strategy != "SMTP" and not offered:
                    raise TaskError(
                        f"the SMTP server does not offer STARTTLS, which `{server.strategy}` "
                        "requires (use `transportStrategy: SMTP` for a plain connection)"
                    )
                if offered:
                    step = "STARTTLS"
                    client.starttls(context=server.tls_context())
                    client.ehlo()
            step = "authenticate"
            if server.strategy == "SMTP_OAUTH2":
                _xoauth2(client, server.username or "", server.password or "")
            elif server.username:
                client.login(server.username, server.password or "")
            step = "send"
            client.send_message(message, to_addrs=recipients)
    except TaskError:
        raise
    except ssl.SSLError as error:
        raise TaskError(f"TLS with {server.host}:{port} failed ({step}): {error.reason}") from None
    except smtplib.SMTPAuthenticationError as error:
        raise TaskError(f"the SMTP server refused the credentials: {error.smtp_code}") from None
    except smtplib.SMTPException as error:
        raise TaskError(f"cannot send the e-mail ({step}): {error}") from None
    except OSError as error:
        raise TaskError(f"cannot reach the SMTP server {server.host}:{port}: {error}") from None


def _xoauth2(client: smtplib.SMTP, user: str, token: str) -> None:
    payload = f"user={user}\x01auth=Bearer {token}\x01\x01".encode()
    code, answer = client.docmd("AUTH", "XOAUTH2 " + base64.b64encode(payload).decode("ascii"))
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, answer)
