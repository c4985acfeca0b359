"""Helpers of the flows-as-code tests: a real server subprocess, a folder, the CLI."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

TERCEL = str(Path(sys.executable).parent / "tercel")
KEY = base64.b64encode(bytes(range(32))).decode()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A server process on 127.0.0.1 with secrets enabled, and an HTTP client of it."""

    def __init__(self, home: Path, env: Mapping[str, str] | None = None) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = home / "server.log"
        home.mkdir(parents=True, exist_ok=True)
        environ = {**os.environ, "TERCEL_ENCRYPTION_KEY": KEY, **(env or {})}
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [TERCEL, "server", "local", "--port", str(self.port), "--home", str(home)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=environ,
            )
        self.http = httpx.Client(base_url=self.url, timeout=30)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if self.http.get("/health").status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError("the server never became healthy: " + self.log.read_text())

    def api(self, method: str, path: str, tenant: str = "main", **kwargs: Any) -> httpx.Response:
        return self.http.request(method, f"/api/v1/{tenant}{path}", **kwargs)

    def wait_execution(self, execution_id: str, tenant: str = "main") -> dict[str, Any]:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            body: dict[str, Any] = self.api("GET", f"/executions/{execution_id}", tenant).json()
            if body["state"]["current"] in ("SUCCESS", "FAILED", "WARNING", "KILLED"):
                return body
            time.sleep(0.1)
        raise AssertionError(f"execution {execution_id} did not end")

    def stop(self) -> None:
        self.http.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


class Project:
    """A flows-as-code folder written file by file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def write(self, relative: str, text: str) -> Path:
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    def remove(self, relative: str) -> None:
        (self.root / relative).unlink()


def tercel(
    *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI as a CI job would (no terminal, bounded in time)."""
    return subprocess.run(
        [TERCEL, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )
