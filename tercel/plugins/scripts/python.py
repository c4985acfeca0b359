"""`io.kestra.plugin.scripts.python.{Script,Commands}`, with cached `dependencies`."""

from __future__ import annotations

import os
import shlex
import shutil
from pathlib import Path
from typing import ClassVar

from tercel.model.registry import plugin
from tercel.plugins.context import TaskContext
from tercel.plugins.core.templating.properties import render_bool, render_list
from tercel.plugins.scripts.commands import CommandsTask, ScriptTask
from tercel.plugins.scripts.python_env import cache_root, ensure_environment, find_python
from tercel.runners.logstream import LineSink

PYTHON_IMAGE = "python:3.13-slim"
#: Holds only `kestra.py` (Tercel's `kestra` module): nothing else of Tercel is importable.
KESTRA_MODULE_DIR = Path(__file__).parent / "kestra_lib"
#: Where that folder is mounted (read-only) in a container.
CONTAINER_KESTRA_MODULE_DIR = "/opt/tercel/kestra-lib"


def add_kestra_module(env: dict[str, str], *, in_container: bool) -> None:
    """Make ``import kestra`` work: its folder goes last on the script's ``PYTHONPATH``.

    A `PYTHONPATH` set in the task's `env` comes first; Tercel's own is not passed on.
    """
    folder = CONTAINER_KESTRA_MODULE_DIR if in_container else str(KESTRA_MODULE_DIR)
    given = env.get("PYTHONPATH")
    env["PYTHONPATH"] = f"{given}{os.pathsep}{folder}" if given else folder


async def prepare_python(
    ctx: TaskContext,
    env: dict[str, str],
    on_lines: LineSink,
    dependencies: list[str] | str | None,
    cache_enabled: bool | str,
) -> None:
    """Install `dependencies` (once per requirement set) and make `python` resolvable."""
    path = {**os.environ, **env}.get("PATH", os.defpath)
    requirements = [str(line) for line in render_list(ctx, dependencies, "dependencies")]
    if requirements:
        cached = render_bool(ctx, cache_enabled, "dependencyCacheEnabled", True)
        venv = await ensure_environment(
            requirements,
            python=find_python(path),
            env={**os.environ, **env},
            on_lines=on_lines,
            cancelled=lambda: ctx.cancelled,
            # Without the cache, the environment lives (and dies) with the working dir.
            root=None if cached else ctx.working_dir / ".tercel-python-env",
        )
        env["VIRTUAL_ENV"] = str(venv)
        path = f"{venv / 'bin'}{os.pathsep}{path}"
    elif shutil.which("python", path=path) is None:
        # Kestra's scripts call `python`; Debian only has `python3`: add the alias.
        shim = cache_root().parent / "python-shim"
        shim.mkdir(parents=True, exist_ok=True)
        link = shim / "python"
        target = find_python(path)
        if not link.is_symlink() or str(link.readlink()) != target:
            temporary = shim / f"python.{os.getpid()}"
            temporary.unlink(missing_ok=True)
            temporary.symlink_to(target)
            temporary.replace(link)
        path = f"{shim}{os.pathsep}{path}"
    env["PATH"] = path


def container_install(ctx: TaskContext, dependencies: list[str] | str | None) -> list[str]:
    """In a container, dependencies are installed by the script itself, before it runs."""
    requirements = [str(line) for line in render_list(ctx, dependencies, "dependencies")]
    if not requirements:
        return []
    quoted = " ".join(shlex.quote(line) for line in requirements)
    return [f"python -m pip install --quiet --disable-pip-version-check --no-input {quoted}"]


@plugin("io.kestra.plugin.scripts.python.Commands")
class PythonCommands(CommandsTask):
    """Shell commands that run Python (`python main.py`), with optional `dependencies`."""

    default_image: ClassVar[str] = PYTHON_IMAGE

    dependencies: list[str] | str | None = None
    python_version: str | None = None
    package_manager: str | None = None
    dependency_cache_enabled: bool | str = True

    async def prepare(self, ctx: TaskContext, env: dict[str, str], on_lines: LineSink) -> None:
        """Install dependencies into a cached environment put first on PATH."""
        await prepare_python(ctx, env, on_lines, self.dependencies, self.dependency_cache_enabled)

    def container_setup_commands(self, ctx: TaskContext) -> list[str]:
        """`pip install` the dependencies inside the container first."""
        return container_install(ctx, self.dependencies)

    def add_environment(self, env: dict[str, str], *, in_container: bool) -> None:
        """``from kestra import Kestra`` works without installing anything."""
        add_kestra_module(env, in_container=in_container)

    def container_volumes(self) -> list[str]:
        """Tercel's `kestra` module, read-only."""
        return [f"{KESTRA_MODULE_DIR}:{CONTAINER_KESTRA_MODULE_DIR}:ro"]


@plugin("io.kestra.plugin.scripts.python.Script")
class PythonScript(ScriptTask):
    """A Python body, run with `python <file>.py`, with optional `dependencies`."""

    default_image: ClassVar[str] = PYTHON_IMAGE
    extension: ClassVar[str] = ".py"
    program: ClassVar[str] = "python"

    dependencies: list[str] | str | None = None
    python_version: str | None = None
    package_manager: str | None = None
    dependency_cache_enabled: bool | str = True

    async def prepare(self, ctx: TaskContext, env: dict[str, str], on_lines: LineSink) -> None:
        """Install dependencies into a cached environment put first on PATH."""
        await prepare_python(ctx, env, on_lines, self.dependencies, self.dependency_cache_enabled)

    def container_setup_commands(self, ctx: TaskContext) -> list[str]:
        """`pip install` the dependencies inside the container first."""
        return container_install(ctx, self.dependencies)

    def add_environment(self, env: dict[str, str], *, in_container: bool) -> None:
        """``from kestra import Kestra`` works without installing anything."""
        add_kestra_module(env, in_container=in_container)

    def container_volumes(self) -> list[str]:
        """Tercel's `kestra` module, read-only."""
        return [f"{KESTRA_MODULE_DIR}:{CONTAINER_KESTRA_MODULE_DIR}:ro"]
