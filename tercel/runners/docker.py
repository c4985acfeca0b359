"""Run a command in a container through the Docker Engine API (Docker or Podman).

The working directory is bind-mounted at the same path inside the container, so paths
rendered into commands (`{{ workingDir }}`, downloaded ``kestra://`` files) are valid on
both sides and output files land where the task collects them. Logs are streamed line by
line, with the same protocol parsing and batching as local processes, and the result has
the same shape (`ProcessResult`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from tercel.errors import TaskError
from tercel.ids import short_id
from tercel.runners.docker_api import STDERR, DockerClient, engine_url
from tercel.runners.ledger import LedgerEntry, current_owner
from tercel.runners.limits import ResourceLimits, parse_memory
from tercel.runners.logstream import LineBatcher, LineSink, LineSplitter, ProtocolState
from tercel.runners.process import CANCEL_POLL_SECONDS, ProcessResult

PULL_POLICIES = ("ALWAYS", "IF_NOT_PRESENT", "NEVER")


@dataclass(slots=True)
class ContainerSpec:
    """What to run, and how (Kestra's Docker runner properties, already rendered)."""

    image: str
    command: list[str]
    working_dir: Path
    env: Mapping[str, str] = field(default_factory=dict)
    #: Extra ``host:container[:mode]`` binds.
    volumes: list[str] = field(default_factory=list)
    network_mode: str | None = None
    user: str | None = None
    pull_policy: str = "IF_NOT_PRESENT"
    #: None resets the image's entrypoint (Kestra's default ``[""]``).
    entry_point: list[str] | None = None
    extra_hosts: list[str] = field(default_factory=list)
    shm_size: str | None = None
    privileged: bool = False
    #: Remove the container afterwards.
    delete: bool = True


class ContainerRunner:
    """Runs commands in containers of one engine (``$DOCKER_HOST`` unless `host` is given)."""

    def __init__(self, host: str | None = None) -> None:
        self.host = host

    async def run(
        self,
        spec: ContainerSpec,
        *,
        on_lines: LineSink,
        limits: ResourceLimits | None = None,
        timeout: float | None = None,
        cancelled: Callable[[], bool] | None = None,
        log: Callable[[str, str], None] | None = None,
    ) -> ProcessResult:
        """Create, start, stream, wait and remove; never raises for a non-zero exit."""
        limits = limits or ResourceLimits()
        state = ProtocolState()
        batcher = LineBatcher(on_lines, state)
        started = time.monotonic()
        if spec.user and spec.user.split(":")[0] not in ("0", "root"):
            _open_to_any_user(spec.working_dir)
        async with DockerClient(self.host) as client:
            await self._ensure_image(client, spec, log)
            owner = current_owner.get()
            config = _config(spec, limits, owner.label if owner is not None else None)
            container = await client.create(config, name=f"tercel-{short_id().lower()}")
            # Recorded until removed, so a restart after a crash removes it (`ProcessLedger`).
            if owner is not None:
                owner.ledger.record_container(container, owner.label, engine_url(self.host))
            result = ProcessResult(exit_code=-1)
            streamer: asyncio.Task[None] | None = None
            try:
                await client.start(container)
                streamer = asyncio.create_task(_stream(client, container, batcher))
                waiter = asyncio.create_task(client.wait(container))
                result.timed_out, result.cancelled = await _watch(waiter, timeout, cancelled)
                if result.timed_out or result.cancelled:
                    await client.kill(container)
                result.exit_code = await waiter
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(streamer), timeout=5)
                details = await client.inspect(container)
                # Podman on cgroup v1 may not report OOMKilled; an unexplained SIGKILL (137)
                # of a memory-capped container is the kernel's OOM killer.
                result.memory_exceeded = bool(details.get("State", {}).get("OOMKilled")) or (
                    limits.memory_bytes is not None
                    and result.exit_code == 137
                    and not (result.timed_out or result.cancelled)
                )
            finally:
                if streamer is not None and not streamer.done():
                    streamer.cancel()
                # Shielded: a cancelled task must still not leave a running container.
                await asyncio.shield(_cleanup(client, container, remove=spec.delete))
                if owner is not None:
                    owner.ledger.forget("container", container)
        await batcher.flush()
        result.outputs = state.outputs
        result.metrics = state.metrics
        result.stdout_lines = state.stdout_lines
        result.stderr_lines = state.stderr_lines
        result.duration = time.monotonic() - started
        return result

    async def _ensure_image(
        self, client: DockerClient, spec: ContainerSpec, log: Callable[[str, str], None] | None
    ) -> None:
        policy = spec.pull_policy.upper()
        if policy not in PULL_POLICIES:
            raise TaskError(
                f"property `pullPolicy` must be one of {', '.join(PULL_POLICIES)}, got `{policy}`"
            )
        present = await client.image_exists(spec.image)
        if policy == "NEVER":
            if not present:
                raise TaskError(f"image `{spec.image}` is not present and `pullPolicy` is NEVER")
            return
        if present and policy == "IF_NOT_PRESENT":
            return
        try:
            await client.pull(spec.image)
        except TaskError:
            if not present:
                raise
            # ALWAYS with no registry reachable: the local copy is the best we have.
            if log is not None:
                log("WARN", f"could not pull image `{spec.image}`; using the local copy")


