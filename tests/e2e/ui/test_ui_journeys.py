"""What a user does in the web UI, in a real browser against a real server."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from ui_server_helpers import UiServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

BROKEN_FLOW = """id: greet-ui
namespace: company.ui
inputs:
  - id: who
    type: STRING
  - id: times
    type: INT
    defaults: 2
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    mesage: "Hello {{ inputs.who }} x{{ inputs.times }}"
"""

GATED_FLOW = """id: gated
namespace: company.ui
tasks:
  - id: first
    type: io.kestra.plugin.core.log.Log
    message: before the gate
  - id: gate
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ kv('go', errorOnMissing=false) != 'yes' }}"
    errorMessage: the gate is closed
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: through the gate
"""

HOURLY_FLOW = """id: hourly
namespace: company.ui
tasks:
  - id: tick
    type: io.kestra.plugin.core.log.Log
    message: "tick {{ trigger.date }}"
triggers:
  - id: every-hour
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 * * * *"
"""


def save_flow(server: UiServer, source: str) -> None:
    with server.api() as api:
        response = api.post(
            "/flows", content=source, headers={"Content-Type": "application/x-yaml"}
        )
        assert response.status_code == 200, response.text


def test_editor_marks_the_error_line_then_saves_runs_with_inputs_and_shows_logs(
    ui_server: UiServer, page: Page, screenshots: Path
) -> None:
    page.goto(f"{ui_server.url}/ui/editor")
    page.fill("#yaml", BROKEN_FLOW)
    # The unknown property is reported at its line and column, and marked in the gutter.
    problem = page.locator("#problems li", has_text="unknown property `mesage`")
    expect(problem).to_have_attribute("data-line", "12")
    expect(problem).to_have_attribute("data-column", "5")
    expect(page.locator(".gutter .bad[data-line='12']")).to_be_visible()
    expect(page.locator(".editor .mark").first).to_be_visible()
    page.screenshot(path=screenshots / "editor-validation.png")
    # Choosing the problem puts the caret on it.
    problem.click()
    offset = sum(len(line) + 1 for line in BROKEN_FLOW.split("\n")[:11]) + 4
    assert page.evaluate("document.getElementById('yaml').selectionStart") == offset

    page.fill("#yaml", BROKEN_FLOW.replace("mesage:", "message:"))
    expect(page.locator("#validation-status")).to_have_text("valid")
    expect(page.locator("#problems li")).to_have_count(0)
    page.click("#save")
    expect(page).to_have_url(re.compile(r"/ui/flows/company\.ui/greet-ui$"))
    expect(page.locator("svg.topology [data-task='hello']")).to_be_visible()

    # The run dialog refuses a missing required input before anything runs.
    page.click("#run")
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("#in-times")).to_have_value("2")
    dialog.locator("#dialog-submit").click()
    expect(dialog.locator("#in-who-error")).not_to_be_empty()
    with ui_server.api() as api:
        assert api.get("/executions/search", params={"flowId": "greet-ui"}).json()["total"] == 0
    dialog.locator("#in-who").fill("Ada")
    dialog.locator("#in-times").fill("3")
    dialog.locator("#dialog-submit").click()

    expect(page).to_have_url(re.compile(r"/ui/executions/company\.ui/greet-ui/\w+$"))
    expect(page.locator("#execution-state .badge")).to_have_text("SUCCESS", timeout=30_000)
    expect(page.locator("svg.topology .node.s-SUCCESS[data-task='hello']")).to_be_visible()
    page.screenshot(path=screenshots / "execution-topology.png")
    page.click("#tab-logs")
    expect(page.locator("#logs")).to_contain_text("Hello Ada x3")
    page.fill("#log-search", "nothing like this")
    expect(page.locator("#logs")).to_contain_text("No log line.")
    page.fill("#log-search", "")
    page.select_option("#log-level", "ERROR")
    expect(page.locator("#logs")).not_to_contain_text("Hello Ada")
    page.select_option("#log-level", "INFO")
    page.screenshot(path=screenshots / "execution-logs.png")
    page.click("#tab-inputs")
    expect(page.locator("main")).to_contain_text("Ada")


def test_restart_reruns_a_failed_execution_from_the_failed_task(
    ui_server: UiServer, page: Page, screenshots: Path
) -> None:
    save_flow(ui_server, GATED_FLOW)
    page.goto(f"{ui_server.url}/ui/flows/company.ui/gated")
    page.click("#run")
    page.locator("dialog[open] #dialog-submit").click()
    expect(page.locator("#execution-state .badge")).to_have_text("FAILED", timeout=30_000)
    expect(page.locator("svg.topology .node.s-FAILED[data-task='gate']")).to_be_visible()
    execution_url = page.url

    # Open the gate through the namespace's KV page, then restart.
    page.goto(f"{ui_server.url}/ui/namespaces/company.ui?tab=kv")
    page.fill("input[aria-label='key']", "go")
    page.fill("input[aria-label='value']", "yes")
    page.click("text=Set")
    expect(page.locator("td code", has_text="go")).to_be_visible()

    page.goto(execution_url)
    page.click("#restart")
    expect(page.locator("#execution-state .badge")).to_have_text("SUCCESS", timeout=30_000)
    page.click("#tab-gantt")
    expect(page.locator("#gantt [data-task='gate'] rect")).to_have_count(2)
    expect(page.locator("#gantt [data-task='first'] rect")).to_have_count(1)
    page.screenshot(path=screenshots / "execution-gantt.png")
    # A task of the topology opens its own log lines.
    page.click("#tab-topology")
    page.click("svg.topology [data-task='first']")
    expect(page.locator("#logs")).to_contain_text("before the gate")
    expect(page.locator("#logs")).not_to_contain_text("through the gate")
    execution_id = execution_url.rsplit("/", 1)[-1]
    with ui_server.api() as api:
        runs = api.get(f"/executions/{execution_id}").json()["taskRunList"]
    attempts = {run["taskId"]: len(run["attempts"]) for run in runs}
    assert attempts == {"first": 1, "gate": 2, "after": 1}


def test_backfill_of_a_schedule_creates_its_executions_with_progress(
    ui_server: UiServer, page: Page, screenshots: Path
) -> None:
    save_flow(ui_server, HOURLY_FLOW)
    page.goto(f"{ui_server.url}/ui/triggers")
    row = page.locator("tr[data-trigger='every-hour']")
    # Three hours back: three or four hourly dates, whatever the minute now.
    start = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() - 3 * 3600 - 60))
    end = time.strftime("%Y-%m-%dT%H:%M", time.localtime(time.time() - 60))
    row.locator(".bf-start").fill(start)
    row.locator(".bf-end").fill(end)
    row.locator(".bf-submit").click()
    expect(page.locator("#toast")).to_contain_text("Backfill started")
    with ui_server.api() as api:
        deadline = time.monotonic() + 30
        total = 0
        while time.monotonic() < deadline and total < 3:
            total = api.get("/executions/search", params={"flowId": "hourly"}).json()["total"]
            time.sleep(0.3)
    assert total >= 3
    page.goto(f"{ui_server.url}/ui/executions?flowId=hourly")
    expect(page.locator("#executions-table tbody tr")).to_have_count(total)
    expect(page.locator("#executions-table tbody tr[data-state='SUCCESS']")).to_have_count(
        total, timeout=30_000
    )
    page.screenshot(path=screenshots / "executions.png")


def test_main_pages_render_in_light_and_dark(
    ui_server: UiServer, page: Page, screenshots: Path
) -> None:
    save_flow(
        ui_server,
        HOURLY_FLOW.replace("id: hourly", "id: nightly").replace('"0 * * * *"', '"0 2 * * *"'),
    )
    page.goto(f"{ui_server.url}/")
    expect(page).to_have_url(re.compile(r"/ui/$"))
    expect(page.locator("h1")).to_have_text("Dashboard")
    expect(page.locator("svg.chart")).to_be_visible()
    page.click("#nav a[data-nav='flows']")
    expect(page.locator("h1")).to_have_text("Flows")
    expect(page.locator("main a", has_text="nightly")).to_be_visible()
    page.fill("input[type=search]", "night")
    expect(page.locator("main tbody tr")).to_have_count(1)
    page.screenshot(path=screenshots / "flows.png")
    page.goto(f"{ui_server.url}/ui/triggers")
    nightly = page.locator("tr", has=page.locator("a", has_text="company.ui.nightly"))
    nightly.locator("input[type=checkbox]").uncheck()
    expect(page.locator("#toast")).to_contain_text("every-hour disabled")
    with ui_server.api() as api:
        states = api.get("/triggers/company.ui/nightly").json()["results"]
    assert [s["disabled"] for s in states] == [True]
    # Keyboard: "g n" goes to namespaces (from anywhere but a form field).
    page.evaluate("document.activeElement.blur()")
    page.locator("body").press("g")
    page.locator("body").press("n")
    expect(page.locator("h1")).to_have_text("Namespaces")
    page.click("#theme")
    theme = page.evaluate("document.documentElement.dataset.theme")
    assert theme in ("dark", "light")
    if theme == "light":
        page.click("#theme")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.goto(f"{ui_server.url}/ui/flows/company.ui/nightly")
    page.screenshot(path=screenshots / "flow-dark.png")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background != "rgb(246, 247, 249)"
    page.click("#tab-triggers")
    expect(page.locator("#triggers-table tr[data-trigger='every-hour']")).to_be_visible()


def test_the_system_dark_preference_applies_without_the_toggle(
    ui_server: UiServer, page: Page
) -> None:
    page.emulate_media(color_scheme="dark")
    page.goto(f"{ui_server.url}/ui/")
    expect(page.locator("h1")).to_have_text("Dashboard")
    assert page.evaluate("document.documentElement.dataset.theme") is None
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(17, 20, 27)"
    page.emulate_media(color_scheme="light")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(246, 247, 249)"


def test_a_paused_backfill_shows_its_progress_and_resumes_from_the_triggers_page(
    ui_server: UiServer, page: Page, screenshots: Path
) -> None:
    save_flow(ui_server, HOURLY_FLOW.replace("id: hourly", "id: hourly-paused"))
    now = time.time()
    backfill = {
        "start": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 2 * 3600 - 60)),
        "end": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - 60)),
        "paused": True,
    }
    ref = {"namespace": "company.ui", "flowId": "hourly-paused", "triggerId": "every-hour"}
    with ui_server.api() as api:
        assert api.put("/triggers", json={**ref, "backfill": backfill}).status_code == 200
    page.goto(f"{ui_server.url}/ui/triggers")
    row = page.locator("tr", has=page.locator("a", has_text="company.ui.hourly-paused"))
    expect(row.locator(".backfill")).to_have_attribute("data-progress", "0")
    expect(row.locator(".backfill")).to_contain_text("paused")
    page.screenshot(path=screenshots / "triggers-backfill.png")
    row.locator("button", has_text="Resume").click()
    # Once done, the backfill is gone and the form to start another one is back.
    expect(row.locator(".bf-submit")).to_be_visible(timeout=30_000)
    with ui_server.api() as api:
        found = api.get("/executions/search", params={"flowId": "hourly-paused"}).json()
    assert found["total"] >= 2


def test_executions_filter_by_state_and_keep_the_filter_in_the_address(
    ui_server: UiServer, page: Page
) -> None:
    # Its own namespace: the gate's KV key stays unset whatever other tests did.
    save_flow(
        ui_server,
        GATED_FLOW.replace("id: gated", "id: gated-filter").replace(
            "namespace: company.ui", "namespace: company.filter"
        ),
    )
    with ui_server.api() as api:
        for _ in range(2):
            started = api.post("/executions/company.filter/gated-filter", params={"wait": "true"})
            assert started.json()["state"]["current"] == "FAILED"
    page.goto(f"{ui_server.url}/ui/executions")
    page.fill("input[name=flowId]", "gated-filter")
    page.select_option("select[name=state]", "FAILED")
    page.click("#filters button[type=submit]")
    expect(page).to_have_url(re.compile(r"flowId=gated-filter.*state=FAILED|state=FAILED.*flowId"))
    expect(page.locator("#executions-table tbody tr[data-state='FAILED']")).to_have_count(2)
    page.select_option("select[name=state]", "SUCCESS")
    page.click("#filters button[type=submit]")
    expect(page.locator("#executions-table tbody")).to_contain_text("No execution.")


def test_executions_page_through_25_at_a_time(ui_server: UiServer, page: Page) -> None:
    # No trigger here, so no `trigger.date` either.
    paged = HOURLY_FLOW.replace("id: hourly", "id: paged").split("triggers:")[0]
    save_flow(ui_server, paged.replace("tick {{ trigger.date }}", "tick"))
    with ui_server.api() as api:
        for _ in range(27):
            assert api.post("/executions/company.ui/paged").status_code == 200
    page.goto(f"{ui_server.url}/ui/executions?flowId=paged")
    expect(page.locator(".pager")).to_contain_text("Page 1 of 2 · 27 executions")
    expect(page.locator("#executions-table tbody tr")).to_have_count(25)
    page.click("text=Next ›")
    expect(page.locator(".pager")).to_contain_text("Page 2 of 2")
    expect(page.locator("#executions-table tbody tr")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"page=2"))


def test_dashboard_shows_recent_failures_and_the_day_by_state(
    ui_server: UiServer, page: Page, screenshots: Path
) -> None:
    save_flow(
        ui_server,
        GATED_FLOW.replace("id: gated", "id: broken").replace(
            "namespace: company.ui", "namespace: company.dash"
        ),
    )
    with ui_server.api() as api:
        failed = api.post("/executions/company.dash/broken", params={"wait": "true"}).json()
    assert failed["state"]["current"] == "FAILED"
    page.goto(f"{ui_server.url}/ui/")
    failures = page.locator(".panel", has=page.locator("h2", has_text="Recent failures"))
    expect(failures.locator("a", has_text=failed["id"])).to_be_visible()
    expect(page.locator("svg.chart rect[fill='var(--fail)']")).to_have_count(1)
    page.screenshot(path=screenshots / "dashboard.png")
