"""The `taskRunner` property: where a script runs, and with which CPU and memory caps.

`io.kestra.plugin.core.runner.Process` is declared by the core plugins; the Docker runner
(`io.kestra.plugin.scripts.runner.docker.Docker`) is declared here. Both accept
``cpu: {cpus: ...}`` and ``memory: {memory: ...}``, so a reusable subflow can pass the caps
it received as inputs to whichever runner it uses.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import field_validator

from tercel.model.base import KestraModel
from tercel.model.polymorphic import typed_field
from tercel.model.registry import Category, plugin
from tercel.plugins.context import TaskContext
from tercel.plugins.core.runner import literal_checked
from tercel.runners.limits import ResourceLimits, parse_cpus, parse_memory

PROCESS_TYPE = "io.kestra.plugin.core.runner.Process"
DOCKER_TYPE = "io.kestra.plugin.scripts.runner.docker.Docker"


class Cpu(KestraModel):
    """CPU cap, as Kestra's Docker runner has it: ``cpus`` may be fractional (``0.5``)."""

    cpus: float | str | None = None

    @field_validator("cpus")
    @classmethod
    def _cpus_parses(cls, value: Any) -> Any:
        return literal_checked(value, parse_cpus)


class Memory(KestraModel):
    """Memory cap: ``memory`` is a size such as ``256MB`` or ``1g``."""

    memory: str | int | None = None

    @field_validator("memory")
    @classmethod
    def _memory_parses(cls, value: Any) -> Any:
        return literal_checked(value, parse_memory)

    memory_swap: str | int | None = None
    memory_swappiness: str | int | None = None
    memory_reservation: str | int | None = None
    kernel_memory: str | int | None = None
    oom_kill_disable: bool | None = None


class Credentials(KestraModel):
    """Registry credentials (accepted; nothing is pulled in an offline installation)."""

    registry: str | None = None
    username: str | None = None
    password: str | None = None
    registry_token: str | None = None
    identity_token: str | None = None
    auth: str | None = None


@plugin(DOCKER_TYPE, category=Category.TASK_RUNNER)
class DockerTaskRunner(KestraModel):
    """Run the script in a container through the Docker Engine API (Docker or Podman)."""

    type: str
    version: str | None = None
    host: str | None = None
    config: str | dict[str, Any] | None = None
    credentials: Credentials | None = None
    image: str | None = None
    user: str | None = None
    entry_point: list[str] | None = None
    extra_hosts: list[str] | None = None
    network_mode: str | None = None
    volumes: list[str] | None = None
    pull_policy: str | None = None
    device_requests: list[dict[str, Any]] | None = None
    cpu: Cpu | None = None
    memory: Memory | None = None
    shm_size: str | None = None
    file_handling_strategy: str | None = None
    delete: bool | str = True
    wait: bool | str = True
    privileged: bool | None = None
    resume: bool | None = None
    kill: bool | None = None


class TaskRunner(KestraModel):
    """Any task runner: the name the flow JSON Schema maps to the union of runner types."""

    type: str


#: A `taskRunner` value: a map validated as the registered runner class its `type` names.
AnyTaskRunner = Annotated[TaskRunner, typed_field(Category.TASK_RUNNER, "task runner")]


class DeprecatedDockerOptions(KestraModel):
    """The old `docker:` property of script tasks (before `taskRunner`)."""

    image: str | None = None
    host: str | None = None
    config: str | dict[str, Any] | None = None
    credentials: Credentials | None = None
    user: str | None = None
    entry_point: list[str] | None = None
    extra_hosts: list[str] | None = None
    network_mode: str | None = None
    volumes: list[str] | None = None
    pull_policy: str | None = None
    device_requests: list[dict[str, Any]] | None = None
    cpu: Cpu | None = None
    memory: Memory | None = None
    shm_size: str | None = None
    privileged: bool | None = None


def runner_limits(ctx: TaskContext, runner: KestraModel | None) -> ResourceLimits:
    """The caps a runner asks for, rendered (a subflow may pass them as inputs)."""
    if runner is None:
        return ResourceLimits()
    cpu = getattr(runner, "cpu", None)
    memory = getattr(runner, "memory", None)
    # Duck-typed: the core Process declaration has its own (same-shaped) models.
    cpus_value = ctx.render(getattr(cpu, "cpus", None))
    memory_value = ctx.render(getattr(memory, "memory", None))
    return ResourceLimits(
        memory_bytes=None if memory_value in (None, "") else parse_memory(memory_value),
        cpus=None if cpus_value in (None, "") else parse_cpus(cpus_value),
    )


def runner_type(runner: KestraModel | None) -> str:
    """The canonical type name of a runner object (Process when none is given)."""
    if runner is None:
        return PROCESS_TYPE
    return str(getattr(runner, "type", PROCESS_TYPE))


__all__ = [
    "DOCKER_TYPE",
    "PROCESS_TYPE",
    "AnyTaskRunner",
    "Cpu",
    "DeprecatedDockerOptions",
    "DockerTaskRunner",
    "Memory",
    "TaskRunner",
    "runner_limits",
    "runner_type",
]
