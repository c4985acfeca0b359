"""Users and tenants in the browser: a viewer logs in with a session, switches tenant, sees
no controls to change anything, and the API refuses their session's direct calls."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Page, expect
from ui_server_helpers import UiServer, start_server, stop_server

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

ADMIN = ("admin", "admin-password-1")
VIEWER = ("vera", "vera-password")


def flow(namespace: str, flow_id: str) -> str:
    return (
        f"id: {flow_id}\nnamespace: {namespace}\ntasks:\n  - id: say\n"
        "    type: io.kestra.plugin.core.log.Log\n    message: hi\n"
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """A server with user logins: tenants `main` and `acme`, each with one flow, and `vera`,
    a viewer in both."""
    running = start_server(
        tmp_path_factory.mktemp("ui-tenants"), env={"TERCEL_ADMIN_PASSWORD": ADMIN[1]}
    )
    with httpx.Client(base_url=f"{running.url}/api/v1", auth=ADMIN, timeout=30) as api:
        for response in (
            api.post("/tenants", json={"id": "acme", "name": "Acme"}),
            api.post("/users", json={"username": VIEWER[0], "password": VIEWER[1]}),
            api.post(
                "/main/bindings", json={"type": "USER", "externalId": "vera", "roleId": "viewer"}
            ),
            api.post(
                "/acme/bindings", json={"type": "USER", "externalId": "vera", "roleId": "viewer"}
            ),
            api.post(
                "/main/flows",
                content=flow("team.main", "main-flow"),
                headers={"Content-Type": "application/x-yaml"},
            ),
            api.post(
                "/acme/flows",
                content=flow("team.acme", "acme-flow"),
                headers={"Content-Type": "application/x-yaml"},
            ),
        ):
            assert response.status_code == 200, response.text
    yield running
    stop_server(running)


def test_a_viewer_switches_tenant_sees_no_edit_controls_and_the_api_refuses_them(
    server: UiServer, page: Page
) -> None:
    page.set_default_timeout(15_000)
    page.goto(f"{server.url}/ui/flows")
    expect(page).to_have_url(re.compile(r"/ui/login"))
    page.fill("#user", VIEWER[0])
    page.fill("#password", VIEWER[1])
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/ui/flows$"))
    expect(page.locator("#whoami")).to_have_text("vera")
    expect(page.get_by_text("main-flow")).to_be_visible()
    expect(page.locator("#new-flow")).to_be_hidden()
    # The session is an HttpOnly cookie: page scripts cannot read it.
    assert "tercel_session" not in page.evaluate("document.cookie")
    page.select_option("#tenant", "acme")
    page.goto(f"{server.url}/ui/flows")
    expect(page.get_by_text("acme-flow")).to_be_visible()
    expect(page.get_by_text("main-flow")).to_have_count(0)
    page.get_by_text("acme-flow").click()
    expect(page.locator("h1")).to_contain_text("acme-flow")
    expect(page.locator("#run")).to_be_hidden()
    expect(page.locator("#edit")).to_be_hidden()
    expect(page.locator("nav a[data-nav=tenants]")).to_be_hidden()
    status = page.evaluate(
        """async () => {
            const csrf = sessionStorage.getItem("tercel.csrf");
            const response = await fetch("/api/v1/acme/executions/team.acme/acme-flow", {
                method: "POST", headers: {"X-CSRF-Token": csrf, "X-Tercel-UI": "1"}});
            return [response.status, (await response.json()).message];
        }"""
    )
    assert status[0] == 403
    assert "EXECUTION:CREATE" in status[1]
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/ui/login$"))
    # (X-Tercel-UI: a 401 without a basic-auth challenge, which would open the browser's prompt)
    after = page.evaluate(
        "async () => (await fetch('/api/v1/acme/flows/search', "
        "{headers: {'X-Tercel-UI': '1'}})).status"
    )
    assert after == 401


def test_a_super_admin_creates_a_tenant_on_the_tenants_page(server: UiServer, page: Page) -> None:
    page.goto(f"{server.url}/ui/login")
    page.fill("#user", ADMIN[0])
    page.fill("#password", ADMIN[1])
    page.click("button[type=submit]")
    expect(page.locator("nav a[data-nav=tenants]")).to_be_visible()
    page.click("nav a[data-nav=tenants]")
    page.fill("#new-tenant-id", "ops")
    page.fill("#new-tenant-name", "Operations")
    page.click("text=Create tenant")
    expect(page.locator("tr[data-tenant=ops]")).to_be_visible()
    expect(page.locator("#tenant option[value=ops]")).to_have_count(1)
