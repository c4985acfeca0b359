"""The process ledger: which process groups a server started, so a restart can stop them.

A server killed with SIGKILL cannot stop the scripts it started: they run on in their own
sessions while recovery resubmits their attempts, and the same script would then run twice
at once. The ledger is a directory of small files, one per running process group (or
container), written when the child starts and removed when it has ended. On start, the
runtime `reap`s what a previous process left there before resubmitting anything.

A process is identified by its pid *and* its start time (``/proc/<pid>/stat``, field 22,
in clock ticks since boot), so a pid recycled by an unrelated process is never signalled.
Members of a recorded group are found by scanning ``/proc`` for the group id, and only those
started after the recorded leader count (a process cannot join a group older than itself).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

#: Seconds between SIGTERM and SIGKILL when reaping an orphaned group.
REAP_GRACE_SECONDS = 3.0
_PROC = Path("/proc")


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One started process group (``kind == "process"``) or container (``"container"``)."""

    kind: str
    #: The process-group id (the leader's pid), or the container id.
    ident: str
    #: Who started it, e.g. ``<execution>/<task run> attempt 2`` (said in the logs).
    owner: str
    #: The leader's start time in clock ticks since boot; None where /proc is not readable.
    start_ticks: int | None = None
    #: For containers: the Docker API address it was started through.
    host: str | None = None


@dataclass(frozen=True, slots=True)
class Reaped:
    """What `reap` did to one entry of the previous run."""

    entry: LedgerEntry
    #: How many processes were signalled (0: all had already exited).
    stopped: int


def process_start_ticks(pid: int) -> int | None:
    """The start time of `pid` (clock ticks since boot), or None if it does not exist."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[19])


def _group_members(pgid: int, not_before: int | None) -> list[int]:
    """Pids whose process group is `pgid` and that started at or after `not_before`."""
    members: list[int] = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2 :].split()
        if int(fields[2]) != pgid:
            continue
        if not_before is not None and int(fields[19]) < not_before:
            continue
        members.append(int(entry.name))
    return members


class ProcessLedger:
    """Records started process groups and containers in `directory`; see the module doc."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    def _file(self, kind: str, ident: str) -> Path:
        return self.directory / f"{kind}-{ident}.json"

    def record_process(self, pid: int, owner: str) -> None:
        """Remember a process group started with `pid` as its leader (call right after spawn)."""
        entry = LedgerEntry("process", str(pid), owner, process_start_ticks(pid))
        self._write(entry)

    def record_container(self, container_id: str, owner: str, host: str) -> None:
        """Remember a container started through the Docker API at `host`."""
        self._write(LedgerEntry("container", container_id, owner, host=host))

    def forget(self, kind: str, ident: str) -> None:
        """The process group or container has ended: nothing to reap."""
        with contextlib.suppress(FileNotFoundError):
            self._file(kind, ident).unlink()

    def _write(self, entry: LedgerEntry) -> None:
        path = self._file(entry.kind, entry.ident)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(
            json.dumps(
                {
                    "kind": entry.kind,
                    "ident": entry.ident,
                    "owner": entry.owner,
                    "startTicks": entry.start_ticks,
                    "host": entry.host,
                }
            )
        )
        temporary.replace(path)

    def entries(self) -> Iterator[LedgerEntry]:
        """What is recorded now (entries of a previous run, before `reap`)."""
        for path in sorted(self.directory.glob("*.json")):
            try:
                data = json.loads(path.read_text())
                yield LedgerEntry(
                    str(data["kind"]),
                    str(data["ident"]),
                    str(data.get("owner", "")),
                    data.get("startTicks"),
                    data.get("host"),
                )
            except (OSError, ValueError, KeyError, TypeError):
                path.unlink(missing_ok=True)  # half-written by a killed process: unusable

    def reap(
        self,
        *,
        grace: float = REAP_GRACE_SECONDS,
        remove_container: Callable[[LedgerEntry], bool] | None = None,
    ) -> list[Reaped]:
        """Stop every recorded group (SIGTERM, SIGKILL after `grace`) and container; clear.

        Call before anything is started in this process: every entry then belongs to a
        previous run. `remove_container` force-removes one container (True if it existed).
        """
        reaped: list[Reaped] = []
        groups: dict[int, tuple[LedgerEntry, list[int]]] = {}
        for entry in list(self.entries()):
            if entry.kind == "container":
                removed = remove_container(entry) if remove_container is not None else False
                reaped.append(Reaped(entry, int(removed)))
                self.forget(entry.kind, entry.ident)
                continue
            pgid = int(entry.ident)
            leader_ticks = process_start_ticks(pgid)
            if leader_ticks is not None and leader_ticks != entry.start_ticks:
                # The leader's pid now belongs to another process: Linux never reuses a pid
                # while a group of that id exists, so the old group is gone entirely.
                members = []
            else:
                members = _group_members(pgid, entry.start_ticks) if _PROC.is_dir() else []
            groups[pgid] = (entry, members)
            for pid in members:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(
            _alive(pid) for _, members in groups.values() for pid in members
        ):
            time.sleep(0.05)
        for pgid, (entry, members) in groups.items():
            for pid in members:
                if _alive(pid):
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.kill(pid, signal.SIGKILL)
            reaped.append(Reaped(entry, len(members)))
            self.forget(entry.kind, str(pgid))
        return reaped


def _alive(pid: int) -> bool:
    """True while `pid` exists and is not a zombie waiting for a parent that is gone."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return False
    return text[text.rindex(")") + 2 :].split()[0] != "Z"


@dataclass(frozen=True, slots=True)
class Owner:
    """The ledger of the running attempt and how its entries are labelled."""

    ledger: ProcessLedger
    label: str


#: Set by the worker around each attempt; runners record what they start under it.
current_owner: ContextVar[Owner | None] = ContextVar("tercel_runner_owner", default=None)
