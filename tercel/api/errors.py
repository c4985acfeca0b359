"""One error shape for the whole API: 4xx ``{"message": ...}`` that names what is wrong.

`TercelError` subclasses map to status codes; request validation errors name the field;
nothing a caller sends produces a 500.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from tercel.errors import (
    ConflictError,
    FlowValidationError,
    InputError,
    InvalidNameError,
    NotFoundError,
    Problem,
    SecretError,
    StaleStateError,
    StorageAccessError,
    StorageUnavailableError,
    TemplateError,
    TercelError,
)

log = logging.getLogger(__name__)

_STATUS: tuple[tuple[type[TercelError], int], ...] = (
    (NotFoundError, 404),
    (ConflictError, 409),
    (FlowValidationError, 422),
    (InputError, 422),
    (InvalidNameError, 422),
    (TemplateError, 422),
    (SecretError, 422),
    (StorageAccessError, 403),
    (StorageUnavailableError, 503),
)


def problem_to_wire(problem: Problem) -> dict[str, Any]:
    """A positioned problem as JSON."""
    return {
        "message": problem.message,
        "path": problem.path,
        "line": problem.line,
        "column": problem.column,
        "location": problem.location,
        "hint": problem.hint,
        "severity": problem.severity,
    }


def status_of(error: TercelError) -> int:
    """The HTTP status of an error raised on purpose."""
    for cls, status in _STATUS:
        if isinstance(error, cls):
            return status
    return 400


def error_body(error: TercelError) -> dict[str, Any]:
    """``{"message": ...}`` plus the positioned problems of a validation error."""
    if isinstance(error, FlowValidationError):
        errors = [p for p in error.problems if p.severity == "error"] or error.problems
        first = errors[0] if errors else None
        summary = (
            f"Invalid flow: {first.location or 'flow'}: {first.message}"
            if first is not None
            else "Invalid flow"
        )
        if len(errors) > 1:
            summary += f" (and {len(errors) - 1} more problem(s))"
        return {"message": summary, "problems": [problem_to_wire(p) for p in error.problems]}
    if isinstance(error, StaleStateError):
        return {"message": str(error), "moved": error.moved}
    return {"message": str(error)}


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header", "form")]
    return ".".join(parts) or "request"


def install_error_handlers(app: FastAPI) -> None:
    """Map every error a caller can cause to a 4xx JSON body."""

    @app.exception_handler(TercelError)
    async def _tercel(_: Request, error: TercelError) -> JSONResponse:
        return JSONResponse(error_body(error), status_code=status_of(error))

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, error: RequestValidationError) -> JSONResponse:
        details = error.errors()
        messages = [f"{_field_name(d.get('loc', ()))}: {d.get('msg', 'invalid')}" for d in details]
        return JSONResponse(
            {
                "message": "Invalid request: " + "; ".join(messages),
                "errors": [
                    {"field": _field_name(d.get("loc", ())), "message": d.get("msg")}
                    for d in details
                ],
            },
            status_code=422,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, error: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(
            {"message": str(error.detail)},
            status_code=error.status_code,
            headers=getattr(error, "headers", None),
        )

    @app.exception_handler(RecursionError)
    async def _too_deep(_: Request, error: RecursionError) -> JSONResponse:
        # Only a caller's value nests deeply enough for this (JSON of 100k brackets...).
        del error
        return JSONResponse({"message": "body: the value is nested too deeply"}, status_code=422)

    @app.exception_handler(Exception)
    async def _unexpected(_: Request, error: Exception) -> JSONResponse:
        # A bug, not bad input: log it with its traceback, answer without leaking details.
        log.error("unexpected error while serving a request", exc_info=error)
        return JSONResponse({"message": f"internal error: {type(error).__name__}"}, status_code=500)
