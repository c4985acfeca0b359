"""The process ledger stops the process groups a killed run left, and nothing else."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

from tercel.runners.ledger import ProcessLedger, process_start_ticks


def _orphan() -> subprocess.Popen[bytes]:
    # A shell in its own session with a child: the whole group must go, not just the leader.
    return subprocess.Popen(["sh", "-c", "sleep 30 & wait"], start_new_session=True)


def _running_members(pgid: int) -> list[str]:
    members = subprocess.run(
        ["pgrep", "-g", str(pgid)], capture_output=True, text=True, check=False
    ).stdout.split()
    running = []
    for pid in members:
        stat = Path(f"/proc/{pid}/stat")
        if stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
            running.append(pid)
    return running


def _gone(process: subprocess.Popen[bytes]) -> bool:
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        return False
    return True


def test_reap_stops_a_recorded_group_with_its_children(tmp_path: Path) -> None:
    ledger = ProcessLedger(tmp_path / "ledger")
    orphan = _orphan()
    time.sleep(0.2)  # let the shell start its `sleep`
    children = subprocess.run(
        ["pgrep", "-g", str(orphan.pid)], capture_output=True, text=True, check=False
    ).stdout.split()
    assert len(children) == 2, children
    ledger.record_process(orphan.pid, "exec/run attempt 1")

    reaped = ProcessLedger(tmp_path / "ledger").reap(grace=2)

    assert [(r.entry.owner, r.stopped) for r in reaped] == [("exec/run attempt 1", 2)]
    assert _gone(orphan)
    # Zombies may stay until init reaps them; no member of the group may still run.
    assert _running_members(orphan.pid) == []
    assert list(ledger.entries()) == []


def test_a_recycled_pid_is_never_signalled(tmp_path: Path) -> None:
    ledger = ProcessLedger(tmp_path / "ledger")
    bystander = _orphan()
    try:
        ticks = process_start_ticks(bystander.pid)
        assert ticks is not None
        # Recorded as if an older process had had this pid: it is not ours to stop.
        (tmp_path / "ledger" / f"process-{bystander.pid}.json").write_text(
            json.dumps(
                {
                    "kind": "process",
                    "ident": str(bystander.pid),
                    "owner": "old",
                    "startTicks": ticks - 100,
                }
            )
        )
        reaped = ledger.reap(grace=0.5)
        assert [r.stopped for r in reaped] == [0]
        assert bystander.poll() is None
        assert list(ledger.entries()) == []
    finally:
        bystander.kill()
        bystander.wait(5)


def test_a_finished_run_leaves_nothing_to_reap(tmp_path: Path) -> None:
    import asyncio

    from tercel.runners.ledger import Owner, current_owner
    from tercel.runners.process import ProcessRunner

    ledger = ProcessLedger(tmp_path / "ledger")

    async def run() -> int:
        current_owner.set(Owner(ledger, "exec/run attempt 1"))
        result = await ProcessRunner(use_cgroups=False).run(
            ["sh", "-c", "sleep 0.5; ls " + str(tmp_path / "ledger")],
            cwd=tmp_path,
            env={"PATH": "/usr/bin:/bin"},
            on_lines=lambda lines: seen.extend(line.message for line in lines),
        )
        return result.exit_code

    seen: list[str] = []
    assert asyncio.run(run()) == 0
    # While it ran, the child's group was on record; once it ended, it was not.
    assert len(seen) == 1
    assert seen[0].startswith("process-")
    assert list(ledger.entries()) == []
