"""Memory and CPU values as users write them in flows."""

from __future__ import annotations

import pytest

from tercel.errors import TaskError
from tercel.runners.limits import ResourceLimits, format_memory, parse_cpus, parse_memory


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("256MB", 256 * 1024**2),
        ("256m", 256 * 1024**2),
        ("1g", 1024**3),
        ("1GiB", 1024**3),
        ("512 kb", 512 * 1024),
        ("1.5g", int(1.5 * 1024**3)),
        (1048576, 1048576),
        ("4096", 4096),
    ],
)
def test_memory_sizes_are_read_in_docker_units(text: str | int, expected: int) -> None:
    assert parse_memory(text) == expected


@pytest.mark.parametrize("text", ["lots", "12 parsecs", "-1m", "0", ""])
def test_unreadable_memory_sizes_are_task_errors(text: str) -> None:
    with pytest.raises(TaskError, match="invalid memory size"):
        parse_memory(text)


def test_memory_is_shown_in_the_unit_the_user_most_likely_wrote() -> None:
    assert format_memory(256 * 1024**2) == "256MB"
    assert format_memory(2 * 1024**3) == "2GB"
    assert format_memory(1000) == "1000B"


def test_memory_exceeded_message_names_the_cap() -> None:
    limits = ResourceLimits(memory_bytes=parse_memory("256MB"))
    assert limits.memory_exceeded_message() == "memory limit of 256MB exceeded"


def test_cpus_must_be_a_positive_number() -> None:
    assert parse_cpus("0.5") == 0.5
    assert parse_cpus(2) == 2.0
    for bad in ("many", 0, -1, "nan"):
        with pytest.raises(TaskError, match="invalid number of CPUs"):
            parse_cpus(bad)
