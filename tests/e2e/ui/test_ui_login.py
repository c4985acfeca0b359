"""With authentication on, the UI asks for credentials on its login page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from ui_server_helpers import UiServer, start_server, stop_server

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.fixture(scope="module")
def auth_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """A server that requires basic auth (user `ada`, password `lovelace`)."""
    server = start_server(
        tmp_path_factory.mktemp("ui-auth-home"),
        env={"TERCEL_BASIC_AUTH_USER": "ada", "TERCEL_BASIC_AUTH_PASSWORD": "lovelace"},
    )
    yield server
    stop_server(server)


def test_login_page_refuses_wrong_credentials_then_opens_the_asked_page(
    auth_server: UiServer, page: Page, screenshots: Path
) -> None:
    page.goto(f"{auth_server.url}/ui/flows")
    expect(page).to_have_url(re.compile(r"/ui/login\?next=%2Fui%2Fflows$"))
    page.fill("#user", "ada")
    page.fill("#password", "wrong")
    page.click("button[type=submit]")
    expect(page.locator("form [role=alert]")).to_have_text("Wrong user, password or token.")
    page.screenshot(path=screenshots / "login.png")
    page.fill("#password", "lovelace")
    page.click("button[type=submit]")
    expect(page).to_have_url(re.compile(r"/ui/flows$"))
    expect(page.locator("h1")).to_have_text("Flows")
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/ui/login$"))
