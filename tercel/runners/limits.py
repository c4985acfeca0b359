"""CPU and memory caps for a script, in the shapes Kestra's runners accept.

Kestra's Docker runner takes ``cpu: {cpus: 0.5}`` and ``memory: {memory: "256MB"}``; the
Process runner accepts the same shape here, so one subflow input can drive either runner.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from tercel.errors import TaskError

_UNITS = {
    "": 1,
    "b": 1,
    "k": 1024,
    "kb": 1024,
    "kib": 1024,
    "m": 1024**2,
    "mb": 1024**2,
    "mib": 1024**2,
    "g": 1024**3,
    "gb": 1024**3,
    "gib": 1024**3,
    "t": 1024**4,
    "tb": 1024**4,
    "tib": 1024**4,
}
_MEMORY_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_memory(value: str | int | float) -> int:
    """Bytes from ``"256MB"``, ``"512m"``, ``"1g"``, ``"1GiB"`` or a plain number of bytes.

    Units are binary (1 MB = 1024 KB), as Docker reads them.
    """
    if isinstance(value, bool):
        raise TaskError(f"invalid memory size `{value}`")
    if isinstance(value, int | float):
        amount = int(value)
    else:
        match = _MEMORY_PATTERN.match(value)
        unit = match.group(2).lower() if match else None
        if match is None or unit not in _UNITS:
            raise TaskError(
                f"invalid memory size `{value}` (use a number of bytes or e.g. `256MB`, `1g`)"
            )
        amount = int(float(match.group(1)) * _UNITS[unit])
    if amount <= 0:
        raise TaskError(f"invalid memory size `{value}`: it must be positive")
    return amount


def format_memory(amount: int) -> str:
    """The shortest exact form: 268435456 → ``256MB``, 1073741824 → ``1GB``."""
    for suffix, size in (("TB", 1024**4), ("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if amount % size == 0:
            return f"{amount // size}{suffix}"
    return f"{amount}B"


def parse_cpus(value: str | int | float) -> float:
    """A number of CPUs (``0.5``, ``"2"``); must be positive."""
    try:
        cpus = float(value)
    except (TypeError, ValueError):
        raise TaskError(f"invalid number of CPUs `{value}`") from None
    if not math.isfinite(cpus) or cpus <= 0:
        raise TaskError(f"invalid number of CPUs `{value}`: it must be positive")
    return cpus


@dataclass(frozen=True, slots=True)
class ResourceLimits:
    """Caps on one run. None means "no cap"."""

    memory_bytes: int | None = None
    cpus: float | None = None

    @property
    def empty(self) -> bool:
        """True when nothing is capped (the runner then takes its fast path)."""
        return self.memory_bytes is None and self.cpus is None

    def memory_exceeded_message(self) -> str:
        """The message a user sees when the script was stopped for using too much memory."""
        assert self.memory_bytes is not None
        return f"memory limit of {format_memory(self.memory_bytes)} exceeded"
