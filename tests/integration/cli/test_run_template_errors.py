"""`tercel run`: a template that fails at run time is pointed at in the flow file."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TERCEL = str(Path(sys.executable).parent / "tercel")


def run(flow: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [TERCEL, "run", str(flow)],
        check=False,
        cwd=flow.parent,
        capture_output=True,
        text=True,
        timeout=60,
        # A wide terminal is not what is tested here: keep lines whole whatever the console.
        env={**os.environ, "COLUMNS": "400"},
    )


def test_undefined_input_in_a_task_property_names_variable_task_and_position(
    tmp_path: Path,
) -> None:
    flow = tmp_path / "greet.yml"
    flow.write_text(
        """id: greet
namespace: company.team
tasks:
  - id: first
    type: io.kestra.plugin.core.log.Log
    message: hi
  - id: second
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{ inputs.nope }}"
""",
        encoding="utf-8",
    )
    result = run(flow)
    assert result.returncode == 1, result.stderr
    line = next(text for text in result.stderr.splitlines() if "`nope`" in text)
    assert "task `second`" in line
    assert "tasks[1].message" in line
    assert f"{flow}:9:14" in line


def test_missing_output_in_run_if_names_its_position(tmp_path: Path) -> None:
    flow = tmp_path / "guarded.yml"
    flow.write_text(
        """id: guarded
namespace: company.team
tasks:
  - id: only
    type: io.kestra.plugin.core.log.Log
    message: hi
    runIf: "{{ outputs.missing.value }}"
""",
        encoding="utf-8",
    )
    result = run(flow)
    assert result.returncode == 1, result.stderr
    line = next(text for text in result.stderr.splitlines() if "`missing`" in text)
    assert "`only`" in line
    assert f"tasks[0].runIf at {flow}:7:12" in line
