"""docker.Build against a real Docker-compatible engine (Podman's socket via scripts/ci-podman.sh).

The base image is the local busybox image that scripts/ci-podman.sh builds from host files:
nothing is pulled from a registry.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tercel.errors import TaskError
from tercel.ids import short_id
from tercel.runners.docker_api import DockerClient, engine_reachable
from tercel.testing import FakeTaskContext, run_task

BASE = "localhost/tercel-busybox:latest"

pytestmark = [
    pytest.mark.integration,
    pytest.mark.container,
    pytest.mark.skipif(
        not engine_reachable(),
        reason="no Docker-compatible engine at $DOCKER_HOST "
        "(run the tests through scripts/ci-podman.sh)",
    ),
]


async def run_image(image: str, command: list[str]) -> str:
    """Run `command` in `image` and return its output (through the runner's client)."""
    async with DockerClient() as client:
        container = await client.create(
            {"Image": image, "Cmd": command, "Entrypoint": [], "Tty": False}
        )
        try:
            await client.start(container)
            await client.wait(container)
            output = b""
            async for _, chunk in client.logs(container):
                output += chunk
            return output.decode()
        finally:
            await client.remove(container)


async def remove_image(name: str) -> None:
    async with DockerClient() as client:
        await client._request("DELETE", f"/images/{name}", ok=(200, 404, 409))


@pytest.fixture
def tag() -> str:
    return f"localhost/tercel-build-test:{short_id().lower()}"


async def test_inline_dockerfile_with_build_args_and_input_files(tmp_path: Path, tag: str) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"greeting": "hello"}})
    task = {
        "id": "build",
        "type": "io.kestra.plugin.docker.Build",
        "dockerfile": (
            f"FROM {BASE}\nARG GREETING\nCOPY app.txt /app.txt\n"
            'RUN echo "$GREETING from build" > /built.txt\nLABEL stage=test\n'
        ),
        "tags": [tag],
        "buildArgs": {"GREETING": "{{ inputs.greeting }}"},
        "pull": False,
        "inputFiles": {"app.txt": "app v1"},
    }
    try:
        outputs = (await run_task(task, ctx)).outputs
        assert outputs is not None
        assert outputs["imageId"]
        printed = await run_image(tag, ["sh", "-c", "cat /app.txt; echo; cat /built.txt"])
        assert printed.splitlines() == ["app v1", "hello from build"]
    finally:
        await remove_image(tag)


async def test_dockerfile_from_a_path_in_the_working_dir(tmp_path: Path, tag: str) -> None:
    ctx = FakeTaskContext(tmp_path)
    (ctx.working_dir / "docker").mkdir()
    (ctx.working_dir / "docker" / "app.Dockerfile").write_text(
        f"FROM {BASE}\nRUN echo ok > /ok.txt\n"
    )
    task = {
        "id": "build",
        "type": "io.kestra.plugin.docker.Build",
        "dockerfile": "docker/app.Dockerfile",
        "tags": [tag],
        "pull": False,
    }
    try:
        await run_task(task, ctx)
        assert (await run_image(tag, ["cat", "/ok.txt"])).strip() == "ok"
    finally:
        await remove_image(tag)


async def test_a_failing_build_step_fails_the_task(tmp_path: Path, tag: str) -> None:
    ctx = FakeTaskContext(tmp_path)
    task = {
        "id": "build",
        "type": "io.kestra.plugin.docker.Build",
        "dockerfile": f"FROM {BASE}\nRUN exit 3\n",
        "tags": [tag],
        "pull": False,
    }
    with pytest.raises(TaskError, match="image build failed"):
        await run_task(task, ctx)
