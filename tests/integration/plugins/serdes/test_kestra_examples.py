"""Kestra's documented serdes examples, run through the real runtime as written; only the
download URL points at a local server instead of huggingface.co."""

from __future__ import annotations

from pathlib import Path

import pytest
from stack_http_server import LocalHttpServer

from tercel.engine.state import State
from tercel.model.loader import load_flow
from tercel.runtime.local import LocalRuntime

pytestmark = pytest.mark.integration

# The IonToCsv example of Kestra's serdes plugin.
ION_TO_CSV = """
id: ion_to_csv
namespace: company.team

tasks:
  - id: download_csv
    type: io.kestra.plugin.core.http.Download
    description: salaries of data professionals from 2020 to 2023 (source ai-jobs.net)
    uri: URL

  - id: avg_salary_by_job_title
    type: io.kestra.plugin.jdbc.duckdb.Query
    inputFiles:
      data.csv: "{{ outputs.download_csv.uri }}"
    sql: |
      SELECT
        job_title,
        ROUND(AVG(salary),2) AS avg_salary
      FROM read_csv_auto('{{ workingDir }}/data.csv', header=True)
      GROUP BY job_title
      HAVING COUNT(job_title) > 10
      ORDER BY avg_salary DESC;
    store: true

  - id: result
    type: io.kestra.plugin.serdes.csv.IonToCsv
    from: "{{ outputs.avg_salary_by_job_title.uri }}"
"""

# The CsvToIon example.
CSV_TO_ION = """
id: csv_to_ion
namespace: company.team

tasks:
  - id: http_download
    type: io.kestra.plugin.core.http.Download
    uri: URL

  - id: to_ion
    type: io.kestra.plugin.serdes.csv.CsvToIon
    from: "{{ outputs.http_download.uri }}"
"""


def salaries() -> str:
    rows = ["work_year,job_title,salary"]
    rows += [f"2023,Data Engineer,{100_000 + i * 1000}" for i in range(12)]  # avg 105500
    rows += [f"2023,Data Analyst,{60_000 + i * 10}" for i in range(11)]  # avg 60050
    rows += [f"2022,Rare Title,{999_999}" for _ in range(3)]  # too few: left out
    return "\n".join(rows) + "\n"


async def test_the_ion_to_csv_example_runs_as_written(tmp_path: Path) -> None:
    with LocalHttpServer() as server:
        server.route("GET", "/salaries.csv", body=salaries())
        flow = load_flow(ION_TO_CSV.replace("URL", server.url("/salaries.csv")), "ion_to_csv.yml")
        async with LocalRuntime.open(tmp_path / "home") as runtime:
            execution = await runtime.run(flow, {}, timeout=120)
            logs = [entry.message for entry in runtime.store.logs.list(execution.id)]
            outputs = execution.task_runs_of("result")[0].outputs
            assert outputs is not None
            csv_text = runtime.storage.get(outputs["uri"]).decode()
    assert execution.state.current is State.SUCCESS, logs
    assert outputs["size"] == 2
    assert csv_text == "job_title,avg_salary\nData Engineer,105500.0\nData Analyst,60050.0\n"


async def test_the_csv_to_ion_example_runs_as_written(tmp_path: Path) -> None:
    with LocalHttpServer() as server:
        server.route("GET", "/products.csv", body="product_id,name\n1,Kayak\n2,Paddle\n")
        flow = load_flow(CSV_TO_ION.replace("URL", server.url("/products.csv")), "csv_to_ion.yml")
        async with LocalRuntime.open(tmp_path / "home") as runtime:
            execution = await runtime.run(flow, {}, timeout=60)
            outputs = execution.task_runs_of("to_ion")[0].outputs
            assert outputs is not None
            text = runtime.storage.get(outputs["uri"]).decode()
    assert execution.state.current is State.SUCCESS
    assert text == '{product_id:"1",name:"Kayak"}\n{product_id:"2",name:"Paddle"}\n'