def _open_to_any_user(root: Path) -> None:
    """Let a container running as another user write into the (private, per-run) working dir.

    The folder is a fresh temporary directory only this run uses, so opening it up does not
    expose anything else; its parent keeps its own permissions.
    """
    for path in [root, *root.rglob("*")]:
        if path.is_dir():
            path.chmod(0o777)
        elif path.is_file():
            path.chmod(path.stat().st_mode | 0o666)


def _config(
    spec: ContainerSpec, limits: ResourceLimits, owner: str | None = None
) -> dict[str, object]:
    """The create-container body of the Engine API (labelled with the attempt that owns it)."""
    labels = {"io.tercel.runner": "docker"}
    if owner is not None:
        labels["io.tercel.owner"] = owner
    workdir = str(spec.working_dir)
    host: dict[str, object] = {"Binds": [f"{workdir}:{workdir}", *spec.volumes]}
    if spec.network_mode:
        host["NetworkMode"] = spec.network_mode
    if limits.cpus is not None:
        host["NanoCpus"] = int(limits.cpus * 1_000_000_000)
    if limits.memory_bytes is not None:
        host["Memory"] = limits.memory_bytes
        # Swap must not extend the cap (the same value means "no swap").
        host["MemorySwap"] = limits.memory_bytes
    if spec.extra_hosts:
        host["ExtraHosts"] = list(spec.extra_hosts)
    if spec.shm_size:
        host["ShmSize"] = parse_memory(spec.shm_size)
    if spec.privileged:
        host["Privileged"] = True
    config: dict[str, object] = {
        "Image": spec.image,
        "Cmd": list(spec.command),
        "Entrypoint": list(spec.entry_point) if spec.entry_point else [""],
        "Env": [f"{key}={value}" for key, value in spec.env.items()],
        "WorkingDir": workdir,
        "Tty": False,
        "OpenStdin": False,
        "AttachStdout": True,
        "AttachStderr": True,
        "Labels": labels,
        "HostConfig": host,
    }
    if spec.user:
        config["User"] = spec.user
    return config


async def _stream(client: DockerClient, container: str, batcher: LineBatcher) -> None:
    """Demultiplex the log stream into lines of stdout and stderr.

    A followed log stream can end before the engine has written the container's last lines
    (Podman's conmon writes them asynchronously, which shows under load), so once it ends the
    whole log is read again and only the bytes not seen yet are used.
    """
    splitters = {"stdout": LineSplitter(), "stderr": LineSplitter()}
    seen = {"stdout": 0, "stderr": 0}

    async def feed(frames: AsyncIterator[tuple[int, bytes]], skip: dict[str, int]) -> None:
        async for stream_id, frame in frames:
            name = "stderr" if stream_id == STDERR else "stdout"
            if skip[name] >= len(frame):
                skip[name] -= len(frame)
                continue
            fresh = frame[skip[name] :]
            skip[name] = 0
            seen[name] += len(fresh)
            lines = splitters[name].feed(fresh)
            if lines:
                await batcher.add(name, lines)

    await feed(client.logs(container), {"stdout": 0, "stderr": 0})
    await feed(client.logs(container, follow=False), dict(seen))
    for name, splitter in splitters.items():
        rest = splitter.finish()
        if rest:
            await batcher.add(name, rest)


async def _watch(
    waiter: asyncio.Task[int], timeout: float | None, cancelled: Callable[[], bool] | None
) -> tuple[bool, bool]:
    """Wait for the container; (timed out, cancelled) when it must be killed."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        step = CANCEL_POLL_SECONDS if cancelled is not None else None
        if deadline is not None:
            left = max(0.0, deadline - time.monotonic())
            step = left if step is None else min(step, left)
        done, _ = await asyncio.wait({waiter}, timeout=step)
        if done:
            return False, False
        if deadline is not None and time.monotonic() >= deadline:
            return True, False
        if cancelled is not None and cancelled():
            return False, True


async def _cleanup(client: DockerClient, container: str, *, remove: bool) -> None:
    with contextlib.suppress(TaskError):
        await client.kill(container)
        if remove:
            await client.remove(container)


def remove_orphan(entry: LedgerEntry) -> bool:
    """Force-remove a container a previous run left (`ProcessLedger.reap`); True if reached.

    Synchronous on purpose: it runs at start-up, before anything is resubmitted; in a thread
    of its own, because the caller may be on a running event loop.
    """

    async def remove() -> None:
        async with DockerClient(entry.host) as client:
            await client.remove(entry.ident)

    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        try:
            pool.submit(asyncio.run, remove()).result(timeout=60)
        except (TaskError, OSError, TimeoutError):
            return False
    return True
