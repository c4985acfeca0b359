"""Run a script task in a container through the Docker Engine API (Docker or Podman)."""

from __future__ import annotations

from tercel.plugins.context import TaskContext
from tercel.plugins.core.templating.properties import render_bool, render_list, render_str
from tercel.plugins.scripts.task_runners import DockerTaskRunner
from tercel.runners.docker import ContainerRunner, ContainerSpec
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
    extra_volumes: list[str] | None = None,
) -> ProcessResult:
    """Run `command` in `image` with the working dir mounted; same result shape as a process."""
    spec = ContainerSpec(
        image=image,
        command=command,
        working_dir=ctx.working_dir,
        env=env,
        volumes=[
            *(str(v) for v in render_list(ctx, runner.volumes, "taskRunner.volumes")),
            *(extra_volumes or []),
        ],
        network_mode=render_str(ctx, runner.network_mode),
        user=render_str(ctx, runner.user),
        pull_policy=render_str(ctx, runner.pull_policy) or "IF_NOT_PRESENT",
        entry_point=[str(p) for p in runner.entry_point] if runner.entry_point else None,
        extra_hosts=[str(h) for h in render_list(ctx, runner.extra_hosts, "taskRunner.extraHosts")],
        shm_size=render_str(ctx, runner.shm_size),
        privileged=bool(runner.privileged),
        delete=render_bool(ctx, runner.delete, "taskRunner.delete", True),
    )
    return await ContainerRunner(render_str(ctx, runner.host)).run(
        spec,
        on_lines=on_lines,
        limits=limits,
        timeout=timeout,
        cancelled=lambda: ctx.cancelled,
        log=ctx.logger.log,
    )
