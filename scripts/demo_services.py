"""The demo's outside world on 127.0.0.1: a CRM API, a product-analytics API, a Slack receiver.

* CRM (HubSpot-like): ``GET /crm/v3/objects/{contacts,deals}?limit=&after=`` → ``results`` and
  ``paging.next.after`` while more pages remain.
* Product analytics (PostHog-like): ``GET /api/projects/1/events?limit=&offset=`` → ``results``
  and ``next`` (the URL of the next page, null at the end); ``/api/projects/1/feature_flags``
  answers 503 (the service that is down in the demo).
* Slack: ``POST /services/...`` stores the message (and appends it to a JSON-lines file);
  ``GET /`` is a page of the messages by channel, ``GET /messages`` the same as JSON.

Stdlib only (``ThreadingHTTPServer``), so the demo starts in milliseconds.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from demo_data import DemoData

PAGE_LIMIT = 100


class _Handler(BaseHTTPRequestHandler):
    """Routes one request to the owning `DemoServices` (set on the server object)."""

    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        """Quiet: the demo prints what matters itself."""

    def do_GET(self) -> None:
        self.server.owner.handle_get(self)

    def do_POST(self) -> None:
        self.server.owner.handle_post(self)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, owner: DemoServices) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.owner = owner


def _send(handler: BaseHTTPRequestHandler, code: int, body: bytes, content_type: str) -> None:
    handler.send_response(code)
    handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _json(handler: BaseHTTPRequestHandler, code: int, value: Any) -> None:
    _send(handler, code, json.dumps(value).encode(), "application/json")


def _int(query: dict[str, list[str]], name: str, default: int) -> int:
    try:
        return max(0, int(query.get(name, [str(default)])[0]))
    except ValueError:
        return default


class DemoServices:
    """All three fake services on one port (one URL for the flows to know)."""

    def __init__(self, data: DemoData | None = None, *, messages_file: Path | None = None) -> None:
        self.data = data or DemoData.generate()
        self.messages: list[dict[str, Any]] = []
        self.messages_file = messages_file
        self._lock = threading.Lock()
        self._server: _Server | None = None
        #: Extra read-only pages (path → producer of (content type, body)); the launcher adds
        #: the latest report here.
        self.pages: dict[str, Callable[[], tuple[str, bytes] | None]] = {}

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:40123``."""
        if self._server is None:
            raise RuntimeError("the demo services are not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def slack_webhook(self) -> str:
        """The incoming-webhook URL the monitoring flow posts to."""
        return f"{self.url}/services/T0DEMO/B0DEMO/demo-webhook"

    def start(self) -> DemoServices:
        """Listen on a free port in a daemon thread."""
        self._server = _Server(self)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def channel_messages(self, channel: str) -> list[dict[str, Any]]:
        """The messages received for one channel, oldest first."""
        with self._lock:
            return [m for m in self.messages if m.get("channel") == channel]

    # -- routing -------------------------------------------------------------------------

    def handle_get(self, handler: BaseHTTPRequestHandler) -> None:
        """CRM and analytics pages, the Slack page and JSON, extra pages."""
        parts = urlsplit(handler.path)
        query = parse_qs(parts.query)
        limit = min(_int(query, "limit", PAGE_LIMIT), PAGE_LIMIT) or PAGE_LIMIT
        if parts.path in ("/crm/v3/objects/contacts", "/crm/v3/objects/deals"):
            rows = self.data.contacts if parts.path.endswith("contacts") else self.data.deals
            after = _int(query, "after", 0)
            page: dict[str, Any] = {"results": rows[after : after + limit]}
            if after + limit < len(rows):
                page["paging"] = {"next": {"after": str(after + limit)}}
            _json(handler, 200, page)
        elif parts.path == "/api/projects/1/events":
            offset = _int(query, "offset", 0)
            more = offset + limit < len(self.data.events)
            next_url = f"{self.url}{parts.path}?limit={limit}&offset={offset + limit}"
            _json(
                handler,
                200,
                {
                    "results": self.data.events[offset : offset + limit],
                    "next": next_url if more else None,
                },
            )
        elif parts.path == "/api/projects/1/feature_flags":
            # The one service that is down in the demo: its flow fails and alerts.
            _json(handler, 503, {"detail": "feature flag service unavailable"})
        elif parts.path == "/messages":
            with self._lock:
                _json(handler, 200, list(self.messages))
        elif parts.path == "/":
            _send(handler, 200, self.page().encode(), "text/html; charset=utf-8")
        elif parts.path in self.pages:
            produced = self.pages[parts.path]()
            if produced is None:
                _send(handler, 404, b"not produced yet", "text/plain")
            else:
                _send(handler, 200, produced[1], produced[0])
        else:
            _json(handler, 404, {"message": f"no route {parts.path}"})

    def handle_post(self, handler: BaseHTTPRequestHandler) -> None:
        """Slack incoming webhooks: keep the message, answer ``ok`` like Slack."""
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        if not urlsplit(handler.path).path.startswith("/services/"):
            _json(handler, 404, {"message": "no route"})
            return
        try:
            message = json.loads(body)
        except ValueError:
            _send(handler, 400, b"invalid_payload", "text/plain")
            return
        with self._lock:
            self.messages.append(message)
            if self.messages_file is not None:
                with self.messages_file.open("a", encoding="utf-8") as out:
                    out.write(json.dumps(message) + "\n")
        _send(handler, 200, b"ok", "text/plain")

    def page(self) -> str:
        """The Slack messages by channel, newest first; reloads itself every 5 s."""
        with self._lock:
            messages = list(reversed(self.messages))
        channels = sorted({str(m.get("channel", "(none)")) for m in messages}) or ["#data-alerts"]
        sections = []
        for channel in channels:
            items = "".join(
                f"<li><b>{html.escape(str(m.get('username', '')))}</b> "
                f"{_mrkdwn(str(m.get('text', '')))}"
                f"<br><small>{_fields(m)}</small></li>"
                for m in messages
                if str(m.get("channel", "(none)")) == channel
            )
            sections.append(
                f"<h2>{html.escape(channel)}</h2><ul>{items or '<li>none yet</li>'}</ul>"
            )
        links = "".join(f'<a href="{path}">{path}</a> ' for path in self.pages)
        return (
            "<!doctype html><html><head><meta charset=utf-8>"
            '<meta http-equiv="refresh" content="5"><title>Demo Slack</title>'
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
            "li{margin:.6em 0}</style></head><body>"
            f"<h1>Messages the monitoring flow sent</h1><p>{links}</p>"
            + "".join(sections)
            + "</body></html>"
        )


_SLACK_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>")


def _mrkdwn(text: str) -> str:
    """Slack's ``<url|label>`` links as HTML links, everything else escaped."""
    out, last = [], 0
    for match in _SLACK_LINK.finditer(text):
        out.append(html.escape(text[last : match.start()]))
        out.append(f'<a href="{html.escape(match[1])}">{html.escape(match[2])}</a>')
        last = match.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


def _fields(message: dict[str, Any]) -> str:
    parts = []
    for attachment in message.get("attachments") or []:
        for item in attachment.get("fields") or []:
            parts.append(
                f"{html.escape(str(item.get('title')))}: {_mrkdwn(str(item.get('value')))}"
            )
    return " · ".join(parts)
