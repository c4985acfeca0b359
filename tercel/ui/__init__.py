"""The web UI: static HTML, CSS and JavaScript modules served at ``/ui`` (no build step).

`install(app)` mounts it on the API application. The UI's files are served before the
authentication middleware runs: they hold no data (every datum comes from the REST API,
which stays protected), and the login page must load without credentials.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: The folder of the UI's files.
STATIC_DIR = Path(__file__).parent / "static"
#: Where the UI lives.
PREFIX = "/ui"


#: Only this server's own scripts run (flow text shown in the UI can never become code).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
#: The header the UI sends with its API calls.
UI_HEADER = b"x-tercel-ui"


def _without_challenge(send: Send) -> Send:
    """`send` minus the ``WWW-Authenticate`` header: for the UI's own calls, a 401 must reach
    its login page, not open the browser's basic-auth prompt."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = [(k, v) for k, v in message.get("headers", []) if k != b"www-authenticate"]
            message = {**message, "headers": headers}
        await send(message)

    return wrapped


class UiMiddleware:
    """Answer ``/`` (redirect) and ``/ui/...`` (files; index.html for app routes) itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.files = StaticFiles(directory=STATIC_DIR)
        self.warmed = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve UI paths; pass every other request to the API."""
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path in ("/", PREFIX):
            await RedirectResponse(f"{PREFIX}/", status_code=307)(scope, receive, send)
            return
        if not path.startswith(PREFIX + "/"):
            if (UI_HEADER, b"1") in scope.get("headers", []):
                await self.app(scope, receive, _without_challenge(send))
            else:
                await self.app(scope, receive, send)
            return
        rest = path[len(PREFIX) :]
        if rest.startswith("/static/"):
            inner = dict(scope, path=rest[len("/static") :], root_path="")
            try:
                await self.files(inner, receive, send)
            except HTTPException as error:  # outside the app, no handler turns it into a reply
                await PlainTextResponse(error.detail, status_code=error.status_code)(
                    scope, receive, send
                )
            return
        # Every other /ui/... path is a page of the single-page app (history routing).
        if not self.warmed:
            # The editor's completions take seconds to build: start now, in the background.
            self.warmed = True
            from tercel.api.ui_support import warm_up

            warm_up()
        response: Response = FileResponse(
            STATIC_DIR / "index.html",
            headers={"Cache-Control": "no-cache", "Content-Security-Policy": CSP},
        )
        await response(scope, receive, send)


def install(app: FastAPI) -> None:
    """Serve the UI and its support endpoints on a FastAPI `app` (after its auth middleware)."""
    from fastapi import Depends

    from tercel.api import ui_support
    from tercel.api.params import check_path_names

    app.include_router(ui_support.router, dependencies=[Depends(check_path_names)])
    # Added last, so outermost: UI files never reach the authentication middleware.
    app.add_middleware(UiMiddleware)
