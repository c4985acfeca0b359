"""A real HTTP server on 127.0.0.1 for plugin tests: scripted routes, every request recorded.

with LocalHttpServer() as server:
    server.route("GET", "/deals", json_body=[...])
    ... server.url("/deals") ...
    assert server.requests[0].json() == {...}
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse


@dataclass
class Recorded:
    """One request the server received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        """A header, case-insensitively."""
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Reply:
    """What a route answers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Handler = Callable[[Recorded], Reply]


class LocalHttpServer:
    """A threaded HTTP server with per-(method, path) replies; unknown routes answer 404."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self._routes: dict[tuple[str, str], Handler] = {}
        self._lock = threading.Lock()
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:
                return

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parsed = urlparse(self.path)
                recorded = Recorded(
                    self.command, parsed.path, parse_qs(parsed.query), dict(self.headers), body
                )
                with outer._lock:
                    outer.requests.append(recorded)
                    handler = outer._routes.get((self.command, parsed.path)) or outer._routes.get(
                        ("*", parsed.path)
                    )
                reply = handler(recorded) if handler else Reply(404, b"not found")
                if reply.delay:
                    threading.Event().wait(reply.delay)
                self.send_response(reply.status)
                for key, value in reply.headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(reply.body)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._server.server_address[1])

    def url(self, path: str = "/") -> str:
        """``http://127.0.0.1:<port><path>``."""
        return f"http://127.0.0.1:{self.port}{path}"

    def route(
        self,
        method: str,
        path: str,
        handler: Handler | None = None,
        *,
        status: int = 200,
        body: bytes | str = b"",
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
    ) -> None:
        """Answer `method path` with a fixed reply, or with `handler(request)`."""
        if handler is None:
            content = body.encode() if isinstance(body, str) else body
            reply_headers = dict(headers or {})
            if json_body is not None:
                content = json.dumps(json_body).encode()
                reply_headers.setdefault("Content-Type", "application/json")
            fixed = Reply(status, content, reply_headers, delay)

            def handler(_: Recorded) -> Reply:
                return fixed

        with self._lock:
            self._routes[(method.upper(), path)] = handler

    def __enter__(self) -> LocalHttpServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()
