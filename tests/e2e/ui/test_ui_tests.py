"""A flow's Tests tab: its unit tests, run from the page, with the failing assertions."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from ui_server_helpers import UiServer

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

FLOW = """id: report
namespace: company.tested
tasks:
  - id: fetch
    type: io.kestra.plugin.core.http.Request
    uri: http://127.0.0.1:9/unreachable
  - id: shout
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.fetch.body | upper }}"
"""

SUITE = """id: report_tests
namespace: company.tested
flowId: report
testCases:
  - id: shouts_the_body
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      tasks:
        - id: fetch
          outputs: {body: hello}
    assertions:
      - value: "{{ outputs.shout.value }}"
        equalTo: HELLO
  - id: wrong_on_purpose
    type: io.kestra.core.tests.flow.UnitTest
    fixtures:
      tasks:
        - id: fetch
          outputs: {body: bye}
    assertions:
      - value: "{{ outputs.shout.value }}"
        equalTo: HELLO
"""


def test_the_tests_tab_runs_a_flow_tests_and_shows_what_failed(
    ui_server: UiServer, page: Page
) -> None:
    with ui_server.api() as api:
        yaml = {"Content-Type": "application/x-yaml"}
        assert api.post("/flows", content=FLOW, headers=yaml).status_code == 200
        assert api.post("/tests", content=SUITE, headers=yaml).status_code == 200
    page.goto(f"{ui_server.url}/ui/flows/company.tested/report?tab=tests")
    suite = page.locator(".test-suite[data-suite='report_tests']")
    expect(suite).to_contain_text("never run", timeout=15_000)
    suite.get_by_role("button", name="Run tests").click()
    passed = suite.locator("tr[data-case='shouts_the_body']")
    expect(passed.locator(".badge")).to_have_text("SUCCESS", timeout=30_000)
    failed = suite.locator("tr[data-case='wrong_on_purpose']")
    expect(failed.locator(".badge")).to_have_text("FAILED")
    expect(failed.locator(".expected")).to_have_text("HELLO")
    expect(failed.locator(".actual")).to_have_text("BYE")
    # The result is kept: the tab shows it again on the next visit.
    page.reload()
    expect(suite.locator("tr[data-case='wrong_on_purpose'] .badge")).to_have_text(
        "FAILED", timeout=15_000
    )
