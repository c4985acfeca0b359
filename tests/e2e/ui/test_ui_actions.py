"""Execution actions from the UI: resume with onResume inputs, replay, change status, kill;
the run dialog's SELECT and FILE inputs; output file preview."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from ui_server_helpers import UiServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

APPROVAL_FLOW = """id: approval
namespace: company.ui
inputs:
  - id: color
    type: SELECT
    values: [red, green, blue]
    defaults: red
  - id: data
    type: FILE
tasks:
  - id: rev
    type: io.kestra.plugin.core.storage.Reverse
    from: "{{ inputs.data }}"
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOLEAN
        defaults: false
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "approved={{ outputs.wait.onResume.approved }} color={{ inputs.color }}"
"""

SLOW_FLOW = """id: slow
namespace: company.ui
tasks:
  - id: parallel
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: nap
        type: io.kestra.plugin.core.flow.Sleep
        duration: PT60S
      - id: quick
        type: io.kestra.plugin.core.log.Log
        message: quick
  - id: never
    type: io.kestra.plugin.core.log.Log
    message: never
"""


def save_flow(server: UiServer, source: str) -> None:
    with server.api() as api:
        response = api.post(
            "/flows", content=source, headers={"Content-Type": "application/x-yaml"}
        )
        assert response.status_code == 200, response.text


def test_file_and_select_inputs_then_resume_with_on_resume_inputs_replay_and_change_status(
    ui_server: UiServer, page: Page, screenshots: Path, tmp_path: Path
) -> None:
    save_flow(ui_server, APPROVAL_FLOW)
    data = tmp_path / "lines.txt"
    data.write_text("one\ntwo\nthree\n")
    page.goto(f"{ui_server.url}/ui/flows/company.ui/approval")
    page.click("#run")
    dialog = page.locator("dialog[open]")
    expect(dialog.locator("#in-color option")).to_have_count(3)
    expect(dialog.locator("#in-color")).to_have_value("red")
    dialog.locator("#in-color").select_option("green")
    dialog.locator("#in-data").set_input_files(data)
    dialog.locator("#dialog-submit").click()

    expect(page.locator("#execution-state .badge")).to_have_text("PAUSED", timeout=30_000)
    expect(page.locator("svg.topology .node.s-PAUSED[data-task='wait']")).to_be_visible()
    page.click("#resume")
    resume = page.locator("dialog[open]")
    expect(resume.locator("#in-approved")).to_have_value("false")
    resume.locator("#in-approved").select_option("true")
    resume.locator("#dialog-submit").click()
    expect(page.locator("#execution-state .badge")).to_have_text("SUCCESS", timeout=30_000)
    page.click("#tab-logs")
    expect(page.locator("#logs")).to_contain_text("approved=true color=green")

    # The reversed file previews in the Outputs tab.
    page.click("#tab-outputs")
    page.locator("button.preview").first.click()
    expect(page.locator("pre.src").first).to_contain_text("three\ntwo\none")
    page.screenshot(path=screenshots / "execution-outputs.png")
    with page.expect_download() as download_info:
        page.locator("button", has_text="Download").first.click()
    download = download_info.value
    assert download.suggested_filename.endswith(".txt")
    assert Path(download.path()).read_text() == "three\ntwo\none\n"

    # Replay from the `after` task: a new execution that reruns only `after`.
    first_url = page.url
    page.click("#replay")
    replay = page.locator("dialog[open]")
    replay.locator("#replay-task").select_option(label="after · SUCCESS")
    replay.locator("#dialog-submit").click()
    expect(page).not_to_have_url(first_url)
    expect(page.locator("#execution-state .badge")).to_have_text("SUCCESS", timeout=30_000)

    page.click("#change-status")
    change = page.locator("dialog[open]")
    change.locator("#new-status").select_option("FAILED")
    change.locator("#dialog-submit").click()
    expect(page.locator("#execution-state .badge")).to_have_text("FAILED")
    with ui_server.api() as api:
        replayed = api.get(f"/executions/{page.url.rsplit('/', 1)[-1]}").json()
    assert replayed["state"]["current"] == "FAILED"
    assert replayed["originalId"] == first_url.rsplit("/", 1)[-1]

    # Labels can be added once it is terminated.
    page.click("#tab-inputs")
    page.fill("input[aria-label='new label']", "reviewed:yes")
    page.click("text=Add label")
    expect(page.locator("main .label", has_text="reviewed:yes").first).to_be_visible()
    with ui_server.api() as api:
        labels = api.get(f"/executions/{replayed['id']}").json()["labels"]
    assert {"key": "reviewed", "value": "yes"} in labels


def test_the_execution_url_the_api_returns_opens_the_execution_page(
    ui_server: UiServer, page: Page
) -> None:
    save_flow(ui_server, SLOW_FLOW.replace("id: slow", "id: quick").replace("PT60S", "PT0.1S"))
    with ui_server.api() as api:
        created = api.post("/executions/company.ui/quick").json()
    assert "/ui/main/executions/company.ui/quick/" in created["url"]
    page.goto(created["url"])
    expect(page.locator("h1")).to_contain_text(created["id"])
    expect(page.locator("#execution-state .badge")).to_have_text("SUCCESS", timeout=30_000)


def test_topology_colours_running_tasks_live_and_kill_stops_the_execution(
    ui_server: UiServer, page: Page, screenshots: Path
) -> None:
    save_flow(ui_server, SLOW_FLOW)
    page.goto(f"{ui_server.url}/ui/flows/company.ui/slow")
    page.click("#run")
    page.keyboard.press("Escape")  # cancels: nothing runs
    expect(page.locator("dialog")).to_have_count(0)
    page.click("#run")
    page.locator("dialog[open] #dialog-submit").click()
    expect(page.locator("#execution-state .badge")).to_have_text("RUNNING", timeout=30_000)
    expect(page.locator("svg.topology .node.s-RUNNING[data-task='nap']")).to_be_visible()
    expect(page.locator("svg.topology .node.s-SUCCESS[data-task='quick']")).to_be_visible()
    page.screenshot(path=screenshots / "execution-running.png")
    page.click("#kill")
    expect(page.locator("#execution-state .badge")).to_have_text("KILLED", timeout=30_000)
    expect(page.locator("svg.topology .node.s-KILLED[data-task='nap']")).to_be_visible()
    expect(page.locator("svg.topology [data-task='never']")).not_to_have_class(re.compile(r"s-"))


def test_a_parent_execution_lists_its_subflow_executions_which_link_back(
    ui_server: UiServer, page: Page
) -> None:
    flows = Path(__file__).parent / "flows"
    save_flow(ui_server, (flows / "subflow-child.yml").read_text())
    save_flow(ui_server, (flows / "subflow-parent.yml").read_text())
    with ui_server.api() as api:
        parent = api.post("/executions/company.team/subflow-parent", params={"wait": "true"}).json()
    assert parent["state"]["current"] == "SUCCESS"
    page.goto(f"{ui_server.url}/ui/executions/company.team/subflow-parent/{parent['id']}")
    page.click("#tab-subflows")
    child_link = page.locator("#executions-table a", has_text="company.team.subflow-child")
    expect(child_link).to_be_visible()
    page.locator("#executions-table tbody tr td a code").first.click()
    expect(page).to_have_url(re.compile(r"/executions/company\.team/subflow-child/"))
    page.click(f"a:has-text('{parent['id']}')")
    expect(page).to_have_url(
        re.compile(f"/executions/company\\.team/subflow-parent/{parent['id']}$")
    )
