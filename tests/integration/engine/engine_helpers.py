"""Helpers for end-to-end runtime tests: test-only task types and a runtime on SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from tercel.engine.execution import Execution
from tercel.model.loader import load_flow
from tercel.model.registry import plugin
from tercel.plugins.context import RunnableTask, TaskContext, TaskResult
from tercel.runtime.local import LocalRuntime

SLEEP_TYPE = "io.tercel.tests.Sleep"
TIMEOUT = 30.0


@plugin(SLEEP_TYPE)
class SleepForTests(RunnableTask):
    """Sleeps `seconds` (cancellable), logging before and after."""

    seconds: float = 0.0

    async def run(self, ctx: TaskContext) -> TaskResult:
        message = f"sleeping {self.seconds}s"
        ctx.logger.info(message)
        await asyncio.sleep(self.seconds)
        ctx.logger.info("woke up")
        return TaskResult(outputs={"slept": self.seconds})


def flow_of(source: str) -> Any:
    """Parse a flow written inline in a test."""
    return load_flow(source, "<test>")


async def run_to_end(
    runtime: LocalRuntime, flow: Any, inputs: dict[str, Any] | None = None
) -> Execution:
    """Run a flow and wait for its end (failing the test instead of hanging)."""
    return await asyncio.wait_for(runtime.run(flow, inputs), TIMEOUT)


def sqlite_runtime(home: Path, **options: Any) -> LocalRuntime:
    """A runtime persisting to a SQLite file under `home`."""
    return LocalRuntime.open(home, **options)
