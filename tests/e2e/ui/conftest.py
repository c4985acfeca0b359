"""Browser tests of the web UI: a real `tercel server local` and Debian's Chromium.

Chromium comes from apt (`scripts/ci-chromium.sh`); `playwright install` is never run. The tests
skip, saying why, only when no Chromium binary can be found.
"""

from __future__ import annotations

import base64
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from ui_server_helpers import UiServer, start_server, stop_server

#: Flags that make Chromium start fast and quietly in a container.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: The real binary first: it skips the shell wrapper of /usr/bin/chromium.
CHROMIUM_PATHS = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")
#: Where the tests save screenshots shown in the README.
SCREENSHOTS = Path(__file__).resolve().parents[3] / "docs" / "screenshots"


def find_chromium() -> str | None:
    """The path of a Chromium binary, or None."""
    configured = os.environ.get("TERCEL_CHROMIUM")
    for candidate in (configured, *CHROMIUM_PATHS, shutil.which("chromium")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright launches Debian's Chromium (skip when there is none)."""
    path = find_chromium()
    if path is None:
        pytest.skip(
            "Chromium not found (looked at TERCEL_CHROMIUM, /usr/lib/chromium/chromium, "
            "/usr/bin/chromium): run scripts/ci-chromium.sh"
        )
    return {**browser_type_launch_args, "executable_path": path, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url() -> str | None:
    """No base URL: tests open their server's absolute URLs (replaces pytest-base-url's
    fixture, which warns under pytest 9)."""
    return None


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A laptop screen."""
    return {**browser_context_args, "viewport": {"width": 1366, "height": 800}}


@pytest.fixture(autouse=True)
def no_script_errors(page: Page) -> Iterator[None]:
    """Fail a test whose page threw an uncaught error or broke the content security policy."""
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(f"uncaught: {error}"))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    yield
    assert not errors, errors


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """A server with an empty home (and a key for secrets), shared by a module's tests."""
    key = base64.b64encode(b"k" * 32).decode()
    server = start_server(tmp_path_factory.mktemp("ui-home"), env={"TERCEL_ENCRYPTION_KEY": key})
    yield server
    stop_server(server)


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder the tests save screenshots to.

    `docs/screenshots/` (the README's pictures) only when TERCEL_UPDATE_SCREENSHOTS=1, so a
    test run does not leave the work tree dirty; a temp folder otherwise.
    """
    if os.environ.get("TERCEL_UPDATE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")
