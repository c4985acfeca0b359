"""The local process runner with real subprocesses: caps, kills, streaming."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tercel.runners import cgroups
from tercel.runners.limits import ResourceLimits
from tercel.runners.logstream import LogLine
from tercel.runners.process import ProcessRunner, describe_exit

PY = sys.executable
BUSY_LOOP = textwrap.dedent(
    """
    import time
    start = time.time()
    while time.time() - start < 1.5:
        pass
    print('::{"outputs": {"cpu": %f}}::' % time.process_time())
    """
)


class Collector:
    def __init__(self) -> None:
        self.lines: list[LogLine] = []

    def __call__(self, batch: list[LogLine]) -> None:
        self.lines.extend(batch)

    @property
    def messages(self) -> list[str]:
        return [line.message for line in self.lines]


async def _run(args: list[str], tmp_path: Path, **kwargs: object) -> tuple[object, Collector]:
    sink = Collector()
    runner = ProcessRunner(use_cgroups=bool(kwargs.pop("use_cgroups", True)))
    result = await runner.run(
        args,
        cwd=tmp_path,
        env=dict(os.environ),
        on_lines=sink,
        **kwargs,  # type: ignore[arg-type]
    )
    return result, sink


def _cgroups_can_cap() -> bool:
    layout = cgroups.detect()
    return layout.can_cap_memory and layout.can_cap_cpu


needs_cgroups = pytest.mark.skipif(
    not _cgroups_can_cap(), reason="no writable cgroup memory/cpu controller on this machine"
)


async def test_command_runs_in_working_dir_with_exactly_the_given_env(tmp_path: Path) -> None:
    sink = Collector()
    result = await ProcessRunner().run(
        ["/bin/sh", "-c", 'pwd; echo "$ONLY"; echo oops >&2; exit 3'],
        cwd=tmp_path,
        env={"ONLY": "me", "PATH": os.environ["PATH"]},
        on_lines=sink,
    )
    assert result.exit_code == 3
    # stdout and stderr are read concurrently: their relative order is not defined.
    assert sorted(sink.messages) == sorted([str(tmp_path), "me", "oops"])
    assert {line.message: line.level for line in sink.lines}["oops"] == "ERROR"
    assert (result.stdout_lines, result.stderr_lines) == (2, 1)


async def test_protocol_outputs_are_read_from_stderr_too(tmp_path: Path) -> None:
    result, sink = await _run(
        ["/bin/sh", "-c", """echo '::{"outputs":{"k":"v"}}::' >&2"""], tmp_path
    )
    assert result.outputs == {"k": "v"}  # type: ignore[attr-defined]
    assert sink.lines == []


@needs_cgroups
async def test_memory_hog_is_stopped_by_the_cgroup_cap(tmp_path: Path) -> None:
    result, _ = await _run(
        [PY, "-c", "data = bytearray(600 << 20); print('survived')"],
        tmp_path,
        limits=ResourceLimits(memory_bytes=256 << 20),
    )
    assert result.memory_exceeded  # type: ignore[attr-defined]
    assert result.exit_code != 0  # type: ignore[attr-defined]


async def test_memory_hog_is_stopped_by_rlimit_without_cgroups(tmp_path: Path) -> None:
    result, sink = await _run(
        [PY, "-c", "data = bytearray(600 << 20); print('survived')"],
        tmp_path,
        limits=ResourceLimits(memory_bytes=256 << 20),
        use_cgroups=False,
    )
    assert result.memory_exceeded  # type: ignore[attr-defined]
    assert "survived" not in sink.messages


async def test_memory_under_the_cap_is_usable(tmp_path: Path) -> None:
    result, sink = await _run(
        [PY, "-c", "data = bytearray(50 << 20); print('ok')"],
        tmp_path,
        limits=ResourceLimits(memory_bytes=256 << 20),
    )
    assert result.exit_code == 0  # type: ignore[attr-defined]
    assert sink.messages == ["ok"]


@needs_cgroups
async def test_cpu_cap_slows_a_busy_loop(tmp_path: Path) -> None:
    # Side by side, so both loops see the same load from whatever else the machine runs.
    (free, _), (capped, _) = await asyncio.gather(
        _run([PY, "-c", BUSY_LOOP], tmp_path),
        _run([PY, "-c", BUSY_LOOP], tmp_path, limits=ResourceLimits(cpus=0.05)),
    )
    capped_cpu = capped.outputs["cpu"]  # type: ignore[attr-defined]
    free_cpu = free.outputs["cpu"]  # type: ignore[attr-defined]
    # 0.05 CPU over a 1.5 s loop allows 0.075 s of CPU (an uncapped loop gets 1.5 s alone,
    # and still ~0.25 s on a 2-core machine with a load of 7).
    assert capped_cpu < 0.15, (capped_cpu, free_cpu)
    if free_cpu > 0.5:  # the machine was not too busy to compare the two
        assert capped_cpu / free_cpu < 0.3, (capped_cpu, free_cpu)


async def test_timeout_kills_the_whole_tree(tmp_path: Path) -> None:
    script = "sleep 60 & echo $! > child.pid; sleep 60"
    started = time.monotonic()
    result, _ = await _run(["/bin/sh", "-c", script], tmp_path, timeout=1.0)
    assert result.timed_out  # type: ignore[attr-defined]
    assert time.monotonic() - started < 5
    child = int((tmp_path / "child.pid").read_text())
    await asyncio.sleep(0.1)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text()


@needs_cgroups
async def test_timeout_kills_children_that_left_the_process_group(tmp_path: Path) -> None:
    script = "setsid sleep 60 & echo $! > child.pid; sleep 60"
    result, _ = await _run(
        ["/bin/sh", "-c", script], tmp_path, timeout=1.0, limits=ResourceLimits(cpus=1)
    )
    assert result.timed_out  # type: ignore[attr-defined]
    child = int((tmp_path / "child.pid").read_text())
    await asyncio.sleep(0.1)
    assert not Path(f"/proc/{child}").exists() or "Z" in Path(f"/proc/{child}/stat").read_text()


async def test_cancel_flag_stops_the_run(tmp_path: Path) -> None:
    flag = {"stop": False}
    loop = asyncio.get_running_loop()
    loop.call_later(0.3, flag.__setitem__, "stop", True)
    started = time.monotonic()
    result, _ = await _run(["/bin/sh", "-c", "sleep 60"], tmp_path, cancelled=lambda: flag["stop"])
    assert result.cancelled  # type: ignore[attr-defined]
    assert time.monotonic() - started < 5


async def test_cancelling_the_caller_kills_the_child(tmp_path: Path) -> None:
    task = asyncio.create_task(_run(["/bin/sh", "-c", "echo $$ > me.pid; sleep 60"], tmp_path))
    await asyncio.sleep(0.5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    pid = int((tmp_path / "me.pid").read_text())
    await asyncio.sleep(0.1)
    assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()


@needs_cgroups
async def test_run_groups_are_removed_afterwards(tmp_path: Path) -> None:
    layout = cgroups.detect()
    assert layout.memory_v1 is not None or layout.unified is not None
    parent = layout.memory_v1 or layout.unified
    assert parent is not None
    before = {path.name for path in parent.iterdir() if path.is_dir()}
    await _run(["true"], tmp_path, limits=ResourceLimits(memory_bytes=64 << 20, cpus=1))
    after = {path.name for path in parent.iterdir() if path.is_dir()}
    assert after == before


def test_a_million_lines_stream_with_bounded_memory(tmp_path: Path) -> None:
    # Measured in a fresh interpreter, as VmHWM (the peak RSS of this process image):
    # getrusage's ru_maxrss would also count the RSS of the pytest process it was forked from.
    probe = textwrap.dedent(
        f"""
        import asyncio, os
        from pathlib import Path
        from tercel.runners.process import ProcessRunner
        count = 0
        def sink(batch):
            global count
            count += len(batch)
        emit = "import sys\\nw = sys.stdout.write\\nfor i in range(1000000): w('line %d of output\\\\n' % i)"
        result = asyncio.run(ProcessRunner().run(
            [{PY!r}, "-c", emit], cwd=Path({str(tmp_path)!r}), env=dict(os.environ), on_lines=sink
        ))
        hwm = next(int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmHWM:'))
        print(result.exit_code, result.stdout_lines, count, hwm)
        """
    )
    done = subprocess.run(
        [PY, "-c", probe], capture_output=True, text=True, timeout=120, check=True
    )
    exit_code, lines, delivered, max_rss_kb = map(int, done.stdout.split())
    assert (exit_code, lines, delivered) == (0, 1_000_000, 1_000_000)
    assert max_rss_kb < 150 * 1024, max_rss_kb


def test_exit_descriptions_name_signals() -> None:
    assert describe_exit(3) == "exit code 3"
    assert describe_exit(-9) == "killed by SIGKILL"


async def test_without_cgroups_a_cpu_cap_becomes_a_cpu_time_budget(tmp_path: Path) -> None:
    # 0.1 CPU for a 10 s timeout: at most 1 s of CPU time, then SIGXCPU (long before the
    # timeout, even on a loaded machine).
    loop = "while True: pass"
    result, _ = await _run(
        [PY, "-c", loop],
        tmp_path,
        limits=ResourceLimits(cpus=0.1),
        timeout=10.0,
        use_cgroups=False,
    )
    assert result.cpu_time_exceeded  # type: ignore[attr-defined]
    assert not result.timed_out  # type: ignore[attr-defined]
