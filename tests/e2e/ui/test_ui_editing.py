"""Editing in the UI: completion, revisions with diffs, blueprints, namespace settings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from ui_server_helpers import UiServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

NESTED_FLOW = """id: nested
namespace: company.edit
tasks:
  - id: branch
    type: io.kestra.plugin.core.flow.If
    condition: "{{ true }}"
    then:
      - id: fan
        type: io.kestra.plugin.core.flow.Parallel
        tasks:
          - id: left
            type: io.kestra.plugin.core.log.Log
            message: left
          - id: right
            type: io.kestra.plugin.core.log.Log
            message: right
    else:
      - id: otherwise
        type: io.kestra.plugin.core.log.Log
        message: no
  - id: done
    type: io.kestra.plugin.core.log.Log
    message: first version
"""


def test_completion_offers_types_and_the_properties_of_the_task_under_the_caret(
    ui_server: UiServer, page: Page
) -> None:
    page.goto(f"{ui_server.url}/ui/editor")
    editor = page.locator("#yaml")
    editor.fill(
        "id: c\nnamespace: company.edit\ntasks:\n  - id: say\n    type: io.kestra.plugin.core.log.Lo"
    )
    editor.press("End")
    editor.press("Control+Space")
    popup = page.locator(".completion li")
    expect(popup.first).to_have_attribute("data-value", "io.kestra.plugin.core.log.Log")
    editor.press("Enter")
    editor.press("Enter")
    page.keyboard.type("mes")
    editor.press("Control+Space")
    expect(page.locator(".completion li[data-value='message']")).to_be_visible()
    editor.press("Enter")
    page.keyboard.type("hi")
    expect(editor).to_have_value(
        re.compile(r"type: io\.kestra\.plugin\.core\.log\.Log\n    message: hi$")
    )
    expect(page.locator("#validation-status")).to_have_text("valid")


def test_saving_an_edit_makes_a_revision_whose_diff_the_flow_page_shows(
    ui_server: UiServer, page: Page, screenshots: Path
) -> None:
    with ui_server.api() as api:
        created = api.post(
            "/flows", content=NESTED_FLOW, headers={"Content-Type": "application/x-yaml"}
        )
        assert created.status_code == 200, created.text
    page.goto(f"{ui_server.url}/ui/flows/company.edit/nested")
    # Flowables are drawn with their children inside.
    for task in ("branch", "fan", "left", "right", "otherwise", "done"):
        expect(page.locator(f"svg.topology [data-task='{task}']")).to_be_visible()
    expect(page.locator("svg.topology .cluster[data-task='fan']")).to_be_visible()
    page.screenshot(path=screenshots / "flow-topology.png")

    page.click("#edit")
    expect(page).to_have_url(re.compile(r"/flows/company\.edit/nested/edit$"))
    source = page.locator("#yaml").input_value()
    page.locator("#yaml").fill(source.replace("first version", "second version"))
    expect(page.locator("#validation-status")).to_have_text("valid")
    page.locator("#yaml").press("Control+s")
    expect(page).to_have_url(re.compile(r"/flows/company\.edit/nested$"))
    expect(page.locator("main")).to_contain_text("revision 2")
    page.click("#tab-revisions")
    expect(page.locator(".diff .del")).to_have_text("-     message: first version")
    expect(page.locator(".diff .add")).to_have_text("+     message: second version")
    page.screenshot(path=screenshots / "flow-revisions.png")


def test_a_blueprint_fills_the_editor(ui_server: UiServer, page: Page) -> None:
    page.goto(f"{ui_server.url}/ui/editor")
    expect(page.locator("#yaml")).to_be_visible()
    picker = page.locator("#blueprint")
    with ui_server.api() as api:
        first = api.get("/ui/blueprints").json()[0]
    value = picker.locator("option").nth(1).get_attribute("value")
    picker.select_option(value)
    assert value == first["id"]
    expect(page.locator("#yaml")).to_have_value(first["source"])


def test_namespace_variables_files_and_secret_names(
    ui_server: UiServer, page: Page, screenshots: Path
) -> None:
    page.goto(f"{ui_server.url}/ui/namespaces/company.edit?tab=variables")
    page.fill("#ns-variables", '{"region": "eu-west"}')
    page.click("text=Save variables")
    expect(page.locator("#toast")).to_contain_text("Variables saved")

    page.click("#tab-files")
    page.fill("input[aria-label='new file path']", "scripts/hello.sh")
    page.click("text=New file")
    page.locator("textarea[aria-label='file /scripts/hello.sh']").fill("echo hello\n")
    page.click("button.primary:has-text('Save')")
    expect(page.locator("#toast")).to_contain_text("Saved /scripts/hello.sh")
    expect(page.locator("li", has_text="scripts")).to_be_visible()

    page.click("#tab-secrets")
    page.fill("input[aria-label='secret name']", "API_TOKEN")
    page.fill("input[aria-label='secret value']", "s3cr3t-value")
    page.click("text=Set secret")
    expect(page.locator("td code", has_text="API_TOKEN")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("s3cr3t-value")
    page.screenshot(path=screenshots / "namespace-secrets.png")

    with ui_server.api() as api:
        assert api.get("/namespaces/company.edit").json()["variables"] == {"region": "eu-west"}
        file = api.get("/namespaces/company.edit/files", params={"path": "/scripts/hello.sh"})
        assert file.text == "echo hello\n"
