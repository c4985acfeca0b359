"""Installing Python `dependencies`: pip's warnings are not logged as errors."""

from __future__ import annotations

from tercel.plugins.scripts.python_env import pip_levels
from tercel.runners.logstream import LogLine


def test_pip_warnings_and_notices_on_stderr_are_not_errors() -> None:
    seen: list[LogLine] = []
    sink = pip_levels(seen.extend)
    sink(
        [
            LogLine(
                0.0, "ERROR", "WARNING: Location 'file:///x/simple/idna/' is ignored", "stderr"
            ),
            LogLine(0.0, "ERROR", "[notice] A new release of pip is available", "stderr"),
            LogLine(0.0, "ERROR", "ERROR: No matching distribution found for nope", "stderr"),
            LogLine(0.0, "INFO", "WARNING: printed on stdout", "stdout"),
        ]
    )
    assert [line.level for line in seen] == ["WARN", "INFO", "ERROR", "INFO"]
