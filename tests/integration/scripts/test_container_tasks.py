"""Script tasks with the Docker task runner, against a real engine (Podman's socket in CI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tercel.errors import ScriptError
from tercel.runners.docker_api import engine_reachable, engine_url
from tercel.testing import FakeTaskContext, run_task

BUSYBOX = "localhost/tercel-busybox:latest"
PYTHON = "localhost/tercel-python:latest"
DOCKER = {"type": "io.kestra.plugin.scripts.runner.docker.Docker", "networkMode": "none"}

pytestmark = [
    pytest.mark.container,
    pytest.mark.skipif(
        not engine_reachable(),
        reason=f"no Docker-compatible engine reachable at {engine_url()} "
        "(run the tests through scripts/ci-podman.sh)",
    ),
]


async def test_shell_commands_in_a_container_return_vars_and_files(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    result = await run_task(
        {
            "id": "in_container",
            "type": "io.kestra.plugin.scripts.shell.Commands",
            "containerImage": BUSYBOX,
            "taskRunner": {**DOCKER, "pullPolicy": "NEVER"},
            "inputFiles": {"in.txt": "3"},
            "outputFiles": ["*.out"],
            "commands": [
                'test "$WORKING_DIR" = "$(pwd)"',
                "expr $(cat in.txt) + 4 > sum.out",
                """echo '::{"outputs":{"where":"container"}}::'""",
                "cat sum.out",
            ],
        },
        ctx,
    )
    assert result.outputs is not None
    assert result.outputs["vars"] == {"where": "container"}
    assert ctx.storage.get(result.outputs["outputFiles"]["sum.out"]) == b"7\n"
    assert ctx.messages() == ["7"]


async def test_python_script_in_a_container_with_caps_from_inputs(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"inputs": {"cpus": 0.5, "memory": "128MB"}})
    task = {
        "id": "hog",
        "type": "io.kestra.plugin.scripts.python.Script",
        "containerImage": PYTHON,
        "taskRunner": {
            **DOCKER,
            "cpu": {"cpus": "{{ inputs.cpus }}"},
            "memory": {"memory": "{{ inputs.memory }}"},
        },
        "script": "data = bytearray(600 << 20)",
    }
    with pytest.raises(ScriptError, match=r"^memory limit of 128MB exceeded$"):
        await run_task(task, ctx)


async def test_deprecated_docker_runner_property(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    await run_task(
        {
            "id": "old",
            "type": "io.kestra.plugin.scripts.shell.Commands",
            "runner": "DOCKER",
            "docker": {"image": BUSYBOX, "networkMode": "none", "pullPolicy": "NEVER"},
            "commands": ["cat /etc/passwd | head -1 | cut -d: -f1"],
        },
        ctx,
    )
    assert ctx.messages() == ["root"]


async def test_container_timeout_fails_with_the_kestra_message(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    with pytest.raises(ScriptError, match=r"^timed out after PT1S$"):
        await run_task(
            {
                "id": "slow",
                "type": "io.kestra.plugin.scripts.shell.Commands",
                "containerImage": BUSYBOX,
                "taskRunner": DOCKER,
                "timeout": "PT1S",
                "commands": ["sleep 60"],
            },
            ctx,
        )


async def test_python_dependencies_are_installed_inside_the_container(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    # The test image has no pip: the install line must run in the container and fail there.
    with pytest.raises(ScriptError, match="exit code 1"):
        await run_task(
            {
                "id": "deps",
                "type": "io.kestra.plugin.scripts.python.Script",
                "containerImage": PYTHON,
                "taskRunner": DOCKER,
                "dependencies": ["requests"],
                "script": "print('never')",
            },
            ctx,
        )
    assert "never" not in ctx.messages()
    assert any("No module named pip" in line for line in ctx.messages("ERROR"))


async def test_python_in_a_container_imports_kestra_and_reads_the_context(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path, variables={"flow": {"id": "etl", "namespace": "company"}})
    result = await run_task(
        {
            "id": "k",
            "type": "io.kestra.plugin.scripts.python.Script",
            "containerImage": PYTHON,
            "taskRunner": {**DOCKER, "pullPolicy": "NEVER"},
            "executionContext": True,
            "script": "from kestra import Kestra, context\n"
            "Kestra.outputs({'flow': context.flow.id})\n",
        },
        ctx,
    )
    assert result.outputs is not None
    assert result.outputs["vars"] == {"flow": "etl"}
