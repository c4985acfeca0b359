"""`make run`'s demo stack, headless: the launcher on a free port and a temp home.

One demo process serves the whole module (its first round takes ~15-30 s): sources are
ingested with dlt through `data.utils.pydata`, dbt builds the marts, the report is kept as
an output file, and the seed's monitoring flow routes failures to Slack channels by
namespace (the demo's local receiver records what arrives).
"""

from __future__ import annotations

import functools
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("dlt", reason="the demo needs the dlt extra: pip install -e '.[dlt]'")
pytest.importorskip("dbt.cli.main", reason="the demo needs the dbt extra: pip install -e '.[dbt]'")
duckdb = pytest.importorskip("duckdb")

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[3]
API = "/api/v1/main"
FIRST_ROUND_TIMEOUT = 300.0


@functools.cache
def _demo_data() -> Any:
    """`scripts/demo_data.py`, the generator the fake APIs serve (imported by path)."""
    spec = importlib.util.spec_from_file_location("demo_data", ROOT / "scripts" / "demo_data.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module.DemoData.generate()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(what: str, check: Callable[[], Any], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


@dataclass
class RunningDemo:
    """The demo process, its summary of the first round, and clients for both ports."""

    home: Path
    summary: dict[str, Any]
    api: httpx.Client
    services: httpx.Client

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse" / "warehouse.duckdb"

    def messages(self) -> list[dict[str, Any]]:
        """What the Slack receiver got so far."""
        result: list[dict[str, Any]] = self.services.get("/messages").json()
        return result

    def executions(self, namespace: str, flow_id: str) -> list[dict[str, Any]]:
        found = self.api.get(
            f"{API}/executions/search", params={"namespace": namespace, "flowId": flow_id}
        ).json()
        return list(found["results"])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    home = tmp_path_factory.mktemp("demo-home")
    summary_file = home / "summary.json"
    env = {**os.environ, "TERCEL_CACHE_DIR": str(home / "cache")}
    env.pop("TERCEL_HOME", None)
    log = (home / "demo.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "scripts" / "demo.py"),
            "--port",
            str(_free_port()),
            "--home",
            str(home),
            "--summary",
            str(summary_file),
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + FIRST_ROUND_TIMEOUT
        while not summary_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    "the demo's first round did not finish:\n"
                    + (home / "demo.log").read_text(errors="replace")[-4000:]
                )
            time.sleep(0.5)
        summary = json.loads(summary_file.read_text())
        with (
            httpx.Client(base_url=summary["server"], timeout=30) as api,
            httpx.Client(base_url=summary["alerts_page"], timeout=30) as services,
        ):
            yield RunningDemo(home=home, summary=summary, api=api, services=services)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()


def test_first_round_builds_every_mart_from_both_sources(demo: RunningDemo) -> None:
    data = _demo_data()
    expected = data.expected_marts()
    assert demo.summary["marts_state"] == "SUCCESS"
    with duckdb.connect(str(demo.warehouse), read_only=True) as db:
        counts = {
            name: db.execute(f"select count(*) from marts.{name}").fetchone()[0]
            for name in expected
        }
        won = db.execute(
            "select deals from marts.pipeline_by_stage where stage = 'closedwon'"
        ).fetchone()[0]
    assert counts == expected
    assert won == sum(d["properties"]["dealstage"] == "closedwon" for d in data.deals)


def test_ingestion_and_dbt_run_through_pydata_with_their_own_caps(demo: RunningDemo) -> None:
    runs = [
        e for e in demo.executions("data.utils", "pydata") if e["state"]["current"] == "SUCCESS"
    ]
    by_command = {run["inputs"]["cmd"].split(" --")[0]: run["inputs"] for run in runs}
    assert by_command["python -m pipelines.hubspot"]["memory"] == "1GB"
    assert by_command["python -m pipelines.posthog"]["memory"] == "768MB"
    assert by_command["dbt build"]["memory"] == "512MB"
    assert by_command["dbt build"]["cpu"] == "0.5"


def test_report_with_charts_is_an_output_file_of_the_marts_run(demo: RunningDemo) -> None:
    execution_id = demo.summary["marts_execution"].rsplit("/", 1)[-1]
    execution = demo.api.get(f"{API}/executions/{execution_id}").json()
    (report_run,) = [tr for tr in execution["taskRunList"] if tr["taskId"] == "report"]
    uri = report_run["outputs"]["outputFiles"]["report.html"]
    page = demo.api.get(f"{API}/executions/{execution_id}/file", params={"path": uri}).text
    assert page.count("<svg") == 4
    assert "closedwon" in page
    # Viewable offline: nothing loaded from elsewhere.
    assert "<script" not in page
    assert "src=" not in page
    assert demo.services.get("/report").text == page


def test_failing_product_job_is_routed_to_product_alerts(demo: RunningDemo) -> None:
    messages = _wait_for(
        "an alert about product.app.feature_flags",
        lambda: [m for m in demo.messages() if "feature_flags" in m["text"]],
        timeout=60,
    )
    assert {m["channel"] for m in messages} == {"#product-alerts"}
    assert messages[0]["username"] == "Kestra Monitor"
    assert "FAILED" in messages[0]["text"]
    # The page the demo points users to shows it, linked to the execution in the UI.
    page = demo.services.get("/").text
    assert "<h2>#product-alerts</h2>" in page
    assert f'href="{demo.summary["server"]}/ui/' in page


def test_failing_data_source_is_routed_to_data_alerts(demo: RunningDemo) -> None:
    response = demo.api.post(
        f"{API}/executions/data.sources/hubspot", files={"fail": (None, "true")}
    )
    response.raise_for_status()
    execution_id = response.json()["id"]
    messages = _wait_for(
        "an alert about the failed hubspot ingestion",
        lambda: [m for m in demo.messages() if execution_id in m["text"]],
        timeout=120,
    )
    assert [m["channel"] for m in messages] == ["#data-alerts"]
    fields = {f["title"]: f["value"] for f in messages[0]["attachments"][0]["fields"]}
    assert fields["Namespace"] == "data.sources"
    assert fields["Status"] == "FAILED"
    assert fields["Failed task"] == "subflow"
    # The receiver also keeps every message in a file the README points to.
    logged = (demo.home / "slack-messages.jsonl").read_text().splitlines()
    assert any(execution_id in json.loads(line)["text"] for line in logged)
