"""The base of every script task (Kestra's `AbstractExecScript`, §5.1).

A subclass says only what its main commands are (`main_commands`) and, optionally, how to
prepare the environment (`prepare`, e.g. Python dependencies). Everything else is shared:
files in and out, the interpreter line, environment, runner choice, caps, timeout, the
output protocol and the outputs Kestra returns (`exitCode`, `vars`, `outputFiles`,
`stdOutLineCount`, `stdErrLineCount`).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field

from tercel.errors import ScriptError, TaskError
from tercel.model.base import KestraModel
from tercel.model.durations import format_duration, parse_duration
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.plugins.core.templating.properties import (
    Text,
    render_bool,
    render_list,
    render_map,
    render_str,
)
from tercel.plugins.scripts.execution_context import write_execution_context
from tercel.plugins.scripts.files import (
    collect_output_files,
    copy_namespace_files,
    localize_internal_uris,
    write_input_files,
)
from tercel.plugins.scripts.task_runners import (
    DOCKER_TYPE,
    AnyTaskRunner,
    DeprecatedDockerOptions,
    DockerTaskRunner,
    runner_limits,
    runner_type,
)
from tercel.runners.limits import ResourceLimits
from tercel.runners.logstream import LineSink, LogLine
from tercel.runners.process import ProcessResult, ProcessRunner, describe_exit
from tercel.templating.output import to_text

DEFAULT_INTERPRETER = ["/bin/sh", "-c"]
#: Sub-folder of the working dir whose files are uploaded as outputs (`{{ outputDir }}`).
OUTPUT_DIR_NAME = "_outputs"
#: Sub-folder where ``kestra://`` files named in commands are downloaded.
DOWNLOADS_DIR_NAME = "_inputs"


class NamespaceFiles(KestraModel):
    """Copy the namespace's files into the working directory before the script runs."""

    enabled: bool | str = True
    include: list[str] | None = None
    exclude: list[str] | None = None
    namespaces: list[str] | None = None
    folder_per_namespace: bool | None = None
    if_exists: str | None = None


