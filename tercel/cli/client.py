"""A small HTTP client of a Tercel (or Kestra) server, used by the CLI commands.

    client = ServerClient.from_env("http://127.0.0.1:8080")
    client.push_flow(source)

Credentials come from ``TERCEL_API_TOKEN`` or ``TERCEL_USER`` + ``TERCEL_PASSWORD``; the
tenant from ``--tenant``, else ``TERCEL_TENANT``, else ``main``. Requests say they come from
the CLI (``X-Tercel-Client: cli``), which the audit log records.
Errors the server answers become `ServerError` carrying its ``message``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tercel.errors import TercelError

if TYPE_CHECKING:
    import httpx

DEFAULT_SERVER = "http://127.0.0.1:8080"
YAML = {"Content-Type": "application/x-yaml"}


class ServerError(TercelError):
    """The server refused a request (or could not be reached)."""

    def __init__(self, message: str, status: int = 0, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class ServerClient:
    """Calls the v1 API of one tenant."""

    def __init__(
        self,
        base_url: str = DEFAULT_SERVER,
        *,
        tenant: str = "main",
        token: str | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float = 30.0,
    ) -> None:
        headers = {"X-Tercel-Client": "cli"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        self.tenant = tenant
        import httpx  # here, not at the top: `tercel --help` need not load an HTTP client

        self.http = httpx.Client(
            base_url=self.base_url, headers=headers, auth=auth, timeout=timeout
        )

    @classmethod
    def from_env(
        cls,
        server: str | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        tenant: str | None = None,
    ) -> ServerClient:
        """A client of `server` (else ``TERCEL_SERVER``, else the local default) acting in
        `tenant` (else ``TERCEL_TENANT``, else ``main``)."""
        env = os.environ if environ is None else environ
        user, password = env.get("TERCEL_USER"), env.get("TERCEL_PASSWORD")
        return cls(
            server or env.get("TERCEL_SERVER") or DEFAULT_SERVER,
            tenant=tenant or env.get("TERCEL_TENANT") or "main",
            token=env.get("TERCEL_API_TOKEN") or None,
            auth=(user, password) if user and password else None,
        )

    def close(self) -> None:
        """Release the connection pool."""
        self.http.close()

    def _api(self, path: str) -> str:
        return f"/api/v1/{self.tenant}{path}"

    def call(self, method: str, path: str, *, tenant_path: bool = True, **kwargs: Any) -> Any:
        """JSON of a request to ``/api/v1/<tenant><path>`` (``/api/v1<path>`` when not
        `tenant_path`); None for an empty answer."""
        url = self._api(path) if tenant_path else f"/api/v1{path}"
        response = self.request(method, url, **kwargs)
        return response.json() if response.content else None

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Send a request; ServerError with the server's message on a 4xx/5xx."""
        import httpx

        try:
            response = self.http.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise ServerError(f"cannot reach {self.base_url}: {error}") from error
        if response.status_code >= 400:
            try:
                body = response.json()
                message = body.get("message") if isinstance(body, dict) else str(body)
            except ValueError:
                body, message = response.text, response.text
            raise ServerError(
                f"{response.status_code}: {message or response.reason_phrase}",
                response.status_code,
                body,
            )
        return response

    # -- flows ---------------------------------------------------------------------------
    def push_flow(self, source: str) -> dict[str, Any]:
        """Create the flow, or update it when it exists; the stored flow."""
        try:
            result: dict[str, Any] = self.request(
                "POST", self._api("/flows"), content=source.encode(), headers=YAML
            ).json()
        except ServerError as error:
            if error.status != 409:
                raise
            from tercel.model.loader import load_flow

            flow = load_flow(source)
            result = self.request(
                "PUT",
                self._api(f"/flows/{flow.namespace}/{flow.id}"),
                content=source.encode(),
                headers=YAML,
            ).json()
        return result

    def list_flows(self, namespace: str | None = None) -> list[dict[str, Any]]:
        """Every current flow (under a namespace prefix)."""
        flows: list[dict[str, Any]] = []
        page = 1
        while True:
            params: dict[str, Any] = {"page": page, "size": 200}
            if namespace:
                params["namespace"] = namespace
            body = self.request("GET", self._api("/flows/search"), params=params).json()
            flows.extend(body["results"])
            if len(flows) >= body["total"] or not body["results"]:
                return flows
            page += 1

    def export_flows(self, namespace: str | None = None) -> bytes:
        """A zip of the current flows' YAML (under a namespace prefix)."""
        params = {"namespace": namespace} if namespace else {}
        return self.request("GET", self._api("/flows/export/by-query"), params=params).content

    def import_flows(self, archive: bytes, filename: str = "flows.zip") -> list[str]:
        """Create or update the flows of a zip (or YAML); the names of those refused."""
        body: list[str] = self.request(
            "POST", self._api("/flows/import"), files={"fileUpload": (filename, archive)}
        ).json()
        return body

    # -- flows as code -------------------------------------------------------------------
    def namespace_state(
        self, namespace: str, nonce: str, digests: Mapping[str, str]
    ) -> dict[str, Any]:
        """What the server holds in a namespace (secret values compared by digest only)."""
        body: dict[str, Any] = self.request(
            "POST",
            self._api(f"/namespaces/{namespace}/sync/state"),
            json={"nonce": nonce, "secretDigests": dict(digests)},
        ).json()
        return body

    def apply_namespace(self, namespace: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
        """Apply one namespace's operations in one transaction (409 when the server moved)."""
        body: dict[str, Any] = self.request(
            "POST",
            self._api(f"/namespaces/{namespace}/sync/apply"),
            json={"operations": operations},
        ).json()
        return body

    # -- executions ----------------------------------------------------------------------
    def start_execution(
        self,
        namespace: str,
        flow_id: str,
        inputs: Mapping[str, str] | None = None,
        files: Mapping[str, Path] | None = None,
        labels: list[str] | None = None,
        *,
        wait: bool = False,
    ) -> dict[str, Any]:
        """Create an execution with inputs as multipart fields (files as file parts)."""
        parts: list[tuple[str, tuple[str | None, Any]]] = [
            (key, (None, value)) for key, value in (inputs or {}).items()
        ]
        handles = []
        try:
            for key, path in (files or {}).items():
                handle = path.open("rb")
                handles.append(handle)
                parts.append((key, (path.name, handle)))
            params: dict[str, Any] = {"wait": str(wait).lower()}
            if labels:
                params["labels"] = labels
            body: dict[str, Any] = self.request(
                "POST",
                self._api(f"/executions/{namespace}/{flow_id}"),
                params=params,
                files=parts or None,
                timeout=None if wait else self.http.timeout,
            ).json()
            return body
        finally:
            for handle in handles:
                handle.close()

    def execution(self, execution_id: str) -> dict[str, Any]:
        """An execution's JSON."""
        body: dict[str, Any] = self.request("GET", self._api(f"/executions/{execution_id}")).json()
        return body

    def logs(self, execution_id: str, min_level: str | None = None) -> list[dict[str, Any]]:
        """An execution's log lines so far."""
        params = {"minLevel": min_level} if min_level else {}
        body: list[dict[str, Any]] = self.request(
            "GET", self._api(f"/logs/{execution_id}"), params=params
        ).json()
        return body

    def follow_logs(
        self, execution_id: str, min_level: str | None = None
    ) -> Iterator[dict[str, Any]]:
        """Log lines as they come (SSE) until the execution ends; the end event is last."""
        params = {"minLevel": min_level} if min_level else {}
        path = self._api(f"/logs/{execution_id}/follow")
        import httpx

        try:
            with self.http.stream("GET", path, params=params, timeout=None) as response:
                if response.status_code >= 400:
                    response.read()
                    self._raise_for(response)
                name = None
                for line in response.iter_lines():
                    if line.startswith("event:"):
                        name = line[6:].strip()
                    elif line.startswith("data:"):
                        data = json.loads(line[5:].strip())
                        data.setdefault("_event", name)
                        yield data
        except httpx.HTTPError as error:
            raise ServerError(f"cannot reach {self.base_url}: {error}") from error

    @staticmethod
    def _raise_for(response: httpx.Response) -> None:
        try:
            message = response.json().get("message")
        except ValueError:
            message = response.text
        raise ServerError(f"{response.status_code}: {message}", response.status_code)
