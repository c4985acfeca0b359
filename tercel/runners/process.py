"""Run a command as a local subprocess: streamed logs, output protocol, caps, tree kill.

The child runs in its own session (so its whole process group can be killed) and, when caps
are asked for, in its own cgroups (so even children that leave the group are killed, and
the memory and CPU caps cover the whole tree). Where cgroups are not writable, memory falls
back to ``RLIMIT_AS`` and CPU to a total CPU-time budget (``RLIMIT_CPU``) derived from the
timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import shlex
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tercel.runners.cgroups import Cgroup
from tercel.runners.ledger import current_owner
from tercel.runners.limits import ResourceLimits
from tercel.runners.logstream import LineBatcher, LineSink, ProtocolState, pump

#: How often the cancel flag is polled while the child runs.
CANCEL_POLL_SECONDS = 0.05
#: After the child exits, how long its pipes may stay open (held by a background grandchild).
DRAIN_GRACE_SECONDS = 1.0
_SIGNAL_NAMES = {signal.SIGKILL: "SIGKILL", signal.SIGTERM: "SIGTERM", signal.SIGXCPU: "SIGXCPU"}
#: What a child that hit RLIMIT_AS tends to print as its last words.
_OOM_MARKERS = ("MemoryError", "Cannot allocate memory", "std::bad_alloc", "out of memory")


@dataclass(slots=True)
class ProcessResult:
    """How a run ended, and what it said through the output protocol."""

    exit_code: int
    outputs: dict[str, Any] = field(default_factory=dict)
    metrics: list[dict[str, Any]] = field(default_factory=list)
    stdout_lines: int = 0
    stderr_lines: int = 0
    timed_out: bool = False
    cancelled: bool = False
    #: True when the memory cap stopped the run (OOM kill, or MemoryError under RLIMIT_AS).
    memory_exceeded: bool = False
    #: True when the CPU-time budget (the rlimit fallback of a CPU cap) stopped the run.
    cpu_time_exceeded: bool = False
    duration: float = 0.0


def _wrapper(cgroup: Cgroup | None, limits: ResourceLimits, timeout: float | None) -> list[str]:
    """A ``/bin/sh`` prologue that joins the cgroups and lowers rlimits, then execs the command.

    Doing this in a shell (not in a Python `preexec_fn`) keeps the fork fast and safe in a
    threaded process; the command keeps the shell's PID, so the PID we hold is the command's.
    """
    steps: list[str] = []
    if cgroup is not None:
        steps += [f"echo $$ > {shlex.quote(str(path))}" for path in cgroup.procs_files]
    if limits.memory_bytes is not None and (cgroup is None or not cgroup.capped_memory):
        steps.append(f"ulimit -v {max(1, limits.memory_bytes // 1024)}")
    if (
        limits.cpus is not None
        and timeout is not None
        and (cgroup is None or not cgroup.capped_cpu)
    ):
        # Without a rate cap, bound the total CPU time to what the cap would have allowed.
        # The soft limit sends SIGXCPU (reported as such); the hard one, a second later, SIGKILL.
        # Soft first: a hard limit below the current soft one is refused.
        budget = max(1, math.ceil(limits.cpus * timeout))
        steps.append(f"ulimit -S -t {budget}")
        steps.append(f"ulimit -H -t {budget + 1}")
    if not steps:
        return []
    script = " && ".join(steps) + ' || exit 125; exec "$@"'
    return ["/bin/sh", "-c", script, "tercel-runner"]


class ProcessRunner:
    """Runs commands locally. One instance may run many commands concurrently."""

    def __init__(self, *, use_cgroups: bool = True) -> None:
        self.use_cgroups = use_cgroups

    async def run(
        self,
        args: Sequence[str],
        *,
        cwd: Path,
        env: Mapping[str, str],
        on_lines: LineSink,
        limits: ResourceLimits | None = None,
        timeout: float | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> ProcessResult:
        """Run `args` in `cwd` with exactly `env`; stream lines to `on_lines` in batches.

        Returns when the child has exited and its output is drained; never raises for a
        non-zero exit (the caller decides what that means). Cancelling the calling task kills
        the whole tree before the cancellation propagates.
        """
        limits = limits or ResourceLimits()
        cgroup = Cgroup.create(limits) if self.use_cgroups and not limits.empty else None
        state = ProtocolState()
        batcher = LineBatcher(on_lines, state)
        started = time.monotonic()
        try:
            process = await asyncio.create_subprocess_exec(
                *_wrapper(cgroup, limits, timeout),
                *args,
                cwd=cwd,
                env=dict(env),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except BaseException:
            if cgroup is not None:
                cgroup.remove()
            raise
        # Recorded until the whole group is gone, so a restart after a crash can stop it.
        owner = current_owner.get()
        if owner is not None:
            owner.ledger.record_process(process.pid, owner.label)
        result = ProcessResult(exit_code=-1)
        assert process.stdout is not None
        assert process.stderr is not None
        readers = [
            asyncio.create_task(pump(process.stdout, "stdout", batcher)),
            asyncio.create_task(pump(process.stderr, "stderr", batcher)),
        ]
        ticker = asyncio.create_task(batcher.flush_periodically())
        try:
            result.exit_code, result.timed_out, result.cancelled = await self._wait(
                process, cgroup, timeout, cancelled
            )
            await self._drain(readers, process, cgroup)
        except BaseException:
            _kill_tree(process, cgroup)
            for reader in readers:
                reader.cancel()
            raise
        finally:
            ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await ticker
            if cgroup is not None:
                result.memory_exceeded = cgroup.capped_memory and cgroup.oom_killed()
                cgroup.remove()
            if owner is not None:
                owner.ledger.forget("process", str(process.pid))
        await batcher.flush()
        result.outputs = state.outputs
        result.metrics = state.metrics
        result.stdout_lines = state.stdout_lines
        result.stderr_lines = state.stderr_lines
        result.duration = time.monotonic() - started
        if (
            not result.memory_exceeded
            and limits.memory_bytes is not None
            and (cgroup is None or not cgroup.capped_memory)
            and result.exit_code != 0
        ):
            result.memory_exceeded = batcher.saw_any(_OOM_MARKERS)
        # RLIMIT_CPU sends SIGXCPU at the soft limit (SIGKILL at the hard one).
        result.cpu_time_exceeded = result.exit_code == -signal.SIGXCPU
        return result

    async def _wait(
        self,
        process: asyncio.subprocess.Process,
        cgroup: Cgroup | None,
        timeout: float | None,
        cancelled: Callable[[], bool] | None,
    ) -> tuple[int, bool, bool]:
        """Wait for exit; kill the tree on timeout or cancel. (exit code, timed out, cancelled)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        waiter = asyncio.ensure_future(process.wait())
        try:
            while True:
                step = CANCEL_POLL_SECONDS if cancelled is not None else None
                if deadline is not None:
                    left = max(0.0, deadline - time.monotonic())
                    step = left if step is None else min(step, left)
                done, _ = await asyncio.wait({waiter}, timeout=step)
                if done:
                    return waiter.result(), False, False
                if deadline is not None and time.monotonic() >= deadline:
                    _kill_tree(process, cgroup)
                    return await waiter, True, False
                if cancelled is not None and cancelled():
                    _kill_tree(process, cgroup)
                    return await waiter, False, True
        finally:
            if not waiter.done():
                waiter.cancel()

    async def _drain(
        self,
        readers: list[asyncio.Task[None]],
        process: asyncio.subprocess.Process,
        cgroup: Cgroup | None,
    ) -> None:
        """Read what is left; a grandchild still holding the pipes is killed after a grace."""
        _, pending = await asyncio.wait(readers, timeout=DRAIN_GRACE_SECONDS)
        if pending:
            _kill_tree(process, cgroup)
            _, pending = await asyncio.wait(readers, timeout=DRAIN_GRACE_SECONDS)
            for reader in pending:
                reader.cancel()
        for reader in readers:
            if not reader.cancelled():
                reader.result()


def _kill_tree(process: asyncio.subprocess.Process, cgroup: Cgroup | None) -> None:
    """SIGKILL the child's process group and every member of its cgroups."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    if cgroup is not None:
        cgroup.kill()


def describe_exit(exit_code: int) -> str:
    """``exit code 3`` or ``killed by SIGKILL`` (asyncio reports signals as negative codes)."""
    if exit_code < 0:
        number = -exit_code
        try:
            name = _SIGNAL_NAMES.get(signal.Signals(number), signal.Signals(number).name)
        except ValueError:
            name = f"signal {number}"
        return f"killed by {name}"
    return f"exit code {exit_code}"
