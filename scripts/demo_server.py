"""The Tercel server of the demo, in this process, with what the demo needs at start.

`tercel server local` is used as a library here (same `Settings`, `Server`, flow loading)
so that the launcher can start the demo services before the server reads ``envs``. Templates
see the namespaces' variables (``namespace.*``) through the runtime itself.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from tercel.cli.server import load_flows_into
from tercel.config import Settings
from tercel.server import Server

API = "/api/v1/main"
TERMINAL = frozenset({"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED"})


class DemoServer:
    """A Tercel server (uvicorn) with the demo flows loaded and a ready signal."""

    def __init__(self, home: Path, port: int, flows: list[Path]) -> None:
        self.settings = Settings.from_env(port=port, home=home)
        self.server = Server.open(self.settings)
        self.flows_loaded = sum(load_flows_into(self.server, folder) for folder in flows)
        self.ready = threading.Event()
        self.server.on_ready.append(self.ready.set)
        config = uvicorn.Config(
            self.server.app,
            host=self.settings.host,
            port=self.settings.port,
            log_level="warning",
            access_log=False,
            lifespan="on",
        )
        self.uvicorn = uvicorn.Server(config)

    @property
    def url(self) -> str:
        """Where the API and the UI answer."""
        return self.settings.base_url

    def serve(self) -> None:
        """Serve until `stop` (blocks; call from the main thread for Ctrl-C handling)."""
        self.uvicorn.run()

    def stop(self) -> None:
        """Ask the server to finish (from any thread)."""
        self.uvicorn.should_exit = True


class DemoClient:
    """The few API calls the launcher makes, each with a bounded wait."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=30)

    def healthy(self) -> bool:
        """Whether the server answers (the lifespan's ready signal precedes the socket)."""
        try:
            return self.http.get("/health").status_code == 200
        except httpx.HTTPError:
            return False

    def set_namespace_variables(self, namespace: str, variables: dict[str, Any]) -> None:
        """``PUT /namespaces/{ns}`` (creates or replaces the namespace)."""
        self.http.put(
            f"{API}/namespaces/{namespace}", json={"id": namespace, "variables": variables}
        ).raise_for_status()

    def upload_namespace_files(self, root: Path) -> int:
        """Every file under ``root/<namespace>/`` as a file of that namespace."""
        count = 0
        for folder in sorted(p for p in root.iterdir() if p.is_dir()):
            for path in sorted(folder.rglob("*")):
                parts = path.relative_to(folder).parts
                # Build and cache output of local runs (dbt target/, logs/, caches) stays local.
                skipped = {"__pycache__", "target", "logs"} & set(parts)
                if not path.is_file() or skipped or any(p.startswith(".") for p in parts):
                    continue
                self.http.post(
                    f"{API}/namespaces/{folder.name}/files",
                    params={"path": path.relative_to(folder).as_posix()},
                    files={"fileContent": (path.name, path.read_bytes())},
                ).raise_for_status()
                count += 1
        return count

    def start(self, namespace: str, flow_id: str, inputs: dict[str, str] | None = None) -> str:
        """Start an execution now; its id."""
        response = self.http.post(f"{API}/executions/{namespace}/{flow_id}", data=inputs or {})
        response.raise_for_status()
        return str(response.json()["id"])

    def finished(self, namespace: str, flow_id: str) -> list[dict[str, Any]]:
        """Finished executions of a flow, newest first."""
        found = self.http.get(
            f"{API}/executions/search",
            params={"namespace": namespace, "flowId": flow_id, "size": 100},
        ).json()
        return [e for e in found["results"] if e["state"]["current"] in TERMINAL]

    def execution(self, execution_id: str) -> dict[str, Any]:
        """One execution with its task runs."""
        response = self.http.get(f"{API}/executions/{execution_id}")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def output_file(self, execution: dict[str, Any], task_id: str, name: str) -> bytes | None:
        """The bytes of an output file of a task run (``outputFiles``), if there is one."""
        for task_run in execution.get("taskRunList") or []:
            uri = ((task_run.get("outputs") or {}).get("outputFiles") or {}).get(name)
            if task_run["taskId"] == task_id and uri:
                response = self.http.get(
                    f"{API}/executions/{execution['id']}/file", params={"path": uri}
                )
                return response.content if response.status_code == 200 else None
        return None

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()
