"""`tercel run` piped into another program: every log line and problem stays on one line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TERCEL = str(Path(sys.executable).parent / "tercel")


def run(flow: Path) -> subprocess.CompletedProcess[str]:
    # No COLUMNS: a pipe must not be wrapped at Rich's default of 80 columns.
    env = {key: value for key, value in os.environ.items() if key not in ("COLUMNS", "LINES")}
    return subprocess.run(
        [TERCEL, "run", str(flow)],
        check=False,
        cwd=flow.parent,
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )


def test_a_long_log_message_is_one_line(tmp_path: Path) -> None:
    message = "word " * 39 + "final"
    assert len(message) == 200
    flow = tmp_path / "long.yml"
    flow.write_text(
        f"""id: long
namespace: company.team
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    message: "{message}"
""",
        encoding="utf-8",
    )
    result = run(flow)
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "word" in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].endswith(f"say {message}")


def test_a_long_problem_of_an_invalid_flow_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / ("deeply-nested-folder-name-" * 4)
    folder.mkdir()
    flow = folder / "invalid-flow-with-a-rather-long-file-name.yml"
    flow.write_text(
        """id: broken
namespace: company.team
tasks:
  - id: say
    type: io.kestra.plugin.core.log.Log
    messag: "a typo in the property name"
""",
        encoding="utf-8",
    )
    result = run(flow)
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith(f"{flow}:6:")]
    assert len(lines) >= 1, result.stderr
    assert len(lines[0]) > 80
    assert "messag" in lines[0]
