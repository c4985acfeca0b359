"""The conformance comparison reads expectations the way `expectations.json` defines them."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "conformance_match.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("conformance_match", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["conformance_match"] = module
    spec.loader.exec_module(module)
    return module


match = _load()


def _run(run_id: str, task_id: str, **extra: Any) -> dict[str, Any]:
    run = {
        "id": run_id,
        "taskId": task_id,
        "attempts": [{"state": {"current": "SUCCESS"}}],
        "state": {"current": "SUCCESS", "histories": [{"state": "SUCCESS"}]},
        "outputs": None,
    }
    run.update(extra)
    return run


EXECUTION: dict[str, Any] = {
    "id": "exec1",
    "state": {"current": "SUCCESS"},
    "labels": [{"key": "system.correlationId", "value": "exec1"}],
    "taskRunList": [
        _run("r1", "each"),
        _run("r2", "inner", value="a", parentTaskRunId="r1", outputs={"value": "A"}),
        _run("r3", "inner", value="b", parentTaskRunId="r1", outputs={"value": "B"}),
        _run("r4", "after", outputs={"value": "got B!", "n": 3}),
    ],
}


def _check(case: dict[str, Any]) -> list[str]:
    return match.check_execution(EXECUTION, case, match.Ids(EXECUTION, []))


def test_a_matching_case_has_no_problem() -> None:
    case = {
        "state": "SUCCESS",
        "taskruns": 4,
        "taskrun_at": {"-1": "after"},
        "task_outputs": [
            ["inner", ["b"], "value", "B"],
            ["#-1", None, "value", {"$contains_output_of": ["inner", ["b"], "value"]}],
            ["after", None, "n", {"$gte": 3}],
        ],
        "labels": {"system.correlationId": {"$execution_id": True}},
        "labels_exact": True,
    }
    assert _check(case) == []


def test_each_difference_is_reported() -> None:
    problems = _check(
        {
            "state": "FAILED",
            "taskruns": 3,
            "task_outputs": [["after", None, "value", {"$regex": "got"}]],
            "absent_tasks": ["inner"],
        }
    )
    assert len(problems) == 4


def test_a_regex_must_match_the_whole_value() -> None:
    assert not match.matches("got B!", {"$regex": "got"}, match.Ids(EXECUTION, []))
    assert match.matches("got B!", {"$regex": "got.*"}, match.Ids(EXECUTION, []))


def test_null_matches_an_absent_key_but_not_a_value() -> None:
    ids = match.Ids(EXECUTION, [])
    assert match.matches({"a": 1}, {"a": 1, "b": None}, ids)
    assert not match.matches({"a": 1, "b": 2}, {"a": 1}, ids)
