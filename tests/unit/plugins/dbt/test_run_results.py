"""run_results.json → per-node results and the message naming what failed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tercel.plugins.dbt.run_results import failure_message, read_run_results

pytestmark = pytest.mark.unit


def write(tmp_path: Path, results: list[dict[str, object]]) -> Path:
    path = tmp_path / "run_results.json"
    path.write_text(json.dumps({"metadata": {}, "results": results, "elapsed_time": 1.0}))
    return path


def test_nodes_are_read_with_name_type_status_time_and_rows(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            {
                "unique_id": "model.crm.stg_deals",
                "status": "success",
                "execution_time": 0.25,
                "adapter_response": {"_message": "OK", "rows_affected": 4},
                "message": "OK",
            },
            {
                "unique_id": "test.crm.unique_stg_deals_id.4f1a2b",
                "status": "pass",
                "execution_time": 0.01,
                "adapter_response": {},
                "message": None,
            },
        ],
    )
    model, test = read_run_results(path)
    assert (model.name, model.resource_type, model.status, model.rows_affected) == (
        "stg_deals",
        "model",
        "success",
        4,
    )
    assert model.execution_time == 0.25
    assert (test.name, test.resource_type, test.rows_affected) == (
        "unique_stg_deals_id",
        "test",
        None,
    )
    assert failure_message([model, test]) is None


def test_failed_models_and_tests_are_named_with_their_first_message_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            {
                "unique_id": "model.crm.broken",
                "status": "error",
                "message": "Binder Error: column x not found\nLINE 1: ...",
            },
            {"unique_id": "test.crm.not_null_stg_deals_id.9c", "status": "fail", "message": None},
            {"unique_id": "model.crm.after", "status": "skipped"},
        ],
    )
    nodes = read_run_results(path)
    assert failure_message(nodes) == (
        "dbt: model `broken` error (Binder Error: column x not found); "
        "test `not_null_stg_deals_id` fail"
    )


def test_missing_or_broken_file_gives_no_nodes(tmp_path: Path) -> None:
    assert read_run_results(tmp_path / "absent.json") == []
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert read_run_results(broken) == []
