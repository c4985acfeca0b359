"""What Request and Download share: the request description, options, auth and the client.

Kestra has two shapes for the same settings and flows in the wild use both: the 0.x
`options` (`connectTimeout`, `readTimeout`, `basicAuthUser`, `basicAuthPassword`, ...) and the
1.x `options` (`timeout.{connectTimeout, readIdleTimeout}`, `auth.{type, username, password,
token}`, `allowFailed`, `allowedResponseCodes`). Both are read here into one httpx client.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, ClassVar

import httpx
from pydantic import ConfigDict, Field

from tercel.errors import TaskError
from tercel.model.base import KestraModel
from tercel.plugins.context import RunnableTask, TaskContext
from tercel.plugins.core.storage.files import check_readable
from tercel.plugins.core.templating.properties import (
    Text,
    render_bool,
    render_duration,
    render_list,
    render_map,
    render_str,
    require_str,
)

#: Kestra's default read timeout (the connect timeout has none; we keep httpx's 5 s as a floor).
DEFAULT_READ_TIMEOUT = 10.0
DEFAULT_CONNECT_TIMEOUT = 30.0


class HttpTimeouts(KestraModel):
    """1.x `options.timeout`: ISO-8601 durations."""

    connect_timeout: str | None = None
    read_idle_timeout: str | None = None


class HttpAuth(KestraModel):
    """1.x `options.auth` (or top-level `auth`): BASIC (username/password) or BEARER (token)."""

    type: str = "BASIC"
    username: Text | None = None
    password: Text | None = None
    token: Text | None = None


class HttpOptions(KestraModel):
    """`options` of an HTTP task, in either Kestra shape; unknown tuning keys are accepted."""

    # Proxy, charset and Netty tuning keys exist in Kestra; they do not change what a test
    # or a flow observes here, so they are accepted and ignored rather than refused.
    model_config = ConfigDict(extra="allow")

    connect_timeout: str | None = None
    read_timeout: str | None = None
    follow_redirects: bool | str | None = None
    basic_auth_user: Text | None = None
    basic_auth_password: Text | None = None
    timeout: HttpTimeouts | None = None
    auth: HttpAuth | None = None
    allow_failed: bool | str | None = None
    allowed_response_codes: list[int] | str | None = None


class SslOptions(KestraModel):
    """`sslOptions` (0.x) / `options.ssl` (1.x)."""

    insecure_trust_all_certificates: bool | str | None = None


class HttpTask(RunnableTask):
    """Properties shared by `http.Request` and `http.Download`."""

    default_method: ClassVar[str] = "GET"

    uri: Text = Field(description="The full URL to call.")
    method: str | None = Field(default=None, description="GET, POST, PUT, PATCH, DELETE, ...")
    body: Any = Field(default=None, description="The request body (a map is sent as JSON).")
    form_data: dict[str, Any] | str | None = Field(
        default=None, description="Form fields; a value that is a kestra:// URI is sent as a file."
    )
    content_type: str | None = Field(default=None, description="Content-Type of the request.")
    headers: dict[str, Any] | str | None = None
    options: HttpOptions | None = None
    ssl_options: SslOptions | None = None
    auth: HttpAuth | None = None
    allow_failed: bool | str | None = Field(
        default=None, description="Do not fail on a 4xx/5xx response."
    )
    encrypt_body: bool | str | None = None

    # -- building the request ---------------------------------------------------------------

    def client(self, ctx: TaskContext) -> httpx.AsyncClient:
        """An httpx client with the task's timeouts, redirects, auth and TLS settings."""
        options = self.options or HttpOptions()
        connect = _seconds(ctx, options.connect_timeout, "options.connectTimeout")
        if options.timeout is not None:
            connect = _seconds(ctx, options.timeout.connect_timeout, "options.timeout") or connect
        read = _seconds(ctx, options.read_timeout, "options.readTimeout")
        if options.timeout is not None:
            read = _seconds(ctx, options.timeout.read_idle_timeout, "options.timeout") or read
        follow = render_bool(ctx, options.follow_redirects, "options.followRedirects", True)
        insecure = self.ssl_options is not None and render_bool(
            ctx,
            self.ssl_options.insecure_trust_all_certificates,
            "sslOptions.insecureTrustAllCertificates",
            False,
        )
        return httpx.AsyncClient(
            timeout=httpx.Timeout(
                connect=connect or DEFAULT_CONNECT_TIMEOUT,
                read=read or DEFAULT_READ_TIMEOUT,
                write=read or DEFAULT_READ_TIMEOUT,
                pool=connect or DEFAULT_CONNECT_TIMEOUT,
            ),
            follow_redirects=follow,
            auth=self._auth(ctx),
            verify=not insecure,
        )

    def _auth(self, ctx: TaskContext) -> httpx.Auth | None:
        options = self.options or HttpOptions()
        auth = self.auth or options.auth
        if auth is not None:
            kind = (render_str(ctx, auth.type) or "BASIC").upper()
            if kind == "BEARER":
                return _Bearer(require_str(ctx, auth.token, "auth.token"))
            return httpx.BasicAuth(
                render_str(ctx, auth.username) or "", render_str(ctx, auth.password) or ""
            )
        if options.basic_auth_user is not None:
            return httpx.BasicAuth(
                render_str(ctx, options.basic_auth_user) or "",
                render_str(ctx, options.basic_auth_password) or "",
            )
        return None

    def request_kwargs(self, ctx: TaskContext) -> dict[str, Any]:
        """`method`, `url`, `headers` and the body arguments of `httpx.AsyncClient.request`."""
        method = (render_str(ctx, self.method) or self.default_method).upper()
        headers = {
            str(key): _header_value(value)
            for key, value in render_map(ctx, self.headers, "headers").items()
        }
        content_type = render_str(ctx, self.content_type)
        kwargs: dict[str, Any] = {"method": method, "url": require_str(ctx, self.uri, "uri")}
        if self.form_data is not None:
            data, files = self._form(ctx)
            kwargs["data"] = data
            if files:
                kwargs["files"] = files
        elif self.body is not None:
            body = ctx.render(self.body)
            if isinstance(body, Mapping | list):
                kwargs["content"] = json.dumps(body).encode()
                content_type = content_type or "application/json"
            else:
                kwargs["content"] = str(body).encode()
        # With files, httpx builds the multipart header (with its boundary): keep it.
        if (
            content_type
            and not self._has_header(headers, "content-type")
            and not kwargs.get("files")
        ):
            headers["Content-Type"] = content_type
        kwargs["headers"] = headers
        return kwargs

    def _form(self, ctx: TaskContext) -> tuple[dict[str, Any], dict[str, Any]]:
        data: dict[str, Any] = {}
        files: dict[str, Any] = {}
        for key, value in render_map(ctx, self.form_data, "formData").items():
            if isinstance(value, str) and value.startswith("kestra://"):
                name = value.rsplit("/", 1)[-1]
                files[str(key)] = (name, ctx.storage.get(check_readable(ctx, value)))
            elif isinstance(value, list):
                data[str(key)] = [str(item) for item in value]
            else:
                data[str(key)] = "" if value is None else str(value)
        return data, files

    @staticmethod
    def _has_header(headers: Mapping[str, str], name: str) -> bool:
        return any(key.lower() == name for key in headers)

    # -- reading the response ---------------------------------------------------------------

    def check_status(self, ctx: TaskContext, response: httpx.Response) -> None:
        """Fail on a response code Kestra treats as failed, unless allowed."""
        options = self.options or HttpOptions()
        allowed = [
            int(code)
            for code in render_list(ctx, options.allowed_response_codes, "allowedResponseCodes")
        ]
        if allowed:
            if response.status_code in allowed:
                return
            raise TaskError(_failure(response))
        allow_failed = render_bool(ctx, self.allow_failed, "allowFailed", False) or render_bool(
            ctx, options.allow_failed, "options.allowFailed", False
        )
        if response.status_code >= 400 and not allow_failed:
            raise TaskError(_failure(response))


