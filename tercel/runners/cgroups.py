"""Per-run control groups: memory and CPU caps, OOM detection and whole-tree kill.

Linux offers cgroups in three layouts and this module handles all of them:

* v1 (or hybrid): one hierarchy per controller (``/sys/fs/cgroup/memory``, ``.../cpu``);
  caps are ``memory.limit_in_bytes`` and ``cpu.cfs_quota_us``; an OOM kill is counted in
  ``memory.oom_control``.
* v2 (unified): one hierarchy; caps are ``memory.max`` and ``cpu.max``; an OOM kill is
  counted in ``memory.events``; ``cgroup.kill`` kills every member in one write.
* hybrid: v1 controllers plus a v2 tree without controllers, still useful for ``cgroup.kill``.

A run's groups are created under the groups this process is in (so that limits set on us
also bound our children), and removed when the run ends. When nothing is writable (no
privileges, read-only mount), `Cgroup.create` returns None and the caller falls back to
rlimits.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from tercel.ids import short_id
from tercel.runners.limits import ResourceLimits

CGROUP_ROOT = Path("/sys/fs/cgroup")
#: The folder, under each of our own groups, that holds one sub-group per run.
PARENT_NAME = "tercel"
_CFS_PERIOD_US = 100_000


@dataclass(frozen=True, slots=True)
class CgroupLayout:
    """Where this process may create groups, per controller (None: not available)."""

    memory_v1: Path | None = None
    cpu_v1: Path | None = None
    #: A v2 folder; `v2_controllers` says which caps it can enforce.
    unified: Path | None = None
    v2_controllers: frozenset[str] = frozenset()

    @property
    def can_cap_memory(self) -> bool:
        """Whether a memory cap can be enforced with cgroups."""
        return self.memory_v1 is not None or "memory" in self.v2_controllers

    @property
    def can_cap_cpu(self) -> bool:
        """Whether a CPU cap can be enforced with cgroups."""
        return self.cpu_v1 is not None or "cpu" in self.v2_controllers


def _own_groups() -> dict[str, str]:
    """Controller name → our path in that hierarchy, from /proc/self/cgroup."""
    groups: dict[str, str] = {}
    try:
        text = Path("/proc/self/cgroup").read_text()
    except OSError:
        return groups
    for line in text.splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if not controllers:
            groups[""] = path
        for name in controllers.split(","):
            groups[name] = path
    return groups


def _writable_parent(hierarchy: Path, own_path: str) -> Path | None:
    """`<hierarchy><own_path>/tercel`, created if needed; None if we may not create groups."""
    if not hierarchy.is_dir():
        return None
    parent = hierarchy / own_path.lstrip("/") / PARENT_NAME
    try:
        parent.mkdir(exist_ok=True)
        probe = parent / f"probe-{os.getpid()}"
        probe.mkdir()
        probe.rmdir()
    except OSError:
        return None
    return parent


@cache
def detect() -> CgroupLayout:
    """Probe once which cgroup features this process can use."""
    own = _own_groups()
    if (CGROUP_ROOT / "cgroup.controllers").exists():
        # Pure v2: controllers must be enabled in our group's subtree_control, which the
        # kernel refuses while our group holds processes, unless it is the root.
        parent = _writable_parent(CGROUP_ROOT, own.get("", "/"))
        if parent is None:
            return CgroupLayout()
        controllers = set((parent.parent / "cgroup.subtree_control").read_text().split())
        for name in ("memory", "cpu"):
            with contextlib.suppress(OSError):
                (parent / "cgroup.subtree_control").write_text(f"+{name}")
        with contextlib.suppress(OSError):
            controllers = set((parent / "cgroup.subtree_control").read_text().split())
        return CgroupLayout(unified=parent, v2_controllers=frozenset(controllers))
    memory = _writable_parent(CGROUP_ROOT / "memory", own.get("memory", "/"))
    cpu_dir = next(
        (CGROUP_ROOT / name for name in ("cpu", "cpu,cpuacct") if (CGROUP_ROOT / name).is_dir()),
        CGROUP_ROOT / "cpu",
    )
    cpu = _writable_parent(cpu_dir, own.get("cpu", "/"))
    unified = _writable_parent(CGROUP_ROOT / "unified", own.get("", "/"))
    return CgroupLayout(memory_v1=memory, cpu_v1=cpu, unified=unified)


@dataclass(slots=True)
class Cgroup:
    """The groups of one run. Put the child in with `procs_files`, then `remove` at the end."""

    limits: ResourceLimits
    memory_v1: Path | None = None
    cpu_v1: Path | None = None
    unified: Path | None = None
    #: Caps that are enforced by this group (the rest need the rlimit fallback).
    capped_memory: bool = False
    capped_cpu: bool = False
    _dirs: list[Path] = field(default_factory=list)

    @classmethod
    def create(cls, limits: ResourceLimits, layout: CgroupLayout | None = None) -> Cgroup | None:
        """Groups for one run with `limits` applied; None when no group can be created."""
        layout = layout or detect()
        name = f"run-{os.getpid()}-{short_id()}"
        group = cls(limits)
        try:
            if layout.unified is not None:
                group.unified = group._mkdir(layout.unified / name)
                group._apply_v2(layout)
            if limits.memory_bytes is not None and layout.memory_v1 is not None:
                group.memory_v1 = group._mkdir(layout.memory_v1 / name)
                group._apply_memory_v1(limits.memory_bytes)
            if limits.cpus is not None and layout.cpu_v1 is not None:
                group.cpu_v1 = group._mkdir(layout.cpu_v1 / name)
                quota = max(1000, int(limits.cpus * _CFS_PERIOD_US))
                (group.cpu_v1 / "cpu.cfs_period_us").write_text(str(_CFS_PERIOD_US))
                (group.cpu_v1 / "cpu.cfs_quota_us").write_text(str(quota))
                group.capped_cpu = True
        except OSError:
            group.remove()
            return None
        if not group._dirs:
            return None
        return group

    def _mkdir(self, path: Path) -> Path:
        path.mkdir()
        self._dirs.append(path)
        return path

    def _apply_memory_v1(self, amount: int) -> None:
        assert self.memory_v1 is not None
        (self.memory_v1 / "memory.limit_in_bytes").write_text(str(amount))
        # Without swap accounting the file is absent; with it, swap must not extend the cap.
        with contextlib.suppress(OSError):
            (self.memory_v1 / "memory.memsw.limit_in_bytes").write_text(str(amount))
        self.capped_memory = True

    def _apply_v2(self, layout: CgroupLayout) -> None:
        assert self.unified is not None
        if self.limits.memory_bytes is not None and "memory" in layout.v2_controllers:
            (self.unified / "memory.max").write_text(str(self.limits.memory_bytes))
            with contextlib.suppress(OSError):
                (self.unified / "memory.swap.max").write_text("0")
            self.capped_memory = True
        if self.limits.cpus is not None and "cpu" in layout.v2_controllers:
            quota = max(1000, int(self.limits.cpus * _CFS_PERIOD_US))
            (self.unified / "cpu.max").write_text(f"{quota} {_CFS_PERIOD_US}")
            self.capped_cpu = True

    @property
    def procs_files(self) -> list[Path]:
        """The ``cgroup.procs`` files a child writes its PID into before it runs the command."""
        return [path / "cgroup.procs" for path in self._dirs]

    def oom_killed(self) -> bool:
        """Whether the kernel killed a member for exceeding the memory cap."""
        sources = []
        if self.memory_v1 is not None:
            sources.append(self.memory_v1 / "memory.oom_control")
        if self.unified is not None:
            sources.append(self.unified / "memory.events")
        for source in sources:
            try:
                text = source.read_text()
            except OSError:
                continue
            for line in text.splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill" and value.strip() not in ("", "0"):
                    return True
        return False

    def pids(self) -> set[int]:
        """Every process still in one of the groups."""
        found: set[int] = set()
        for procs in self.procs_files:
            with contextlib.suppress(OSError):
                found.update(int(pid) for pid in procs.read_text().split())
        return found

    def kill(self) -> None:
        """SIGKILL every member, including children that left our process group."""
        if self.unified is not None and (self.unified / "cgroup.kill").exists():
            with contextlib.suppress(OSError):
                (self.unified / "cgroup.kill").write_text("1")
        # v1 has no cgroup.kill: kill what is listed until nothing is left (a forking
        # member may add a PID between the read and the kill, hence the loop).
        for _ in range(50):
            pids = self.pids()
            if not pids:
                return
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.01)

    def remove(self) -> None:
        """Kill what is left and delete the groups (a group must be empty to be removed)."""
        if self.pids():
            self.kill()
        for path in reversed(self._dirs):
            for _ in range(100):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError as error:
                    # EBUSY while the kernel finishes tearing down killed members.
                    if error.errno != errno.EBUSY:
                        break
                    time.sleep(0.01)
        self._dirs.clear()
