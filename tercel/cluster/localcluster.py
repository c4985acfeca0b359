"""Start a cluster's components as separate OS processes on this machine.

For the cluster tests and `bench/cluster.py`, and to try a cluster out: every component is
a real ``tercel server <role>`` process on one PostgreSQL database and one storage
directory, reached on 127.0.0.1 ports chosen free at start::

    with LocalCluster(database_url, storage_dir) as cluster:
        web = cluster.start("webserver")
        cluster.start("executor")
        cluster.start("worker", "--threads", "4")
        cluster.wait_healthy()
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Component:
    """One running ``tercel server <role>`` process."""

    role: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    args: tuple[str, ...] = field(default_factory=tuple)

    @property
    def pid(self) -> int:
        """Its process id."""
        return self.process.pid

    @property
    def url(self) -> str:
        """Its base URL (the API for a webserver, the health port otherwise)."""
        return f"http://127.0.0.1:{self.port}"

    def health(self, timeout: float = 2.0) -> dict[str, Any] | None:
        """``GET /health`` (None when it does not answer)."""
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=timeout) as response:  # noqa: S310 - loopback
                answer: dict[str, Any] = json.loads(response.read())
                return answer
        except OSError:
            return None

    def signal(self, signum: int) -> None:
        """Send a signal (SIGKILL, SIGSTOP, SIGTERM...)."""
        if self.process.poll() is None:
            os.kill(self.process.pid, signum)

    def output(self) -> str:
        """What it printed so far."""
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class LocalCluster:
    """Components of one cluster, stopped (SIGKILL at worst) when the block ends."""

    def __init__(
        self,
        database_url: str,
        storage_dir: Path,
        *,
        logs_dir: Path | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.storage_dir = storage_dir
        self.logs_dir = logs_dir or storage_dir.parent / "component-logs"
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "TERCEL_DATABASE_URL": database_url,
            "TERCEL_STORAGE_DIR": str(storage_dir),
            **(env or {}),
        }
        self.components: list[Component] = []

    def __enter__(self) -> LocalCluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop_all()

    def start(self, role: str, *args: str) -> Component:
        """Start ``tercel server <role> ARGS`` (port options added)."""
        port = free_port()
        flag = "--port" if role in ("webserver", "standalone") else "--health-port"
        log = self.logs_dir / f"{role}-{len(self.components)}.log"
        command = [
            str(Path(sys.executable).parent / "tercel"),
            "server",
            role,
            flag,
            str(port),
            *args,
        ]
        with log.open("wb") as sink:
            process = subprocess.Popen(command, env=self.env, stdout=sink, stderr=subprocess.STDOUT)
        component = Component(role, process, port, log, tuple(args))
        self.components.append(component)
        return component

    def wait_healthy(self, *components: Component, timeout: float = 60.0) -> None:
        """Wait until these components (every running one when none is given) answer
        ``/health`` (RuntimeError if one does not)."""
        deadline = time.monotonic() + timeout
        for component in components or tuple(self.components):
            if component.process.poll() is not None:
                continue
            while component.health() is None:
                if component.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"{component.role} did not start:\n{component.output()[-3000:]}"
                    )
                time.sleep(0.1)

    def of(self, role: str) -> list[Component]:
        """Running components of a role."""
        return [c for c in self.components if c.role == role and c.process.poll() is None]

    def stop(self, component: Component, timeout: float = 20.0) -> int:
        """SIGTERM, then SIGKILL after `timeout`; its exit code."""
        component.signal(signal.SIGCONT)
        component.signal(signal.SIGTERM)
        try:
            return component.process.wait(timeout)
        except subprocess.TimeoutExpired:
            component.signal(signal.SIGKILL)
            return component.process.wait()

    def stop_all(self) -> None:
        """Stop every component."""
        for component in self.components:
            component.signal(signal.SIGCONT)
            component.signal(signal.SIGTERM)
        deadline = time.monotonic() + 20
        for component in self.components:
            try:
                component.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                component.signal(signal.SIGKILL)
                component.process.wait()
