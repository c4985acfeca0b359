"""`io.kestra.plugin.core.runner.Process`: run scripts as local processes (the default)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import field_validator
from pydantic_core import PydanticCustomError

from tercel.errors import TaskError
from tercel.model.base import KestraModel
from tercel.model.registry import Category, plugin
from tercel.runners.limits import parse_cpus, parse_memory


def literal_checked(value: Any, parse: Callable[[Any], object]) -> Any:
    """`value`, checked with `parse` when the flow is loaded if it is a literal.

    A template (``{{ inputs.memory }}``) can only be checked when the task runs.
    """
    if value is None or (isinstance(value, str) and ("{{" in value or "{%" in value)):
        return value
    try:
        parse(value)
    except TaskError as error:
        raise PydanticCustomError("invalid_resource", str(error)) from None
    return value


class ProcessCpu(KestraModel):
    """CPU cap: `cpus` may be fractional (``0.5``) or a template."""

    cpus: float | str | None = None

    @field_validator("cpus")
    @classmethod
    def _cpus_parses(cls, value: Any) -> Any:
        return literal_checked(value, parse_cpus)


class ProcessMemory(KestraModel):
    """Memory cap: `memory` is a size such as ``256MB``."""

    memory: str | int | None = None

    @field_validator("memory")
    @classmethod
    def _memory_parses(cls, value: Any) -> Any:
        return literal_checked(value, parse_memory)


@plugin("io.kestra.plugin.core.runner.Process", category=Category.TASK_RUNNER)
class Process(KestraModel):
    """The task runner that starts the command as a child process on the worker host.

    `cpu` and `memory` are Tercel additions (same shape as the Docker runner's), so a
    flow can cap a script whichever runner it uses.
    """

    type: str
    version: str | None = None
    cpu: ProcessCpu | None = None
    memory: ProcessMemory | None = None
