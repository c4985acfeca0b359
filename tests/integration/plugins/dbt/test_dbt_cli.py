"""DbtCLI with dbt-duckdb on a small real project (seeds → staging view → mart table)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from tercel.errors import ScriptError
from tercel.testing import FakeTaskContext, run_task

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        importlib.util.find_spec("dbt") is None
        or importlib.util.find_spec("dbt.adapters.duckdb") is None,
        reason="dbt-core/dbt-duckdb are not installed (pip install -e '.[dbt]')",
    ),
]

PROJECT = Path(__file__).parent / "project"
DBT = "io.kestra.plugin.dbt.cli.DbtCLI"


def profiles(database: Path) -> str:
    return f"""\
crm:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{database}"
      threads: 1
"""


def project_ctx(tmp_path: Path) -> FakeTaskContext:
    ctx = FakeTaskContext(tmp_path)
    shutil.copytree(PROJECT, ctx.working_dir / "crm")
    return ctx


def duckdb_rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(sql).fetchall()


async def test_dbt_build_reports_each_node_and_fills_the_warehouse(tmp_path: Path) -> None:
    ctx = project_ctx(tmp_path)
    database = tmp_path / "warehouse.duckdb"
    task = {
        "id": "dbt",
        "type": DBT,
        "projectDir": "crm",
        "profiles": profiles(database),
        "commands": ["dbt build"],
    }
    result = await run_task(task, ctx)
    outputs = result.outputs
    assert outputs is not None
    assert outputs["exitCode"] == 0
    results = outputs["results"]
    assert results["stg_deals"]["status"] == "success"
    assert results["pipeline_by_stage"]["status"] == "success"
    assert results["pipeline_by_stage"]["resourceType"] == "model"
    assert results["raw_deals"]["rowsAffected"] == 4
    assert any(name.startswith("unique_stg_deals_id") for name in results)
    assert duckdb_rows(database, "select stage, deals from pipeline_by_stage order by stage") == [
        ("lost", 1),
        ("open", 1),
        ("won", 2),
    ]
    timers = [m for m in ctx.metrics if m["name"] == "execution_time"]
    assert {m["tags"]["unique_id"] for m in timers} >= {"model.crm.stg_deals"}


async def test_dbt_runs_with_telemetry_off(tmp_path: Path) -> None:
    ctx = project_ctx(tmp_path)
    task = {
        "id": "dbt",
        "type": DBT,
        "projectDir": "crm",
        "profiles": profiles(tmp_path / "w.duckdb"),
        "commands": [
            'echo "::{\\"outputs\\":{\\"track\\":\\"$DO_NOT_TRACK/'
            '$DBT_SEND_ANONYMOUS_USAGE_STATS/$RUNTIME__DLTHUB_TELEMETRY\\"}}::"'
        ],
    }
    outputs = (await run_task(task, ctx)).outputs
    assert outputs is not None
    assert outputs["vars"]["track"] == "1/False/false"


async def test_a_failing_model_fails_the_task_and_is_named(tmp_path: Path) -> None:
    ctx = project_ctx(tmp_path)
    broken = ctx.working_dir / "crm" / "models" / "marts" / "broken_mart.sql"
    broken.write_text("select no_such_column from {{ ref('stg_deals') }}\n")
    task = {
        "id": "dbt",
        "type": DBT,
        "projectDir": "crm",
        "profiles": profiles(tmp_path / "w.duckdb"),
        "commands": ["dbt build"],
    }
    with pytest.raises(ScriptError, match=r"dbt: model `broken_mart` error") as raised:
        await run_task(task, ctx)
    assert raised.value.outputs["results"]["broken_mart"]["status"] == "error"
    assert raised.value.outputs["results"]["pipeline_by_stage"]["status"] == "success"


async def test_project_from_namespace_files(tmp_path: Path) -> None:
    ctx = FakeTaskContext(tmp_path)
    for path in PROJECT.rglob("*"):
        if path.is_file():
            relative = path.relative_to(PROJECT).as_posix()
            ctx.storage.put(f"kestra:///company/team/_files/dbt/{relative}", path.read_bytes())
    task = {
        "id": "dbt",
        "type": DBT,
        "namespaceFiles": {"enabled": True},
        "projectDir": "dbt",
        "profiles": profiles(tmp_path / "w.duckdb"),
        "commands": ["dbt seed", "dbt run --select stg_deals"],
    }
    outputs = (await run_task(task, ctx)).outputs
    assert outputs is not None
    assert list(outputs["results"]) == ["stg_deals"]


async def test_stored_manifest_lets_the_next_run_select_modified_models(tmp_path: Path) -> None:
    first = project_ctx(tmp_path / "first")
    database = tmp_path / "w.duckdb"
    manifest_key = {"key": "crm_manifest", "namespace": "company.team"}
    task = {
        "id": "dbt",
        "type": DBT,
        "projectDir": "crm",
        "profiles": profiles(database),
        "commands": ["dbt build"],
        "storeManifest": manifest_key,
    }
    await run_task(task, first)
    assert isinstance(first.kv.get("company.team", "crm_manifest"), dict)

    second = FakeTaskContext(tmp_path / "second", store=first.store)
    shutil.copytree(PROJECT, second.working_dir / "crm")
    mart = second.working_dir / "crm" / "models" / "marts" / "pipeline_by_stage.sql"
    mart.write_text(mart.read_text().replace("count(*) as deals", "count(*) as deals, 1 as v2"))
    task = {
        "id": "dbt",
        "type": DBT,
        "projectDir": "crm",
        "profiles": profiles(database),
        "commands": ["dbt build --select state:modified --state state"],
        "loadManifest": manifest_key,
    }
    outputs = (await run_task(task, second)).outputs
    assert outputs is not None
    assert list(outputs["results"]) == ["pipeline_by_stage"]