class ExecScript(RunnableTask):
    """Common properties and behaviour of `io.kestra.plugin.scripts.*.{Script,Commands}`."""

    #: The image Kestra would run the script in (only used by container runners).
    default_image: ClassVar[str] = "ubuntu"

    task_runner: AnyTaskRunner | None = None
    container_image: str | None = None
    before_commands: list[Text] | str | None = None
    interpreter: list[Text] | str | None = None
    fail_fast: bool | str = True
    env: dict[str, Any] | str | None = None
    input_files: dict[str, Any] | str | None = None
    output_files: list[str] | str | None = None
    namespace_files: NamespaceFiles | None = None
    target_os: str | None = Field(default=None, alias="targetOS")
    output_directory: bool | str | None = None
    #: Kestra 1.x: accepted, but the exit code alone decides the state.
    warning_on_std_err: bool | str | None = None
    docker: DeprecatedDockerOptions | None = None
    runner: str | None = None
    #: Kestra 2.0: write `.kestra-execution-context.json` for `from kestra import context`.
    execution_context: bool | str | None = None

    def main_commands(self, ctx: TaskContext, extra: Mapping[str, Any]) -> list[str]:
        """The rendered command lines that follow `beforeCommands` (subclasses implement)."""
        raise NotImplementedError

    async def prepare(self, ctx: TaskContext, env: dict[str, str], on_lines: LineSink) -> None:
        """Last step before the run (e.g. install dependencies); may change `env`."""

    def container_setup_commands(self, ctx: TaskContext) -> list[str]:
        """Lines run first inside a container (e.g. installing Python `dependencies`)."""
        return []

    def add_environment(self, env: dict[str, str], *, in_container: bool) -> None:
        """Add variables the language needs (e.g. Python's `PYTHONPATH`); may change `env`."""

    def container_volumes(self) -> list[str]:
        """Extra ``host:container[:ro]`` mounts the language needs in a container."""
        return []

    async def run(self, ctx: TaskContext) -> TaskResult:
        """Run the script and return Kestra's script outputs; raise `ScriptError` on failure."""
        timeout = self._timeout_seconds()
        # The timeout covers the whole task (staging files, installing dependencies too).
        deadline = None if timeout is None else time.monotonic() + timeout
        working_dir = ctx.working_dir
        output_dir = working_dir / OUTPUT_DIR_NAME
        output_dir.mkdir(parents=True, exist_ok=True)
        extra = {"workingDir": str(working_dir), "outputDir": str(output_dir)}
        runner_model = self._runner_model()
        in_container = runner_type(runner_model) == DOCKER_TYPE
        self._stage_files(ctx)
        env = self._environment(ctx, working_dir, output_dir)
        self.add_environment(env, in_container=in_container)
        if render_bool(ctx, self.execution_context, "executionContext", False):
            write_execution_context(ctx, working_dir, env)
        setup = self.container_setup_commands(ctx) if in_container else []
        script = self._script(ctx, extra, setup)
        interpreter = render_list(ctx, self.interpreter, "interpreter") or DEFAULT_INTERPRETER
        command = [str(part) for part in interpreter] + [script]
        limits = runner_limits(ctx, runner_model)
        on_lines = _log_sink(ctx)
        if in_container:
            result = await self._run_in_container(
                ctx,
                runner_model=runner_model,
                command=command,
                env=env,
                limits=limits,
                timeout=_left(deadline),
                on_lines=on_lines,
            )
        else:
            await self.prepare(ctx, env, on_lines)
            result = await ProcessRunner().run(
                command,
                cwd=working_dir,
                env={**os.environ, **env},
                on_lines=on_lines,
                limits=limits,
                timeout=_left(deadline),
                cancelled=lambda: ctx.cancelled,
            )
        return self._result(ctx, result, limits, output_dir)

    # -- steps ----------------------------------------------------------------------------------

    def _stage_files(self, ctx: TaskContext) -> None:
        if self.namespace_files is not None and render_bool(
            ctx, self.namespace_files.enabled, "namespaceFiles.enabled", True
        ):
            include = render_list(ctx, self.namespace_files.include, "namespaceFiles.include")
            exclude = render_list(ctx, self.namespace_files.exclude, "namespaceFiles.exclude")
            copy_namespace_files(ctx, [str(p) for p in include], [str(p) for p in exclude])
        write_input_files(ctx, self.input_files)

    def _environment(self, ctx: TaskContext, working_dir: Path, output_dir: Path) -> dict[str, str]:
        # As Kestra prints values: `true`, not Python's `True`; maps and lists as JSON.
        env = {str(key): to_text(value) for key, value in render_map(ctx, self.env, "env").items()}
        env["WORKING_DIR"] = str(working_dir)
        env["OUTPUT_DIR"] = str(output_dir)
        return env

    def _script(self, ctx: TaskContext, extra: Mapping[str, Any], setup: list[str]) -> str:
        before = [str(line) for line in render_lines(ctx, self.before_commands, extra)]
        lines = [*setup, *before, *self.main_commands(ctx, extra)]
        if render_bool(ctx, self.fail_fast, "failFast", True):
            lines.insert(0, "set -e")
        text = "\n".join(lines)
        return localize_internal_uris(ctx, text, ctx.working_dir / DOWNLOADS_DIR_NAME)

    def _runner_model(self) -> KestraModel | None:
        """The runner to use: `taskRunner`, else the deprecated `runner`/`docker`, else Process."""
        if self.task_runner is not None:
            return self.task_runner
        if (self.runner or "").upper() == "DOCKER":
            options = self.docker.model_dump(exclude_none=True) if self.docker else {}
            return DockerTaskRunner.model_validate({"type": DOCKER_TYPE, **options})
        return None

    def _timeout_seconds(self) -> float | None:
        if not self.timeout:
            return None
        try:
            return parse_duration(self.timeout).total_seconds()
        except ValueError as error:
            raise TaskError(f"property `timeout`: {error}") from None

    async def _run_in_container(
        self,
        ctx: TaskContext,
        *,
        runner_model: KestraModel | None,
        command: list[str],
        env: dict[str, str],
        limits: ResourceLimits,
        timeout: float | None,
        on_lines: LineSink,
    ) -> ProcessResult:
        from tercel.plugins.scripts.container import run_in_container

        assert isinstance(runner_model, DockerTaskRunner)
        image = render_str(ctx, runner_model.image or self.container_image) or self.default_image
        return await run_in_container(
            ctx,
            runner_model,
            image=image,
            command=command,
            env=env,
            limits=limits,
            timeout=timeout,
            on_lines=on_lines,
            extra_volumes=self.container_volumes(),
        )

    def _result(
        self,
        ctx: TaskContext,
        result: ProcessResult,
        limits: ResourceLimits,
        output_dir: Path,
    ) -> TaskResult:
        for metric in result.metrics:
            tags = metric.get("tags")
            ctx.metric(
                str(metric["name"]),
                str(metric.get("type", "counter")),
                float(metric["value"]),
                {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else None,
            )
        outputs: dict[str, Any] = {
            "exitCode": result.exit_code,
            "vars": result.outputs,
            "outputFiles": {},
            "stdOutLineCount": result.stdout_lines,
            "stdErrLineCount": result.stderr_lines,
        }
        if result.timed_out:
            assert self.timeout is not None
            limit = parse_duration(self.timeout)
            raise ScriptError(f"timed out after {format_duration(limit)}", outputs)
        if result.memory_exceeded and limits.memory_bytes is not None:
            raise ScriptError(limits.memory_exceeded_message(), outputs)
        if result.cpu_time_exceeded and limits.cpus is not None:
            raise ScriptError(
                f"CPU time limit exceeded ({limits.cpus:g} CPU for the task's timeout)", outputs
            )
        if result.cancelled:
            raise ScriptError("killed", outputs)
        patterns = [str(p) for p in render_list(ctx, self.output_files, "outputFiles")]
        outputs["outputFiles"] = collect_output_files(ctx, patterns, output_dir)
        if result.exit_code != 0:
            raise ScriptError(f"Command failed with {describe_exit(result.exit_code)}", outputs)
        return TaskResult(outputs=outputs)


def _left(deadline: float | None) -> float | None:
    """Seconds left until `deadline` (at least a tick, so the runner reports the timeout)."""
    return None if deadline is None else max(0.001, deadline - time.monotonic())


def render_lines(
    ctx: TaskContext, value: list[str] | str | None, extra: Mapping[str, Any]
) -> list[Any]:
    """Render a list-of-lines property (a YAML list, or one string holding several lines)."""
    if value is None:
        return []
    rendered = ctx.render(value, extra)
    return list(rendered) if isinstance(rendered, list) else [rendered]


def _log_sink(ctx: TaskContext) -> Callable[[list[LogLine]], None]:
    """Each line goes to the attempt's logger (which masks secrets and batches writes)."""
    log = ctx.logger.log
    # Flushing per batch makes a running script's lines visible within the batching
    # delay, not only when the logger's buffer fills.
    flush = ctx.logger.flush

    def sink(batch: list[LogLine]) -> None:
        for line in batch:
            log(line.level, line.message)
        flush()

    return sink
