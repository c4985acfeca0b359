"""`scripts/conformance_server.py` drives manual corpus cases through a real server's API."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SCRIPTS = Path(__file__).resolve().parents[3] / "scripts"

PAUSE = """\
id: pause_on_resume
namespace: io.kestra.tests
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: asked
        type: STRING
      - id: data
        type: FILE
        required: false
  - id: last
    type: io.kestra.plugin.core.output.OutputValues
    values:
      asked: "{{outputs.pause.onResume.asked}}"
      data: "{{outputs.pause.onResume.data}}"
"""

FAILING = """\
id: restart_me
namespace: io.kestra.tests
tasks:
  - id: a
    type: io.kestra.plugin.core.debug.Return
    format: ok
  - id: c
    type: io.kestra.plugin.core.execution.Fail
"""


def _corpus(tmp_path: Path, cases: list[dict[str, Any]]) -> Path:
    flows = tmp_path / "core" / "flows" / "valids"
    flows.mkdir(parents=True)
    (flows / "pause_on_resume.yaml").write_text(PAUSE, encoding="utf-8")
    (flows / "restart_me.yaml").write_text(FAILING, encoding="utf-8")
    (tmp_path / "expectations.json").write_text(json.dumps({"cases": cases}), encoding="utf-8")
    return tmp_path


def _run(corpus: Path) -> list[Any]:
    sys.path.insert(0, str(SCRIPTS))
    try:
        from conformance_server import run_manual_cases

        return run_manual_cases(corpus)
    finally:
        sys.path.remove(str(SCRIPTS))


def test_manual_cases_pass_and_a_wrong_expectation_is_reported(tmp_path: Path) -> None:
    resume = {
        "id": "pause-on-resume",
        "row": 1,
        "flow": "core/flows/valids/pause_on_resume.yaml",
        "state": "PAUSED",
        "taskruns": 1,
        "manual": "resume with inputs",
        "after_manual": {
            "action": "resume",
            "resume_inputs": {"asked": "restarted", "file:data": "<execution id>"},
            "state": "SUCCESS",
            "task_outputs": [["last", None, "values.asked", "restarted"]],
        },
    }
    restart = {
        "id": "restart-wrong",
        "row": 2,
        "flow": "core/flows/valids/restart_me.yaml",
        "state": "FAILED",
        "manual": "restart",
        # Wrong on purpose: the restarted execution fails again.
        "after_manual": {"action": "restart", "state": "SUCCESS"},
    }
    outcomes = _run(_corpus(tmp_path, [resume, restart]))
    assert [o.case["id"] for o in outcomes] == ["pause-on-resume", "restart-wrong"]
    assert outcomes[0].problems == []
    assert outcomes[1].problems == ["after restart: state FAILED, expected SUCCESS"]
