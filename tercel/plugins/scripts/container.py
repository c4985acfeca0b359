"""Run a script task in a container through the Docker Engine API (Docker or Podman)."""

from __future__ import annotations

from tercel.errors import TaskError
from tercel.plugins.context import TaskContext
from tercel.plugins.scripts.task_runners import DockerTaskRunner
from tercel.runners.limits import ResourceLimits
from tercel.runners.logstream import LineSink
from tercel.runners.process import ProcessResult


async def run_in_container(
    ctx: TaskContext,
    runner: DockerTaskRunner,
    *,
    image: str,
    command: list[str],
    env: dict[str, str],
    limits: ResourceLimits,
    timeout: float | None,
    on_lines: LineSink,
) -> ProcessResult:
    """Run `command` in `image` with the working dir mounted; same result shape as a process."""
    raise TaskError("the Docker task runner is not available yet")
