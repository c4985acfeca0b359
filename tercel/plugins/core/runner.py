"""`io.kestra.plugin.core.runner.Process`: run scripts as local processes (the default)."""

from __future__ import annotations

from tercel.model.base import KestraModel
from tercel.model.registry import Category, plugin


class ProcessCpu(KestraModel):
    """CPU cap: `cpus` may be fractional (``0.5``) or a template."""

    cpus: float | str | None = None


class ProcessMemory(KestraModel):
    """Memory cap: `memory` is a size such as ``256MB``."""

    memory: str | int | None = None


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
