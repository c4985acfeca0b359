"""Python `dependencies`: one virtual environment per requirement set, built once, then reused.

The key is a hash of the sorted requirement lines and the interpreter's real path, so two
tasks asking for the same packages share an environment, and a change of packages (or of
Python) gets a fresh one. A file lock makes concurrent first runs build it only once; a
marker file written last means a half-built environment (a crash, a kill) is rebuilt.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import json
import os
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

from tercel.errors import TaskError
from tercel.runners.logstream import LineSink, LogLine
from tercel.runners.process import ProcessRunner, describe_exit

_COMPLETE = ".tercel-complete"


def cache_root() -> Path:
    """Where environments live: ``$TERCEL_CACHE_DIR/python-envs`` (default ``~/.cache/tercel``)."""
    base = os.environ.get("TERCEL_CACHE_DIR") or str(Path.home() / ".cache" / "tercel")
    return Path(base) / "python-envs"


def find_python(path: str | None = None) -> str:
    """The interpreter scripts run with: ``python3`` on PATH, else ``python``."""
    found = shutil.which("python3", path=path) or shutil.which("python", path=path)
    if found is None:
        raise TaskError("no `python3` or `python` on PATH to run the script with")
    return found


def environment_key(requirements: list[str], python: str) -> str:
    """A stable key for a requirement set (order and duplicates do not matter)."""
    normalized = sorted({line.strip() for line in requirements if line.strip()})
    payload = json.dumps({"python": os.path.realpath(python), "requirements": normalized})
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


async def ensure_environment(
    requirements: list[str],
    *,
    python: str,
    env: dict[str, str],
    on_lines: LineSink,
    cancelled: Callable[[], bool] | None = None,
    root: Path | None = None,
) -> Path:
    """The environment's folder (its ``bin`` goes first on PATH); built on first use."""
    root = root or cache_root()
    root.mkdir(parents=True, exist_ok=True)
    target = root / environment_key(requirements, python)
    if (target / _COMPLETE).exists():
        return target
    lock_path = root / f"{target.name}.lock"
    with lock_path.open("w") as lock:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        try:
            if (target / _COMPLETE).exists():
                return target
            if target.exists():
                shutil.rmtree(target)
            await _build(
                target,
                requirements=requirements,
                python=python,
                env=env,
                on_lines=on_lines,
                cancelled=cancelled,
            )
            (target / _COMPLETE).write_text("\n".join(requirements) + "\n")
        except BaseException:
            with contextlib.suppress(OSError):
                shutil.rmtree(target)
            raise
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return target


def pip_levels(on_lines: LineSink) -> LineSink:
    """pip writes its warnings and notices to stderr: log them as WARN and INFO, not ERROR.

    A successful install otherwise fills the task's log with ERROR lines that are not errors.
    """

    def sink(batch: list[LogLine]) -> Awaitable[None] | None:
        return on_lines([_pip_level(line) for line in batch])

    return sink


def _pip_level(line: LogLine) -> LogLine:
    if line.stream != "stderr":
        return line
    text = line.message.lstrip()
    if text.startswith(("WARNING:", "DEPRECATION:")):
        return replace(line, level="WARN")
    if text.startswith("[notice]"):
        return replace(line, level="INFO")
    return line


async def _build(
    target: Path,
    *,
    requirements: list[str],
    python: str,
    env: dict[str, str],
    on_lines: LineSink,
    cancelled: Callable[[], bool] | None,
) -> None:
    runner = ProcessRunner(use_cgroups=False)
    steps = [
        [python, "-m", "venv", str(target)],
        [
            str(target / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "-q",
            *requirements,
        ],
    ]
    for step in steps:
        result = await runner.run(
            step, cwd=target.parent, env=env, on_lines=pip_levels(on_lines), cancelled=cancelled
        )
        if result.cancelled:
            raise TaskError("installing the Python dependencies was cancelled")
        if result.exit_code != 0:
            raise TaskError(
                f"installing the Python dependencies {requirements} failed "
                f"({describe_exit(result.exit_code)}); see the log lines above"
            )
