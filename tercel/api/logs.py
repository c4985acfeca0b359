"""Logs of an execution: list with level/task filters, download as text, follow (SSE)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, StreamingResponse

from tercel.api.context import Ctx
from tercel.api.params import Attempt
from tercel.api.sse import event, poll_stream
from tercel.engine.execution import LogEntry, format_instant
from tercel.errors import InputError
from tercel.store.records import LOG_LEVELS

router = APIRouter(prefix="/api/v1/{tenant}/logs", tags=["Logs"])


def check_level(level: str | None) -> str | None:
    """The level upper-cased, or a 422 naming `minLevel`."""
    if level is None:
        return None
    name = level.upper()
    if name == "WARNING":
        name = "WARN"
    if name not in LOG_LEVELS:
        raise InputError(f"minLevel: unknown level {level!r} (use one of {', '.join(LOG_LEVELS)})")
    return name


def log_line(entry: LogEntry) -> str:
    """One log entry as a text line: ``date LEVEL [task] message``."""
    where = f"[{entry.task_id}] " if entry.task_id else ""
    return f"{format_instant(entry.timestamp)} {entry.level:<5} {where}{entry.message}"


@router.get("/{execution_id}", summary="Logs of an execution")
def list_logs(
    *,
    tenant: str,
    execution_id: str,
    min_level: Annotated[str | None, Query(alias="minLevel")] = None,
    task_run_id: Annotated[str | None, Query(alias="taskRunId")] = None,
    task_id: Annotated[str | None, Query(alias="taskId")] = None,
    attempt: Attempt = None,
    ctx: Ctx,
) -> list[dict[str, Any]]:
    """Log lines in order, filtered; 404 when the execution does not exist."""
    ctx.store.executions.get(execution_id, tenant=tenant)
    entries = ctx.store.logs.list(
        execution_id,
        min_level=check_level(min_level),
        task_id=task_id,
        task_run_id=task_run_id,
        attempt=attempt,
        tenant=tenant,
    )
    return [entry.to_wire() for entry in entries]


@router.get("/{execution_id}/download", response_class=PlainTextResponse, summary="Logs as text")
def download_logs(
    *,
    tenant: str,
    execution_id: str,
    min_level: Annotated[str | None, Query(alias="minLevel")] = None,
    task_run_id: Annotated[str | None, Query(alias="taskRunId")] = None,
    task_id: Annotated[str | None, Query(alias="taskId")] = None,
    ctx: Ctx,
) -> PlainTextResponse:
    """Every matching line as plain text, one per line."""
    ctx.store.executions.get(execution_id, tenant=tenant)
    entries = ctx.store.logs.list(
        execution_id,
        min_level=check_level(min_level),
        task_id=task_id,
        task_run_id=task_run_id,
        tenant=tenant,
    )
    text = "".join(log_line(entry) + "\n" for entry in entries)
    return PlainTextResponse(
        text,
        headers={"Content-Disposition": f'attachment; filename="{execution_id}.log"'},
    )


@router.get("/{execution_id}/follow", summary="Follow the logs of an execution (SSE)")
def follow_logs(
    *,
    tenant: str,
    execution_id: str,
    request: Request,
    min_level: Annotated[str | None, Query(alias="minLevel")] = None,
    ctx: Ctx,
) -> StreamingResponse:
    """Every line so far, then new lines as they come, until the execution terminates."""
    ctx.store.executions.get(execution_id, tenant=tenant)
    level = check_level(min_level)
    seen = 0

    async def step() -> tuple[list[str], bool]:
        nonlocal seen
        execution = ctx.store.executions.get(execution_id, tenant=tenant)
        entries = ctx.store.logs.list(execution_id, min_level=level, offset=seen, tenant=tenant)
        seen += len(entries)
        done = execution.state.current.is_terminated
        if done:
            # Lines flushed after the state changed still belong to the run.
            late = ctx.store.logs.list(execution_id, min_level=level, offset=seen, tenant=tenant)
            seen += len(late)
            entries = [*entries, *late]
        messages = [event(entry.to_wire(), "log") for entry in entries]
        if done:
            messages.append(event({"state": execution.state.current.value}, "end"))
        return messages, done

    return StreamingResponse(
        poll_stream(request, step),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache"},
    )


@router.delete("/{execution_id}", summary="Delete the logs of an execution")
def delete_logs(*, tenant: str, execution_id: str, ctx: Ctx) -> dict[str, int]:
    """Delete every log line of an execution; how many were deleted."""
    ctx.store.executions.get(execution_id, tenant=tenant)
    return {"deleted": ctx.store.logs.delete(execution_id, tenant=tenant)}
