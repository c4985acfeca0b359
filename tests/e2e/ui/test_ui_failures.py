"""A failed run explains itself: the execution page and the executions list say why."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from ui_server_helpers import UiServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

FAILING = """id: nightly-load
namespace: company.failures
tasks:
  - id: extract
    type: io.kestra.plugin.core.log.Log
    message: extracted 3 rows
  - id: load
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - id: write
        type: io.kestra.plugin.core.execution.Fail
        errorMessage: "table orders is locked by another writer"
"""

WARNING = """id: soft-check
namespace: company.failures
tasks:
  - id: check
    type: io.kestra.plugin.core.execution.Fail
    allowFailure: true
    errorMessage: "3 rows without an email"
  - id: done
    type: io.kestra.plugin.core.log.Log
    message: finished anyway
"""


def run(server: UiServer, source: str, flow_id: str) -> str:
    with server.api() as api:
        yaml = {"Content-Type": "application/x-yaml"}
        saved = api.post("/flows", content=source, headers=yaml)
        if saved.status_code == 409:  # saved by an earlier test of this module's server
            saved = api.put(f"/flows/company.failures/{flow_id}", content=source, headers=yaml)
        assert saved.status_code == 200, saved.text
        response = api.post(f"/executions/company.failures/{flow_id}", params={"wait": "true"})
        assert response.status_code == 200, response.text
        execution_id: str = response.json()["id"]
        return execution_id


def test_a_failed_execution_page_shows_the_failing_task_and_its_error_at_once(
    ui_server: UiServer, page: Page
) -> None:
    execution_id = run(ui_server, FAILING, "nightly-load")
    page.goto(f"{ui_server.url}/ui/executions/company.failures/nightly-load/{execution_id}")
    summary = page.locator("#failure-summary")
    expect(summary).to_be_visible(timeout=15_000)
    expect(summary.locator("h2")).to_have_text("Failed at write")
    expect(summary.locator(".failure-task[data-task='write'] .failure-errors")).to_have_text(
        "table orders is locked by another writer"
    )
    # The topology is still the open tab; the Gantt one click away.
    expect(page.locator("svg.topology .node.s-FAILED[data-task='write']")).to_be_visible()
    expect(page.locator("#tab-gantt")).to_be_visible()
    # "Full logs" opens the logs of that task.
    summary.locator(".failure-task[data-task='write'] a.failure-logs").click()
    expect(page.locator("#log-search")).to_have_value("write")
    expect(page.locator("#logs")).to_contain_text("table orders is locked")
    expect(page.locator("#logs")).not_to_contain_text("extracted 3 rows")


def test_a_warning_execution_says_which_task_warned(ui_server: UiServer, page: Page) -> None:
    execution_id = run(ui_server, WARNING, "soft-check")
    page.goto(f"{ui_server.url}/ui/executions/company.failures/soft-check/{execution_id}")
    summary = page.locator("#failure-summary")
    expect(summary.locator("h2")).to_have_text("Finished with warnings at check", timeout=15_000)
    expect(summary).to_contain_text("3 rows without an email")


def test_the_executions_list_shows_a_short_reason_next_to_each_failed_run(
    ui_server: UiServer, page: Page
) -> None:
    failed = run(ui_server, FAILING, "nightly-load")
    warned = run(ui_server, WARNING, "soft-check")
    page.goto(f"{ui_server.url}/ui/executions?namespace=company.failures")
    expect(page.locator(f"td[data-reason-for='{failed}']")).to_have_text(
        "write: table orders is locked by another writer", timeout=15_000
    )
    expect(page.locator(f"td[data-reason-for='{warned}']")).to_have_text(
        "check: 3 rows without an email"
    )