class _Bearer(httpx.Auth):
    """``Authorization: Bearer <token>``."""

    def __init__(self, token: str) -> None:
        self._token = token

    def auth_flow(self, request: httpx.Request) -> Any:
        request.headers["Authorization"] = f"Bearer {self._token}"
        yield request


def _seconds(ctx: TaskContext, value: str | None, name: str) -> float | None:
    delta = render_duration(ctx, value, name)
    return None if delta is None else delta.total_seconds()


def _header_value(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def _failure(response: httpx.Response) -> str:
    return (
        f"Failed http request with response code '{response.status_code}' "
        f"({response.request.method} {response.request.url})"
    )


def response_headers(response: httpx.Response) -> dict[str, list[str]]:
    """Headers as Kestra returns them: lower-case name → list of values."""
    headers: dict[str, list[str]] = {}
    for name, value in response.headers.multi_items():
        headers.setdefault(name.lower(), []).append(value)
    return headers


def transport_error(error: httpx.HTTPError, uri: str) -> TaskError:
    """A `TaskError` a user can act on for a connection failure or a timeout."""
    if isinstance(error, httpx.TimeoutException):
        return TaskError(f"HTTP request to {uri} timed out ({type(error).__name__})")
    return TaskError(f"HTTP request to {uri} failed: {error}")
