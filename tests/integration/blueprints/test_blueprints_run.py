"""Each blueprint runs to the end it promises, offline (local HTTP servers, files, repos)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from stack_http_server import LocalHttpServer, Recorded, Reply

from tercel.blueprints import get_blueprint
from tercel.engine.execution import Execution
from tercel.engine.state import State
from tercel.ids import short_id
from tercel.model.loader import load_flow
from tercel.runners.docker_api import engine_reachable
from tercel.runtime.local import LocalRuntime

pytestmark = pytest.mark.integration

DBT_PROJECT = Path(__file__).parents[1] / "plugins" / "dbt" / "project"
needs_dbt = pytest.mark.skipif(
    importlib.util.find_spec("dbt") is None
    or importlib.util.find_spec("dbt.adapters.duckdb") is None,
    reason="dbt-core/dbt-duckdb are not installed (pip install -e '.[dbt]')",
)
needs_dlt = pytest.mark.skipif(
    importlib.util.find_spec("dlt") is None, reason="dlt is not installed (pip install -e '.[dlt]')"
)


class Ran:
    """An ended execution and its logs."""

    def __init__(self, execution: Execution, logs: list[str], runtime: LocalRuntime) -> None:
        self.execution = execution
        self.logs = logs
        self.runtime = runtime

    @property
    def state(self) -> State:
        return self.execution.state.current

    def outputs(self, task_id: str) -> dict[str, Any]:
        found = self.execution.task_runs_of(task_id)[-1].outputs
        assert found is not None, f"{task_id} has no outputs"
        return found


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[LocalRuntime]:
    async with LocalRuntime.open(tmp_path / "home") as opened:
        yield opened


async def run_blueprint(
    runtime: LocalRuntime, blueprint_id: str, inputs: Mapping[str, Any] | None = None
) -> Ran:
    flows = [
        load_flow(source, name)
        for source, name in zip(
            get_blueprint(blueprint_id).sources(), get_blueprint(blueprint_id).files, strict=True
        )
    ]
    runtime.add_flows(flows[:-1])
    execution = await runtime.run(flows[-1], inputs or {}, timeout=240)
    logs = [entry.message for entry in runtime.store.logs.list(execution.id)]
    return Ran(execution, logs, runtime)


@pytest.fixture
def venv_on_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """As if the user had activated the virtualenv Tercel (and dlt, dbt) is installed in."""
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


@pytest.fixture
def api() -> Iterator[LocalHttpServer]:
    with LocalHttpServer() as server:
        yield server


async def test_file_processing(runtime: LocalRuntime) -> None:
    ran = await run_blueprint(runtime, "file-processing")
    assert ran.state is State.SUCCESS, ran.logs
    assert ran.outputs("count")["vars"] == {"large": 1}
    assert "1 of 3 orders are large" in ran.logs


async def test_retries_and_errors(runtime: LocalRuntime) -> None:
    ran = await run_blueprint(runtime, "retries-and-errors")
    assert ran.state is State.WARNING, ran.logs
    flaky = ran.execution.task_runs_of("flaky")[-1]
    assert len(flaky.attempts) == 3
    assert flaky.state.current is State.SUCCESS
    assert ran.execution.task_runs_of("optional")[-1].state.current is State.WARNING
    assert ran.execution.task_runs_of("on_error") == []


async def test_subflow_fan_out(runtime: LocalRuntime) -> None:
    ran = await run_blueprint(runtime, "subflow-fan-out")
    assert ran.state is State.SUCCESS, ran.logs
    calls = ran.execution.task_runs_of("call")
    assert sorted(tr.value or "" for tr in calls) == ["amer", "apac", "emea"]
    children = runtime.store.executions.search(flow_id="process_region", parent_id=ran.execution.id)
    assert children.total == 3
    assert {child.state.current for child in children.items} == {State.SUCCESS}


async def test_api_to_warehouse(
    runtime: LocalRuntime, api: LocalHttpServer, tmp_path: Path
) -> None:
    api.route("GET", "/todos", json_body=[{"id": i, "done": i % 2 == 0} for i in range(7)])
    warehouse = tmp_path / "w.duckdb"
    ran = await run_blueprint(
        runtime, "api-to-warehouse", {"api_url": api.url("/todos"), "warehouse": str(warehouse)}
    )
    assert ran.state is State.SUCCESS, ran.logs
    assert ran.outputs("load")["row"] == {"loaded": 7}
    assert "loaded 7 rows into raw_api" in ran.logs


def make_deals(warehouse: Path, rows: list[tuple[int, str | None, float]]) -> None:
    import duckdb

    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("CREATE OR REPLACE TABLE deals (id INT, stage TEXT, amount DOUBLE)")
        connection.executemany("INSERT INTO deals VALUES (?, ?, ?)", rows)


async def test_sql_data_check_passes_on_clean_data(runtime: LocalRuntime, tmp_path: Path) -> None:
    warehouse = tmp_path / "w.duckdb"
    make_deals(warehouse, [(1, "won", 10.0), (2, "open", 5.0)])
    ran = await run_blueprint(runtime, "sql-data-check", {"warehouse": str(warehouse)})
    assert ran.state is State.SUCCESS, ran.logs
    assert "deals passed the data check" in ran.logs


async def test_sql_data_check_fails_the_flow_on_bad_rows(
    runtime: LocalRuntime, tmp_path: Path
) -> None:
    warehouse = tmp_path / "w.duckdb"
    make_deals(warehouse, [(1, "won", 10.0), (2, None, 5.0), (3, "lost", -1.0)])
    ran = await run_blueprint(runtime, "sql-data-check", {"warehouse": str(warehouse)})
    assert ran.state is State.FAILED
    assert any("2 deals have a negative amount or no stage" in line for line in ran.logs)
    assert ran.execution.task_runs_of("ok") == []


async def test_kv_cursor_reads_only_what_changed(tmp_path: Path, api: LocalHttpServer) -> None:
    def events(request: Recorded) -> Reply:
        since = request.query["since"][0]
        body = (
            {"events": [1, 2, 3], "next_cursor": "c1"}
            if since.startswith("1970")
            else {"events": [4], "next_cursor": "c2"}
        )
        return Reply(body=json.dumps(body).encode(), headers={"Content-Type": "application/json"})

    api.route("GET", "/events", events)
    home = tmp_path / "home"
    for expected in ("3 new events", "1 new events"):
        async with LocalRuntime.open(home) as runtime:
            ran = await run_blueprint(runtime, "kv-cursor", {"api_url": api.url("/events")})
            assert ran.state is State.SUCCESS, ran.logs
            assert expected in ran.logs
            cursor = runtime.store.kv.get("company.data", "events_cursor")
    assert [r.query["since"][0] for r in api.requests] == ["1970-01-01T00:00:00Z", "c1"]
    assert cursor == "c2"


@needs_dbt
async def test_dbt_from_git(runtime: LocalRuntime, tmp_path: Path) -> None:
    origin = tmp_path / "origin"
    shutil.copytree(DBT_PROJECT, origin)
    project = origin / "dbt_project.yml"
    project.write_text(project.read_text().replace("profile: crm", "profile: my_dbt_project"))
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@x",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@x",
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
    }
    for args in (["init", "-q", "-b", "main"], ["add", "."], ["commit", "-q", "-m", "dbt"]):
        subprocess.run(["git", *args], cwd=origin, env=env, check=True)
    warehouse = tmp_path / "w.duckdb"
    ran = await run_blueprint(
        runtime, "dbt-from-git", {"repository": str(origin), "warehouse": str(warehouse)}
    )
    assert ran.state is State.SUCCESS, ran.logs
    assert ran.outputs("build")["results"]["pipeline_by_stage"]["status"] == "success"
    assert isinstance(runtime.store.kv.get("company.data", "dbt_manifest"), dict)


@needs_dbt
@needs_dlt
@pytest.mark.usefixtures("venv_on_path")
async def test_dlt_duckdb_dbt(runtime: LocalRuntime, api: LocalHttpServer, tmp_path: Path) -> None:
    users = [
        {"id": i, "name": f"user {i}", "email": f"u{i}@{'acme.com' if i < 3 else 'x.org'}"}
        for i in range(5)
    ]
    api.route("GET", "/users", json_body=users)
    warehouse = tmp_path / "w.duckdb"
    ran = await run_blueprint(
        runtime, "dlt-duckdb-dbt", {"api_url": api.url("/users"), "warehouse": str(warehouse)}
    )
    assert ran.state is State.SUCCESS, ran.logs
    assert ran.outputs("ingest")["vars"] == {"rows": 5}
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select domain, users from users_by_domain order by domain"
        ).fetchall()
    assert rows == [("acme.com", 3), ("x.org", 2)]


@pytest.mark.container
@pytest.mark.skipif(
    not engine_reachable(),
    reason="no Docker-compatible engine at $DOCKER_HOST "
    "(run the tests through scripts/ci-podman.sh)",
)
async def test_docker_build_and_run(runtime: LocalRuntime) -> None:
    tag = f"localhost/tercel-blueprint:{short_id().lower()}"
    ran = await run_blueprint(
        runtime,
        "docker-build-and-run",
        {"base_image": "localhost/tercel-busybox:latest", "tag": tag},
    )
    try:
        assert ran.state is State.SUCCESS, ran.logs
        assert ran.outputs("run")["vars"] == {"motd": "built by tercel"}
    finally:
        subprocess.run(["podman", "rmi", "-f", tag], check=False, capture_output=True)


ORDERS_CSV = "order_id,customer_name,customer_email,product_id,price,quantity,total\n" + "".join(
    f"{i},Customer {i},c{i}@example.com,{100 + i},{10 * i}.5,2,{20 * i + 1}.0\n"
    for i in range(1, 11)
)


async def test_csv_conversions(runtime: LocalRuntime, api: LocalHttpServer, tmp_path: Path) -> None:
    import openpyxl
    import pyarrow.parquet as pq

    api.route("GET", "/orders.csv", body=ORDERS_CSV)
    ran = await run_blueprint(
        runtime, "csv-conversions", {"csv_url": api.url("/orders.csv"), "min_total": 100}
    )
    assert ran.state is State.SUCCESS, ran.logs
    # totals are 21, 41, ... 201: the six above 100 are orders 5 to 10.
    assert "6 of 10 orders are above 100" in ran.logs
    parquet = tmp_path / "orders.parquet"
    parquet.write_bytes(runtime.storage.get(ran.outputs("to_parquet")["uri"]))
    table = pq.read_table(parquet)
    assert table.column("order_id").to_pylist() == [5, 6, 7, 8, 9, 10]
    assert table.column("total").to_pylist() == [101.0, 121.0, 141.0, 161.0, 181.0, 201.0]
    excel = tmp_path / "orders.xlsx"
    excel.write_bytes(runtime.storage.get(ran.outputs("to_excel")["uri"]))
    sheet = openpyxl.load_workbook(excel)["large_orders"]
    assert sheet.max_row == 7  # the header and six orders
    lines = runtime.storage.get(ran.outputs("to_jsonl")["uri"]).decode().splitlines()
    assert json.loads(lines[0])["customer_email"] == "c5@example.com"


async def test_json_api_to_csv(runtime: LocalRuntime, api: LocalHttpServer) -> None:
    api.route(
        "GET",
        "/users",
        json_body=[{"id": 1, "name": "Leanne", "city": "Gwenborough"}, {"id": 2, "name": "Ervin"}],
    )
    ran = await run_blueprint(runtime, "json-api-to-csv", {"api_url": api.url("/users")})
    assert ran.state is State.SUCCESS, ran.logs
    csv_text = runtime.storage.get(ran.outputs("to_csv")["uri"]).decode()
    assert csv_text == "id;name;city\n1;Leanne;Gwenborough\n2;Ervin\n"
    xml_text = runtime.storage.get(ran.outputs("to_xml")["uri"]).decode()
    assert "<users>" in xml_text
    assert "<name>Ervin</name>" in xml_text
    assert ran.outputs("metrics")["metrics"][0]["value"] == 2.0
