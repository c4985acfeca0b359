"""The container runner against a real Docker-compatible engine (Podman's socket in CI)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from tercel.errors import TaskError
from tercel.runners.docker import ContainerRunner, ContainerSpec
from tercel.runners.docker_api import DockerClient, engine_reachable, engine_url
from tercel.runners.limits import ResourceLimits
from tercel.runners.logstream import LogLine

BUSYBOX = "localhost/tercel-busybox:latest"
PYTHON = "localhost/tercel-python:latest"

pytestmark = [
    pytest.mark.container,
    pytest.mark.skipif(
        not engine_reachable(),
        reason=f"no Docker-compatible engine reachable at {engine_url()} "
        "(run the tests through scripts/ci-podman.sh)",
    ),
]


async def _image_present(image: str) -> bool:
    async with DockerClient() as client:
        return await client.image_exists(image)


async def _run(spec: ContainerSpec, **kwargs: object) -> tuple[object, list[LogLine]]:
    lines: list[LogLine] = []
    result = await ContainerRunner().run(spec, on_lines=lines.extend, **kwargs)  # type: ignore[arg-type]
    return result, lines


def _spec(
    tmp_path: Path, command: list[str], image: str = BUSYBOX, **kwargs: object
) -> ContainerSpec:
    return ContainerSpec(
        image=image,
        command=command,
        working_dir=tmp_path,
        network_mode="none",
        pull_policy="NEVER",
        **kwargs,  # type: ignore[arg-type]
    )


async def test_container_streams_logs_protocol_and_exit_code(tmp_path: Path) -> None:
    assert await _image_present(BUSYBOX), f"{BUSYBOX} missing: build it with scripts/ci-podman.sh"
    script = (
        'echo out; echo err >&2; pwd; echo "$GREETING";'
        """ echo '::{"outputs":{"k":"v"}}::'; echo data > result.txt; exit 4"""
    )
    result, lines = await _run(
        _spec(tmp_path, ["/bin/sh", "-c", script], env={"GREETING": "hello"})
    )
    assert result.exit_code == 4  # type: ignore[attr-defined]
    assert result.outputs == {"k": "v"}  # type: ignore[attr-defined]
    assert sorted((line.level, line.message) for line in lines) == sorted(
        [("INFO", "out"), ("ERROR", "err"), ("INFO", str(tmp_path)), ("INFO", "hello")]
    )
    # The working dir is mounted: files the container writes are there afterwards.
    assert (tmp_path / "result.txt").read_text() == "data\n"


async def test_container_user_and_network_mode(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir(mode=0o700)
    (work / "in.txt").write_text("given\n")
    result, lines = await _run(
        _spec(
            work,
            ["/bin/sh", "-c", "id -u; ls /sys/class/net; cat in.txt > out.txt"],
            user="65534",
        )
    )
    assert result.exit_code == 0  # type: ignore[attr-defined]
    assert [line.message for line in lines] == ["65534", "lo"]
    # Another user can read the inputs and write outputs into the working dir.
    assert (work / "out.txt").read_text() == "given\n"


async def test_extra_volumes_are_mounted(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "in.txt").write_text("from host\n")
    work = tmp_path / "work"
    work.mkdir()
    _, lines = await _run(_spec(work, ["cat", "/data/in.txt"], volumes=[f"{shared}:/data:ro"]))
    assert [line.message for line in lines] == ["from host"]


async def test_missing_image_with_pull_never_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TaskError, match="not present and `pullPolicy` is NEVER"):
        await _run(_spec(tmp_path, ["true"], image="localhost/does-not-exist:1"))


async def test_container_timeout_kills_it(tmp_path: Path) -> None:
    started = time.monotonic()
    result, _ = await _run(_spec(tmp_path, ["sleep", "60"]), timeout=1.0)
    assert result.timed_out  # type: ignore[attr-defined]
    assert time.monotonic() - started < 15


async def test_container_memory_cap_stops_a_hog(tmp_path: Path) -> None:
    if not await _image_present(PYTHON):
        pytest.skip(f"{PYTHON} was not built (no distribution python3 on this host)")
    result, _ = await _run(
        _spec(tmp_path, ["python3", "-c", "data = bytearray(600 << 20)"], image=PYTHON),
        limits=ResourceLimits(memory_bytes=128 << 20),
    )
    assert result.memory_exceeded  # type: ignore[attr-defined]


async def test_container_cpu_cap_slows_a_busy_loop(tmp_path: Path) -> None:
    if not await _image_present(PYTHON):
        pytest.skip(f"{PYTHON} was not built (no distribution python3 on this host)")
    loop = (
        "import time\nstart = time.time()\nwhile time.time() - start < 1.5: pass\n"
        'print(\'::{"outputs": {"cpu": %f}}::\' % time.process_time())'
    )
    # Side by side, so both loops see the same load from whatever else the machine runs.
    (free, _), (capped, _) = await asyncio.gather(
        _run(_spec(tmp_path, ["python3", "-c", loop], image=PYTHON)),
        _run(
            _spec(tmp_path, ["python3", "-c", loop], image=PYTHON), limits=ResourceLimits(cpus=0.05)
        ),
    )
    capped_cpu = capped.outputs["cpu"]  # type: ignore[attr-defined]
    free_cpu = free.outputs["cpu"]  # type: ignore[attr-defined]
    # 0.05 CPU over a 1.5 s loop allows 0.075 s of CPU (an uncapped loop gets 1.5 s alone,
    # and still ~0.25 s on a 2-core machine with a load of 7).
    assert capped_cpu < 0.15, (capped_cpu, free_cpu)
    if free_cpu > 0.5:  # the machine was not too busy to compare the two
        assert capped_cpu / free_cpu < 0.3, (capped_cpu, free_cpu)


async def test_cancelling_the_caller_removes_the_container(tmp_path: Path) -> None:
    task = asyncio.create_task(_run(_spec(tmp_path, ["sleep", "60"])))
    await asyncio.sleep(1.0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    import httpx

    from tercel.runners.docker_api import socket_path

    path = socket_path(engine_url())
    assert path is not None
    async with httpx.AsyncClient(transport=httpx.AsyncHTTPTransport(uds=str(path))) as client:
        listed = (
            await client.get(
                "http://engine/v1.41/containers/json",
                params={"all": "true", "filters": '{"label":["io.tercel.runner=docker"]}'},
            )
        ).json()
    assert [c for c in listed if "sleep" in str(c.get("Command"))] == []


async def test_pull_always_falls_back_to_the_local_image_when_no_registry_answers(
    tmp_path: Path,
) -> None:
    warnings: list[tuple[str, str]] = []
    spec = _spec(tmp_path, ["echo", "local"])
    spec.pull_policy = "ALWAYS"
    lines: list[LogLine] = []
    result = await ContainerRunner().run(
        spec, on_lines=lines.extend, log=lambda level, message: warnings.append((level, message))
    )
    assert result.exit_code == 0
    assert [line.message for line in lines] == ["local"]
    assert warnings == [("WARN", f"could not pull image `{BUSYBOX}`; using the local copy")]


async def test_a_container_left_by_a_killed_server_is_removed_on_restart(tmp_path: Path) -> None:
    from tercel.runners.docker import remove_orphan
    from tercel.runners.ledger import Owner, ProcessLedger, current_owner

    ledger = ProcessLedger(tmp_path / "ledger")
    current_owner.set(Owner(ledger, "exec/run attempt 1"))
    # The attempt is running when its server dies: nothing removes the container then.
    task = asyncio.create_task(_run(_spec(tmp_path, ["sleep", "60"])))
    deadline = time.monotonic() + 30
    while not list(ledger.entries()) and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    [entry] = list(ledger.entries())
    async with DockerClient() as client:
        labels = (await client.inspect(entry.ident))["Config"]["Labels"]
    assert labels["io.tercel.owner"] == "exec/run attempt 1"

    # What a restarted server does before resubmitting (in a thread: it blocks).
    reaped = await asyncio.to_thread(
        ProcessLedger(tmp_path / "ledger").reap, remove_container=remove_orphan
    )

    assert [(r.entry.kind, r.stopped) for r in reaped] == [("container", 1)]
    async with DockerClient() as client:
        with pytest.raises(TaskError):
            await client.inspect(entry.ident)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
