"""A `tercel server local` started for browser tests (free port, temporary home)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class UiServer:
    """A running `tercel server local`."""

    url: str
    process: subprocess.Popen[bytes]
    home: Path

    def api(self) -> httpx.Client:
        """An HTTP client on the server's API (tenant `main`)."""
        return httpx.Client(base_url=f"{self.url}/api/v1/main", timeout=30)


def start_server(home: Path, env: dict[str, str] | None = None) -> UiServer:
    """Start a server on a free port with `home` as its data folder; wait until it answers."""
    port = free_port()
    with (home / "server.log").open("wb") as log:  # the child keeps its own copy
        process = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from tercel.cli.app import main; main()",
                "server",
                "local",
                "--port",
                str(port),
                "--home",
                str(home),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited: {(home / 'server.log').read_text()}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return UiServer(url, process, home)
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise RuntimeError("server did not answer /health within 60 s")


def stop_server(server: UiServer) -> None:
    """Stop the server process (it started nothing else that outlives it)."""
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
